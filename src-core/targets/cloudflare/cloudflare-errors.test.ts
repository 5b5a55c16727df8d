import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { cloudflareErrors, type CloudflareErrorCode } from '../../../src-shared/cloudflare-errors.ts';
import { DeployError } from '../../deploy-run.ts';
import { ServiceError } from '../../http/service-error.ts';
import { failure } from '../../testing/expect-failure.ts';
import { FAST_RETRY, type TestContextLike } from '../../testing/peer-process.ts';
import { deployFolder } from '../../testing/scratch.ts';
import { CloudflareClient, type CloudflareAccount } from './cloudflare-client.ts';
import { cloudflareError } from './cloudflare-error.ts';
import { cloudflareTarget } from './cloudflare-target.ts';
import { startCloudflarePeer, type CloudflarePeer } from './testing/cloudflare-peer-process.ts';

const HASH = '0123456789abcdef0123456789abcdef';

/** Deploys a small folder to `account`'s Worker `scriptName` and answers the DeployError it must end with. */
async function refusal(
  t: TestContextLike,
  account: CloudflareAccount,
  options: { scriptName?: string; files?: Record<string, string>; maxAttempts?: number } = {},
): Promise<{ error: DeployError; phases: string[] }> {
  const { folder, engine } = deployFolder(t, options.files ?? { 'index.html': '<h1>hi</h1>' });
  const run = engine.deploy({
    folder,
    target: cloudflareTarget(account, { scriptName: options.scriptName ?? 'refused' }),
    retry: { ...FAST_RETRY, maxAttempts: options.maxAttempts ?? 8 },
  });
  const phases: string[] = [];
  run.on((event) => {
    if (event.type === 'phase') phases.push(event.phase);
  });
  try {
    await run.result;
  } catch (error) {
    assert.ok(error instanceof DeployError, String(error));
    return { error, phases };
  }
  assert.fail('the deploy was expected to fail');
}

/** The failure carries the code, PressDrop's words for it, and never the token. */
function assertWords(error: DeployError, code: CloudflareErrorCode, token: string): void {
  assert.equal(error.failure.code, code, error.message);
  assert.ok(error.message.includes(cloudflareErrors[code].message), error.message);
  assert.ok(!error.message.includes(token), 'the token is not in the message');
}

function accountOf(peer: CloudflarePeer, change: Partial<CloudflareAccount> = {}): CloudflareAccount {
  return { ...peer.account, ...change };
}

test('a token, account or URL Cloudflare refuses fails before the scan, each in words', async (t) => {
  const peer = await startCloudflarePeer(t);

  const token = await refusal(t, accountOf(peer, { apiToken: 'not-the-token' }));
  assertWords(token.error, 'cloudflare_unauthorized', 'not-the-token');
  assert.equal(token.error.resumable, false);
  assert.deepEqual(token.phases, [], 'nothing was scanned or hashed');

  const otherAccount = await refusal(t, accountOf(peer, { accountId: 'f'.repeat(32) }));
  assertWords(otherAccount.error, 'cloudflare_unauthorized', peer.apiToken);

  const malformed = await refusal(t, accountOf(peer, { accountId: 'my-account' }));
  assertWords(malformed.error, 'cloudflare_account_invalid', peer.apiToken);

  const wrongUrl = await refusal(t, accountOf(peer, { apiUrl: peer.url.replace('/client/v4', '/client/v3') }));
  assertWords(wrongUrl.error, 'cloudflare_not_found', peer.apiToken);
});

test('a Worker name Cloudflare would refuse is refused before anything is sent', async (t) => {
  const peer = await startCloudflarePeer(t);

  const name = await refusal(t, accountOf(peer), { scriptName: 'My Site' });
  assertWords(name.error, 'cloudflare_script_name_invalid', peer.apiToken);
  assert.equal(peer.requests().length, 0);
});

test('a Cloudflare that keeps answering 503 or 429 leaves a resumable job, in words', async (t) => {
  const unavailable = await startCloudflarePeer(t, '--faults', '503=1');
  const down = await refusal(t, accountOf(unavailable), { maxAttempts: 2 });
  assertWords(down.error, 'cloudflare_unavailable', unavailable.apiToken);
  assert.equal(down.error.resumable, true);

  const limited = await startCloudflarePeer(t, '--faults', '429=1,retry-after=1');
  const slow = await refusal(t, accountOf(limited), { maxAttempts: 2 });
  assertWords(slow.error, 'cloudflare_rate_limited', limited.apiToken);
  assert.equal(slow.error.resumable, true);
});

test('the assets service’s own refusals, each in words', async (t) => {
  const peer = await startCloudflarePeer(t);
  const client = new CloudflareClient(accountOf(peer), { retry: FAST_RETRY });
  t.after(() => client.close());
  const words = (error: ServiceError, code: CloudflareErrorCode) => {
    assert.equal(error.code, code, error.message);
    assert.ok(error.message.includes(cloudflareErrors[code].message), error.message);
  };

  const many: Record<string, { hash: string; size: number }> = {};
  for (let i = 0; i <= 20_000; i++) many[`/f${i}.txt`] = { hash: HASH, size: 1 };
  words(await failure(() => client.createAssetsSession('site', many)), 'cloudflare_too_many_files');
  words(
    await failure(() => client.createAssetsSession('site', { '/big.bin': { hash: HASH, size: 26 * 1024 * 1024 } })),
    'cloudflare_asset_too_large',
  );
  words(
    await failure(() => client.createAssetsSession('site', { '/a.txt': { hash: 'not-a-hash', size: 1 } })),
    'cloudflare_invalid_request',
  );

  // An upload with a JWT the service does not take is an expired session: the engine opens a new one.
  const body = {
    size: 4,
    contentType: 'multipart/form-data; boundary=x',
    open: () => Readable.from([Buffer.from('oops')]),
  };
  const progress = { signal: new AbortController().signal, onBytesSent: () => {}, onRetry: () => {} };
  const forged = await failure(() => client.uploadBucket('e30.e30.forged', body, progress));
  assert.equal(forged.code, 'upload_session_expired');
  assert.ok(!forged.message.includes('e30.e30.forged'), 'the JWT is not in the message');
});

test('every Cloudflare code PressDrop names is reached from an answer, with its words, and secrets never show', () => {
  const answer = (status: number, code: number | null, message = 'Cloudflare says no', text?: string) =>
    cloudflareError({
      request: 'POST something',
      status,
      body: text ?? (code === null ? {} : { success: false, errors: [{ code, message }], messages: [], result: null }),
      retryAfterMs: status === 429 ? 1000 : null,
      redact: (text) => text.split('sekrit-token').join('[redacted]'),
    });
  const reached: Record<CloudflareErrorCode, ServiceError> = {
    cloudflare_unauthorized: answer(403, 10000, 'Authentication error for sekrit-token'),
    cloudflare_invalid_request: answer(400, 10021),
    cloudflare_account_invalid: answer(400, 7003),
    cloudflare_not_found: answer(404, 7000),
    cloudflare_too_many_files: answer(400, 100303),
    cloudflare_asset_too_large: answer(400, 100302),
    cloudflare_body_too_large: answer(413, 100311),
    cloudflare_rate_limited: answer(429, 971),
    cloudflare_unavailable: answer(502, null, '', '<html>Bad gateway</html>'),
    // Raised by the adapter itself, before any request: no answer maps to it.
    cloudflare_script_name_invalid: new ServiceError(cloudflareErrors.cloudflare_script_name_invalid.message, {
      code: 'cloudflare_script_name_invalid',
    }),
  };
  for (const [code, error] of Object.entries(reached)) {
    assert.equal(error.code, code);
    assert.ok(error.message.includes(cloudflareErrors[code as CloudflareErrorCode].message), code);
  }
  assert.ok(!reached.cloudflare_unauthorized.message.includes('sekrit-token'));
  assert.ok(reached.cloudflare_unauthorized.message.includes('Cloudflare error 10000: Authentication error'));
  assert.equal(reached.cloudflare_rate_limited.retryable, true);
  assert.equal(reached.cloudflare_rate_limited.retryAfterMs, 1000);
  assert.equal(reached.cloudflare_unavailable.retryable, true);
  assert.equal(reached.cloudflare_invalid_request.retryable, false);
  // By meaning, the engine's own codes: the session is over; what arrived is not what was hashed.
  assert.equal(answer(401, 100305).code, 'upload_session_expired');
  assert.equal(answer(400, 100307).code, 'blob_hash_mismatch');
  // A code with no name and an unusual status passes on as it came, with Cloudflare's message.
  const unnamed = answer(409, 10055, 'Something else entirely');
  assert.equal(unnamed.code, 'cloudflare_10055');
  assert.ok(unnamed.message.includes('Something else entirely'));
});
