import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceError } from './service-error.ts';
import {
  abortableSleep,
  backoffDelay,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  retryDelay,
  withRetry,
  type RetryInfo,
  type Sleep,
} from './retry.ts';

const policy = { baseMs: 100, capMs: 1_000, maxAttempts: 5, giveUpAfterMs: 600_000 };
const retryable = (retryAfterMs: number | null = null) =>
  new ServiceError('GET limits failed: HTTP 503 service_unavailable', {
    code: 'service_unavailable',
    status: 503,
    retryable: true,
    retryAfterMs,
  });

/** A sleep that records what it was asked to wait and returns at once. */
function fakeSleep(): { sleep: Sleep; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

/** An operation that fails with `errors` in turn, then answers 'ok'. */
function failing(...errors: Error[]): { operation: (attempt: number) => Promise<string>; attempts: number[] } {
  const attempts: number[] = [];
  return {
    attempts,
    operation: async (attempt) => {
      attempts.push(attempt);
      const error = errors.shift();
      if (error) throw error;
      return 'ok';
    },
  };
}

test('the defaults are base 250 ms, cap 20 s, 8 attempts, giving up after 5 minutes without an answer', () => {
  assert.deepEqual(DEFAULT_RETRY_POLICY, { baseMs: 250, capMs: 20_000, maxAttempts: 8, giveUpAfterMs: 300_000 });
});

test('full jitter: each delay lies in [0, min(cap, base * 2^retry)], spanning the whole range', () => {
  for (const [retry, ceiling] of [
    [0, 100],
    [1, 200],
    [2, 400],
    [3, 800],
    [4, 1_000],
    [10, 1_000],
    [60, 1_000],
  ] as const) {
    assert.equal(
      backoffDelay(retry, policy, () => 0),
      0,
      `retry ${retry}, random 0`,
    );
    const top = backoffDelay(retry, policy, () => 0.999_999);
    assert.ok(top <= ceiling && top >= ceiling - 1, `retry ${retry}: ${top} should be just under ${ceiling}`);
    assert.equal(
      backoffDelay(retry, policy, () => 0.5),
      Math.floor(ceiling / 2),
    );
  }
});

test('a Retry-After is a floor: the wait is at least that, and is not cut to the cap', () => {
  assert.equal(
    retryDelay(0, 5_000, policy, () => 0),
    5_000,
  );
  assert.equal(
    retryDelay(0, 30_000, policy, () => 0.99),
    30_000,
  );
  assert.equal(
    retryDelay(3, 10, policy, () => 0.5),
    400,
    'a short Retry-After does not shorten the backoff',
  );
  assert.equal(
    retryDelay(3, null, policy, () => 0.5),
    400,
  );
});

test('Retry-After is read as delta-seconds or as an HTTP date', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('0', now), 0);
  assert.equal(parseRetryAfter(' 7 ', now), 7_000);
  assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now), 30_000);
  assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:59:00 GMT', now), 0, 'a date in the past means now');
  assert.equal(parseRetryAfter('soon', now), null);
  assert.equal(parseRetryAfter(undefined, now), null);
  assert.equal(parseRetryAfter('-3', now), null);
});

test('withRetry retries retryable errors with the jittered delays and tells onRetry each time', async () => {
  const { sleep, waits } = fakeSleep();
  const infos: RetryInfo[] = [];
  const first = retryable();
  const { operation, attempts } = failing(first, retryable(), retryable());
  const result = await withRetry(operation, {
    request: 'GET limits',
    policy,
    random: () => 0.5,
    sleep,
    onRetry: (info) => infos.push(info),
  });
  assert.equal(result, 'ok');
  assert.deepEqual(attempts, [1, 2, 3, 4]);
  assert.deepEqual(waits, [50, 100, 200]);
  assert.deepEqual(
    infos.map(({ attempt, delayMs, request }) => ({ attempt, delayMs, request })),
    [
      { attempt: 1, delayMs: 50, request: 'GET limits' },
      { attempt: 2, delayMs: 100, request: 'GET limits' },
      { attempt: 3, delayMs: 200, request: 'GET limits' },
    ],
  );
  assert.equal(infos[0]!.error, first);
});

test("withRetry waits at least the server's Retry-After", async () => {
  const { sleep, waits } = fakeSleep();
  const { operation } = failing(retryable(3_000), retryable(0));
  await withRetry(operation, { request: 'POST upload session', policy, random: () => 0, sleep });
  assert.deepEqual(waits, [3_000, 0]);
});

test('withRetry gives up after maxAttempts in all and throws the last error', async () => {
  const { sleep, waits } = fakeSleep();
  const errors = Array.from({ length: 10 }, () => retryable());
  const { operation, attempts } = failing(...errors);
  await assert.rejects(
    withRetry(operation, { request: 'GET limits', policy, random: () => 0, sleep }),
    (error) => error === errors[4],
  );
  assert.equal(attempts.length, 5);
  assert.equal(waits.length, 4);
});

test('withRetry never retries a non-retryable error or an error that is not a ServiceError', async () => {
  const notFound = new ServiceError('GET deploy dpl_x failed: HTTP 404 deploy_not_found', {
    code: 'deploy_not_found',
    status: 404,
  });
  const local = new Error('EACCES: permission denied, open index.html');
  for (const error of [notFound, local]) {
    const { sleep, waits } = fakeSleep();
    const onRetry = () => assert.fail('onRetry must not be called');
    const { operation, attempts } = failing(error);
    await assert.rejects(withRetry(operation, { request: 'x', policy, sleep, onRetry }), (thrown) => thrown === error);
    assert.deepEqual(attempts, [1]);
    assert.deepEqual(waits, []);
  }
});

test('an abort during a backoff wait ends it at once with code "aborted"', async () => {
  const controller = new AbortController();
  const { operation, attempts } = failing(retryable(60_000));
  const started = performance.now();
  const pending = withRetry(operation, {
    request: 'PUT blob 3f2a9c01d2e4…',
    policy,
    signal: controller.signal,
    // The real sleep, asked to wait a minute: only the abort can end it in time.
    sleep: abortableSleep,
    onRetry: () => setImmediate(() => controller.abort()),
  });
  await assert.rejects(
    pending,
    (error) =>
      error instanceof ServiceError &&
      error.code === 'aborted' &&
      !error.retryable &&
      /PUT blob 3f2a9c01d2e4…/.test(error.message),
  );
  assert.ok(performance.now() - started < 1_000, 'the wait ended at the abort, not after 60 s');
  assert.deepEqual(attempts, [1]);
});

test('an already-aborted signal stops withRetry before the first attempt', async () => {
  const { operation, attempts } = failing();
  await assert.rejects(withRetry(operation, { request: 'GET limits', signal: AbortSignal.abort() }), {
    code: 'aborted',
  });
  assert.deepEqual(attempts, []);
});

test('abortableSleep resolves after its delay when nothing aborts it', async () => {
  const started = performance.now();
  await abortableSleep(20, new AbortController().signal, 'x');
  assert.ok(performance.now() - started >= 19);
});

test('withRetry starts no retry past giveUpAfterMs without an answer, and says so; an answer in between restarts that clock', async () => {
  // A clock the fake sleep moves: each attempt fails after 1 s, each wait is 100 ms (random 0.5 of 200).
  let clock = 0;
  const sleep: Sleep = async (ms) => void (clock += ms);
  const stalls = () => ({
    attempts: [] as number[],
    operation(this: { attempts: number[] }, attempt: number): Promise<never> {
      this.attempts.push(attempt);
      clock += 1_000;
      return Promise.reject(
        new ServiceError('GET limits: no bytes moved for 1000 ms.', { code: 'stalled', retryable: true }),
      );
    },
  });
  const quiet = stalls();
  const infos: RetryInfo[] = [];
  const options = {
    request: 'GET limits',
    policy: { baseMs: 200, capMs: 200, maxAttempts: 8, giveUpAfterMs: 3_500 },
    random: () => 0.5,
    sleep,
    now: () => clock,
  };
  const error = await withRetry((attempt) => quiet.operation(attempt), {
    ...options,
    onRetry: (info) => infos.push(info),
  }).catch((thrown: unknown) => thrown);
  assert.ok(error instanceof ServiceError);
  assert.equal(error.code, 'stalled');
  assert.equal(error.retryable, true, 'a later run may find the server back');
  assert.match(
    error.message,
    /^GET limits: no bytes moved for 1000 ms\. Gave up: no answer from the server for 3\.5 s\.$/,
  );
  // Attempts end at 1.0, 2.1, 3.2 s: a retry after the third would start at 3.3 s, within 3.5 s; the fourth ends at 4.3 s.
  assert.deepEqual(quiet.attempts, [1, 2, 3, 4]);
  assert.deepEqual(
    infos.map((info) => [info.attempt, info.maxAttempts]),
    [
      [1, 8],
      [2, 8],
      [3, 8],
    ],
  );

  clock = 0;
  const answered = stalls();
  // Something came back 100 ms before each failure: the server is there, so only maxAttempts ends it.
  const busy = await withRetry((attempt) => answered.operation(attempt), {
    ...options,
    lastActivityAt: () => clock - 100,
  }).catch((thrown: unknown) => thrown);
  assert.ok(busy instanceof ServiceError && !busy.message.includes('Gave up'));
  assert.equal(answered.attempts.length, 8);
});
