import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { slidelessErrors, type SlidelessErrorCode } from '../../../src-shared/slideless-errors.ts';
import type { DeployFailure } from '../../../src-shared/upload-model.ts';
import type { DeployEngine } from '../../deploy-engine.ts';
import type { DeployTarget } from '../../ports.ts';
import { FAST_RETRY, type TestContextLike } from '../../testing/peer-process.ts';
import { deployFolder, engineIn, writeFiles } from '../../testing/scratch.ts';
import { slidelessError } from './slideless-error.ts';
import { slidelessTarget } from './slideless-target.ts';
import { makeKey, startSlidelessPeer, type SlidelessPeer } from './testing/slideless-peer-process.ts';

const KEY = 'cko_secretsecretsecret';
const UPLOAD = '/uploadPresentationAsset';

test('every Slideless code becomes a ServiceError of that code, led by its words, with the key redacted', () => {
  for (const [code, { status, message }] of Object.entries(slidelessErrors)) {
    const error = slidelessError({
      request: 'commitPresentationVersion',
      status,
      body: { success: false, error: { code, message: `key ${KEY} refused`, details: { serverVersion: 3 } } },
      retryAfterMs: null,
      redact: (text) => text.split(KEY).join('[redacted]'),
    });
    assert.equal(error.code, code);
    assert.equal(error.status, status);
    assert.equal(error.retryable, false, code);
    assert.ok(error.message.startsWith(message), `${code}: ${error.message}`);
    assert.ok(error.message.includes(`HTTP ${status} ${code}: key [redacted] refused`), error.message);
    assert.ok(!error.message.includes(KEY));
    assert.equal(error.details.serverVersion, 3);
  }
});

test('429 resource-exhausted and 503 unavailable pass on as they came, retryable, with the Retry-After', () => {
  const redact = (text: string) => text;
  const limited = slidelessError({
    request: 'precheckAssets',
    status: 429,
    body: { success: false, error: { code: 'resource-exhausted', message: 'slow down' } },
    retryAfterMs: 7_000,
    redact,
  });
  assert.deepEqual([limited.code, limited.retryable, limited.retryAfterMs], ['resource-exhausted', true, 7_000]);
  const down = slidelessError({
    request: 'precheckAssets',
    status: 503,
    body: { success: false, error: { code: 'unavailable', message: 'down' } },
    retryAfterMs: null,
    redact,
  });
  assert.deepEqual([down.code, down.retryable], ['unavailable', true]);
  const html = slidelessError({
    request: 'precheckAssets',
    status: 502,
    body: '<html>gateway</html>',
    retryAfterMs: null,
    redact,
  });
  assert.deepEqual([html.code, html.retryable], ['bad_response', true]);
});

/**
 * Runs a deploy that must fail; its failure, checked to be `code`, without the key, and (a service's
 * refusal, not PressDrop's own check of the plan) led by the table's words.
 */
async function refused(
  engine: DeployEngine,
  folder: string,
  target: DeployTarget,
  code: SlidelessErrorCode,
  apiKey: string,
  byService = true,
): Promise<DeployFailure> {
  const run = engine.deploy({ folder, target, retry: FAST_RETRY });
  let failure: DeployFailure | null = null;
  run.on((event) => {
    if (event.type === 'failed') failure = event.failure;
  });
  await assert.rejects(run.result);
  assert.ok(failure, 'a failed event');
  const { code: got, message } = failure as DeployFailure;
  assert.equal(got, code, message);
  if (byService) assert.ok(message.startsWith(slidelessErrors[code].message), message);
  assert.ok(!message.includes(apiKey), 'the key is never in a message');
  return failure;
}

/** A peer, an engine, a deck folder and the account, for one test. */
async function setUp(t: TestContextLike, args: string[] = []) {
  const { dir, folder, engine } = deployFolder(t, { 'index.html': '<h1>deck</h1>', 'a.css': 'a {}' }, 'deck');
  const peer = await startSlidelessPeer(t, args);
  return { dir, peer, folder, engine, account: peer.account };
}

test('unauthenticated: a key Slideless does not take is refused before the folder is hashed, in words, never echoed', async (t) => {
  const { peer, folder, engine } = await setUp(t);
  const wrong = makeKey();
  await refused(
    engine,
    folder,
    slidelessTarget({ apiUrl: peer.url, apiKey: wrong }, { newPresentation: true }),
    'unauthenticated',
    wrong,
  );
  assert.equal(peer.count(UPLOAD), 0);
});

test('not-found: a presentation that does not exist is refused before anything is sent', async (t) => {
  const { peer, folder, engine, account } = await setUp(t);
  await refused(engine, folder, slidelessTarget(account, { presentationId: 'no-such-deck' }), 'not-found', peer.apiKey);
  assert.equal(peer.count(UPLOAD), 0);
});

test('permission-denied: another key’s presentation', async (t) => {
  const { dir, peer, folder, engine, account } = await setUp(t);
  const first = await engine.deploy({
    folder,
    target: slidelessTarget(account, { newPresentation: true }),
    retry: FAST_RETRY,
  }).result;
  await peer.stop();
  const other = await startSlidelessPeer(t, [], { dataDir: peer.dataDir });
  const target = slidelessTarget(other.account, { presentationId: first.deployVersion.deployId });
  await refused(engineIn(t, dir, 'other-state').engine, folder, target, 'permission-denied', other.apiKey);
});

test('invalid-argument: an entry page that is not in the folder, or not HTML, is refused before anything is sent', async (t) => {
  const { peer, folder, engine, account } = await setUp(t);
  const missing = await refused(
    engine,
    folder,
    slidelessTarget(account, { newPresentation: true }, { entryPath: 'deck.html' }),
    'invalid-argument',
    peer.apiKey,
    false,
  );
  assert.match(missing.message, /"deck\.html" is not a file of the folder/);
  const notHtml = await refused(
    engine,
    folder,
    slidelessTarget(account, { newPresentation: true }, { entryPath: 'a.css' }),
    'invalid-argument',
    peer.apiKey,
    false,
  );
  assert.match(notHtml.message, /not an HTML file/);
  assert.equal(peer.count(UPLOAD), 0);
});

test('payload-too-large and too-many-files: the plan caps Slideless enforces at commit, in words', async (t) => {
  const { peer, folder, engine, account } = await setUp(t);
  // The peer runs the free plan: 10 MB HTML files, 500 files.
  writeFiles(folder, { 'index.html': Buffer.alloc(10_000_001, 'a') });
  await refused(engine, folder, slidelessTarget(account, { newPresentation: true }), 'payload-too-large', peer.apiKey);
  const many: Record<string, string> = { 'index.html': '<h1>many</h1>' };
  for (let i = 0; i < 501; i++) many[`f/${i}.txt`] = String(i);
  const crowded = join(folder, '..', 'crowded');
  writeFiles(crowded, many);
  await refused(engine, crowded, slidelessTarget(account, { newPresentation: true }), 'too-many-files', peer.apiKey);
});

test('conflict: a version someone else commits while the deploy runs refuses its commit, in words', async (t) => {
  const { peer, folder, engine, account } = await setUp(t);
  const first = await engine.deploy({
    folder,
    target: slidelessTarget(account, { newPresentation: true }),
    retry: FAST_RETRY,
  }).result;
  const id = first.deployVersion.deployId;
  writeFiles(folder, { 'a.css': 'a { color: red }' });
  const run = engine.deploy({ folder, target: slidelessTarget(account, { presentationId: id }), retry: FAST_RETRY });
  let failure: DeployFailure | null = null;
  run.on((event) => {
    if (event.type === 'failed') failure = event.failure;
    // The job has read its base version (opening the session, in the check phase); someone else commits
    // before its commit goes out. Not at 'check' itself: that phase begins before the base version is read.
    if (event.type === 'phase' && event.phase === 'upload') {
      run.pause();
      void commitBehindItsBack(peer, id).then(() => run.resume());
    }
  });
  await assert.rejects(run.result);
  const { code, message } = failure!;
  assert.equal(code, 'conflict');
  assert.ok(message.startsWith(slidelessErrors.conflict.message), message);
  assert.match(message, /Server is at version 2, client expected 1/);
});

/** Commits the presentation's latest manifest again, as another client would. */
async function commitBehindItsBack(peer: SlidelessPeer, id: string): Promise<void> {
  const latest = (await peer.get(`/presentations/${id}`)).body as { data: { entryPath: string; files: unknown[] } };
  const answer = await fetch(`${peer.url}/commitPresentationVersion`, {
    method: 'POST',
    headers: { authorization: `Bearer ${peer.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ presentationId: id, entryPath: latest.data.entryPath, files: latest.data.files }),
  });
  assert.equal(answer.status, 200);
}
