import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeployEvent } from '../../../src-shared/upload-model.ts';
import { SLIDELESS_API_URL } from '../../../src-shared/service-urls.ts';
import { readSlidelessJson, slidelessTarget, slidelessTargetFromJob } from './slideless-target.ts';
import { FAST_RETRY } from '../../testing/peer-process.ts';
import { deployFolder, scratch } from '../../testing/scratch.ts';
import { startSlidelessPeer } from './testing/slideless-peer-process.ts';

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');
const UPLOAD = '/uploadPresentationAsset';

test('first deploy makes a new presentation and writes slideless.json as the Slideless CLI does; a no-op re-deploy uploads nothing; one changed file is one upload', async (t) => {
  const hero = randomBytes(40_000);
  const { folder: deck, engine } = deployFolder(
    t,
    { 'index.html': '<h1>Q3</h1>', 'styles.css': 'h1 { color: red }', 'images/hero.bin': hero },
    'Quarterly review',
  );
  const peer = await startSlidelessPeer(t);
  const { account } = peer;

  assert.equal(await readSlidelessJson(deck, account.apiUrl), null, 'a folder never pushed has none');
  const events: DeployEvent[] = [];
  const first = engine.deploy({
    folder: deck,
    target: slidelessTarget(account, { newPresentation: true }),
    retry: FAST_RETRY,
  });
  first.on((event) => events.push(event));
  const one = await first.result;
  const presentationId = one.deployVersion.deployId;
  assert.deepEqual(
    { ...one.deployVersion, createdAt: 0 },
    {
      id: `${presentationId}/1`,
      displayId: '#1',
      deployId: presentationId,
      versionNo: 1,
      route: null,
      title: 'Quarterly review',
      status: 'ready',
      createdAt: 0,
    },
    'the title defaults to the folder name',
  );
  assert.ok(Math.abs(one.deployVersion.createdAt - Date.now()) < 60_000);
  assert.match(
    one.previewUrl!,
    new RegExp(`^${peer.url}/p/${presentationId}/\\?token=`),
    'the share URL the API returned',
  );
  assert.equal(one.slug, null);
  assert.equal(peer.count(UPLOAD), 3);
  const session = events.find((event) => event.type === 'session');
  assert.ok(session && !session.resumed && session.expiresAt - session.createdAt === 3_600_000);

  const json = JSON.parse(readFileSync(join(deck, 'slideless.json'), 'utf8')) as Record<string, unknown>;
  // The CLI's fields, and the API this presentation lives on, as it is not Slideless's own (a local peer).
  assert.deepEqual(Object.keys(json), ['presentationId', 'lastPulledVersion', 'lastPulledAt', 'role', 'baseUrl']);
  assert.equal(json.baseUrl, account.apiUrl);
  assert.equal(json.presentationId, presentationId);
  assert.equal(json.lastPulledVersion, 1);
  assert.equal(json.role, 'owner');
  assert.ok(readFileSync(join(deck, 'slideless.json'), 'utf8').endsWith('}\n'), 'two-space JSON and a newline');
  assert.deepEqual(await readSlidelessJson(deck, account.apiUrl), { presentationId });
  assert.equal(await readSlidelessJson(deck, SLIDELESS_API_URL), null, "the peer's presentation is not Slideless's");

  const read = await peer.get(`/presentations/${presentationId}`);
  const manifest = (read.body as { data: { files: Array<{ path: string; sha256: string; contentType: string }> } })
    .data;
  assert.deepEqual(manifest.files.map((file) => [file.path, file.sha256]).sort(), [
    ['images/hero.bin', sha256(hero)],
    ['index.html', sha256('<h1>Q3</h1>')],
    ['styles.css', sha256('h1 { color: red }')],
  ]);
  const page = await fetch(one.previewUrl!);
  assert.equal(await page.text(), '<h1>Q3</h1>');

  // The next deploy of the folder is an update, as slideless.json says; slideless.json itself is not deployed.
  const again = engine.deploy({
    folder: deck,
    target: slidelessTarget(account, (await readSlidelessJson(deck, account.apiUrl))!),
    retry: FAST_RETRY,
  });
  const two = await again.result;
  assert.equal(two.deployVersion.deployId, presentationId);
  assert.equal(two.deployVersion.versionNo, 2);
  assert.equal(two.deployVersion.title, null, 'an update without a title keeps the presentation’s');
  assert.equal(peer.count(UPLOAD), 3, 'nothing uploaded');
  assert.equal(two.totals.uploadBytes, 0);
  const v2 = (await peer.get(`/presentations/${presentationId}`)).body as { data: { files: unknown[]; title: string } };
  assert.equal(v2.data.files.length, 3, 'slideless.json is not a file of the version');
  assert.equal(v2.data.title, 'Quarterly review');
  assert.equal(
    (JSON.parse(readFileSync(join(deck, 'slideless.json'), 'utf8')) as { lastPulledVersion: number }).lastPulledVersion,
    2,
  );

  writeFileSync(join(deck, 'styles.css'), 'h1 { color: blue }');
  const three = await engine.deploy({
    folder: deck,
    target: slidelessTarget(account, { presentationId }),
    retry: FAST_RETRY,
  }).result;
  assert.equal(three.deployVersion.versionNo, 3);
  assert.equal(peer.count(UPLOAD), 4, 'one file changed, one upload');
  assert.equal(three.totals.uploadBytes, Buffer.byteLength('h1 { color: blue }'));
});

test('a journaled job rebuilds its target; a refused new presentation left something only while its session lives, or once created', () => {
  const account = { apiUrl: 'http://127.0.0.1:9/', apiKey: 'cko_x' };
  const target = slidelessTarget(account, { newPresentation: true }, { title: 'Deck', entryPath: 'deck.html' });
  assert.equal(target.endpoint, 'http://127.0.0.1:9');
  assert.deepEqual(target.capabilities, { versions: false, aliases: false, render: false });
  assert.equal(target.destination.key, 'new');
  assert.equal(target.destination.name, 'Deck');
  const rebuilt = slidelessTargetFromJob({ apiUrl: target.endpoint, destination: target.destination }, 'cko_x');
  assert.deepEqual(rebuilt.destination, target.destination);
  const named = slidelessTarget(account, { presentationId: 'p1' });
  assert.deepEqual([named.destination.key, named.destination.id], ['presentation:p1', 'p1']);

  let state: unknown = null;
  const journal = { read: <S>() => state as S | null, write: (next: unknown) => void (state = next) };
  const refusal = { code: 'payload-too-large' };
  assert.deepEqual(target.settleRefusal(journal, refusal), { leftSomething: false }, 'nothing sent yet');
  const now = Date.now();
  state = {
    presentationId: 'r1',
    exists: false,
    session: { id: 's1', openedAt: now, expiresAt: now + 3_600_000 },
    baseVersion: null,
    commitSent: null,
  };
  assert.equal(target.settleRefusal(journal, refusal).leftSomething, true, 'a live session: a resume uploads into it');
  state = { ...(state as object), session: { id: 's1', openedAt: now - 3_600_000, expiresAt: now } };
  assert.equal(
    target.settleRefusal(journal, refusal).leftSomething,
    false,
    'its session is gone: the reserved id is lost',
  );
  state = { presentationId: 'r1', exists: true, session: null, baseVersion: 1, commitSent: null };
  const created = target.settleRefusal(journal, refusal);
  assert.equal(created.leftSomething, true);
  assert.match(created.note!, /Presentation r1 was created/);
  assert.equal(named.settleRefusal(journal, refusal).leftSomething, false, 'an update leaves nothing of its own');
});

test('readSlidelessJson reads the CLI’s file for the API it names (baseUrl, else Slideless’s own) and refuses a malformed one in words', async (t) => {
  const dir = scratch(t);
  writeFileSync(
    join(dir, 'slideless.json'),
    JSON.stringify({
      presentationId: 'p9',
      lastPulledVersion: 4,
      lastPulledAt: '2026-01-01T00:00:00Z',
      role: 'dev',
      baseUrl: 'https://x',
    }),
  );
  assert.deepEqual(await readSlidelessJson(dir, 'https://x/'), { presentationId: 'p9' });
  assert.equal(await readSlidelessJson(dir, SLIDELESS_API_URL), null, 'a presentation of another API');
  writeFileSync(join(dir, 'slideless.json'), JSON.stringify({ presentationId: 'p10', lastPulledVersion: 1 }));
  assert.deepEqual(await readSlidelessJson(dir, SLIDELESS_API_URL), { presentationId: 'p10' }, 'no baseUrl: Slideless');
  assert.equal(await readSlidelessJson(dir, 'http://127.0.0.1:9'), null);
  writeFileSync(join(dir, 'slideless.json'), '{ not json');
  await assert.rejects(readSlidelessJson(dir, SLIDELESS_API_URL), /slideless\.json is not valid JSON/);
  writeFileSync(join(dir, 'slideless.json'), '{}');
  await assert.rejects(readSlidelessJson(dir, SLIDELESS_API_URL), /names no presentationId/);
});
