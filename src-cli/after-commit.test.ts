/**
 * After the commit, from the command line, against a real `pressdrop serve`
 * process: aliases promoted and rolled back (the preview by alias follows),
 * versions compared, and versions printed to PDF, read back with pdftotext.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  committedVersion,
  deployArgs,
  jsonEvents,
  runCli,
  startLoggedServer,
  tempDir,
  writeTree,
  type CliResult,
  type LoggedServer,
} from './testing/deploy-harness.ts';

/** `pressdrop <args>` aimed at the test's server. */
function cli(t: TestContext, server: LoggedServer, ...args: string[]): Promise<CliResult> {
  return runCli(t, [...args, '--api', server.url, '--api-key', server.apiKey], 90_000);
}

const INDEX_ONE = '<title>Docs</title><h1>Version one of the docs</h1>';
const INDEX_TWO = '<title>Docs</title><h1>Version two of the docs!</h1>';

/** Two versions of deploy `docs`: #1, then #2 with one file added, one removed and one changed. */
async function twoVersions(t: TestContext, server: LoggedServer): Promise<{ site: string; state: string }> {
  const site = tempDir(t, 'site');
  const state = tempDir(t, 'state');
  writeTree(site, { 'index.html': INDEX_ONE, 'old.txt': 'going away', 'guide/start.html': 'start' });
  assert.equal(
    committedVersion(await runCli(t, deployArgs(server, state, site, '--create', 'docs', '--json'))).versionNo,
    1,
  );
  writeTree(site, { 'index.html': INDEX_TWO, 'new.txt': 'here now' });
  execFileSync('rm', [join(site, 'old.txt')]);
  assert.equal(
    committedVersion(await runCli(t, deployArgs(server, state, site, '--deploy', 'docs', '--json'))).versionNo,
    2,
  );
  return { site, state };
}

async function preview(server: LoggedServer, path: string): Promise<string> {
  return (await fetch(new URL(path, server.url))).text();
}

test(
  'alias set promotes and rolls back, and the preview by alias serves what it points at; ls and rm',
  { timeout: 120_000 },
  async (t) => {
    const server = await startLoggedServer(t);
    await twoVersions(t, server);
    const promoted = await cli(t, server, 'alias', 'set', 'docs', 'production', '2');
    assert.equal(promoted.stdout, 'production now points at docs #2 (new alias).\n', promoted.stderr);
    assert.match(await preview(server, '/preview/docs/production/'), /Version two/);
    const rolledBack = await cli(t, server, 'alias', 'set', 'docs', 'production', '#1');
    assert.equal(rolledBack.stdout, 'production rolled back: docs #2 → #1.\n');
    assert.match(await preview(server, '/preview/docs/production/'), /Version one/);
    // An alias can name another alias's version.
    const json = await cli(t, server, 'alias', 'set', 'docs', 'stable', 'production', '--json');
    assert.deepEqual(
      jsonEvents(json.stdout).map((e) => [e.type, e.versionNo, e.previousVersionNo]),
      [['alias', 1, null]],
    );
    assert.match(
      (await cli(t, server, 'alias', 'ls', 'docs')).stdout,
      /^production\s+#1\s+dv_\S+\s+since \S+\nstable\s+#1/,
    );
    assert.equal(
      (await cli(t, server, 'alias', 'rm', 'docs', 'stable')).stdout,
      'Removed stable from docs; its version is still there.\n',
    );

    for (const [args, message] of [
      [['alias', 'set', 'docs', 'Production', '1'], /"Production" is not an alias name/],
      [['alias', 'set', 'docs', 'production', '7'], /docs has no version #7: its newest is #2/],
      [['alias', 'set', 'nope', 'production', '1'], /No deploy "nope" here; `pressdrop deploys` lists them/],
      [['alias', 'rm', 'docs', 'stable'], /docs has no alias "stable"/],
    ] as const) {
      const refused = await cli(t, server, ...args);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr.trim(), message);
      assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    }
  },
);

test(
  'diff gives the exact added, removed and changed paths, by number, id or alias, as text and as JSON',
  { timeout: 120_000 },
  async (t) => {
    const server = await startLoggedServer(t);
    await twoVersions(t, server);
    await cli(t, server, 'alias', 'set', 'docs', 'production', '1');
    const text = await cli(t, server, 'diff', 'docs', 'production', '2');
    assert.equal(text.code, 0, text.stderr);
    assert.equal(
      text.stdout,
      [
        '+ new.txt  (8 B)',
        '- old.txt  (10 B)',
        `~ index.html  (${INDEX_ONE.length} B → ${INDEX_TWO.length} B)`,
        'docs #1 → #2: 1 added, 1 removed, 1 changed, 1 unchanged.',
        '',
      ].join('\n'),
    );
    const json = jsonEvents((await cli(t, server, 'diff', 'docs', '2', '1', '--json')).stdout);
    assert.deepEqual(json.slice(0, 3), [
      { type: 'file', change: 'added', path: 'old.txt', size: 10 },
      { type: 'file', change: 'removed', path: 'new.txt', size: 8 },
      {
        type: 'file',
        change: 'changed',
        path: 'index.html',
        sizeBefore: INDEX_TWO.length,
        sizeAfter: INDEX_ONE.length,
      },
    ]);
    assert.deepEqual(
      { ...json[3], deployId: '', from: null, to: null },
      { type: 'diff', deployId: '', from: null, to: null, added: 1, removed: 1, changed: 1, unchanged: 1 },
    );
  },
);

test(
  'render saves the PDF of a version (by alias, number, or the newest); a page that fails exits 3 with its reason',
  { timeout: 180_000 },
  async (t) => {
    // Retries 0.3 s and 1.2 s apart: the failing page below is tried three times.
    const server = await startLoggedServer(t, ['--render-retry-delay', '300']);
    const { site, state } = await twoVersions(t, server);
    const out = tempDir(t, 'out');
    await cli(t, server, 'alias', 'set', 'docs', 'production', '1');
    const byAlias = await cli(t, server, 'render', 'docs', '--alias', 'production', '--out', join(out, 'prod.pdf'));
    assert.equal(byAlias.code, 0, byAlias.stderr);
    assert.match(byAlias.stdout, /^Saved .*prod\.pdf \(1 page, [\d.]+ KiB\)\.\n$/);
    // Off a terminal, one line per state as it changes.
    assert.match(
      byAlias.stderr,
      /Rendering docs #1: queued\n(Rendering docs #1: rendering\n)?Rendering docs #1: done\n/,
    );
    assert.match(
      execFileSync('pdftotext', [join(out, 'prod.pdf'), '-'], { encoding: 'utf8' }),
      /Version one of the docs/,
    );

    const newest = await cli(t, server, 'render', 'docs', '--json', '--out', join(out, 'new.pdf'));
    const events = jsonEvents(newest.stdout);
    assert.equal(events.at(-1)!.type, 'rendered');
    assert.ok(events.slice(0, -1).every((event) => event.type === 'render'));
    assert.match(
      execFileSync('pdftotext', [join(out, 'new.pdf'), '-'], { encoding: 'utf8' }),
      /Version two of the docs!/,
    );

    // A version whose page throws: three attempts, then exit 3 and the reason in one line.
    writeTree(site, { 'index.html': '<title>x</title><script>throw new Error("chart data missing")</script>' });
    assert.equal(
      committedVersion(await runCli(t, deployArgs(server, state, site, '--deploy', 'docs', '--json'))).versionNo,
      3,
    );
    const failed = await cli(t, server, 'render', 'docs', '--version', '3', '--out', join(out, 'never.pdf'));
    assert.equal(failed.code, 3, failed.stderr);
    assert.match(failed.stderr, /retry in \d+ s \(attempt [12] failed: The page threw: .*chart data missing\)/);
    assert.match(
      failed.stderr.trim().split('\n').at(-1)!,
      /^The render of docs #3 failed after 3 attempt\(s\): The page threw: .*chart data missing$/,
    );
    assert.throws(() => execFileSync('test', ['-e', join(out, 'never.pdf')]), 'no PDF file was written');

    const queued = jsonEvents((await cli(t, server, 'render', 'docs', '--version', '1', '--no-wait', '--json')).stdout);
    assert.deepEqual(
      queued.map((event) => [event.type, (event.renderJob as { status: string }).status]),
      [['render', 'queued']],
    );
  },
);

test(
  'deploy --alias --render --out: the new version is aliased and printed; press.json gives the Title and aliases, and a bad one costs no upload',
  { timeout: 180_000 },
  async (t) => {
    const server = await startLoggedServer(t);
    const site = tempDir(t, 'site');
    const state = tempDir(t, 'state');
    const out = tempDir(t, 'out');
    writeTree(site, {
      'index.html': '<title>Page title</title><h1>The launch plan</h1>',
      'press.json': JSON.stringify({ render: { title: 'Launch Plan' }, aliases: ['latest'] }),
    });

    const deployed = await runCli(
      t,
      deployArgs(
        server,
        state,
        site,
        '--create',
        'plan',
        '--alias',
        'production',
        '--render',
        '--out',
        join(out, 'plan.pdf'),
      ),
    );
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.match(
      deployed.stdout,
      /Deployed version #1 .*\n[\s\S]*  production now points at #1\.\nSaved .*plan\.pdf \(1 page, /,
    );
    assert.match(execFileSync('pdftotext', [join(out, 'plan.pdf'), '-'], { encoding: 'utf8' }), /The launch plan/);
    assert.match(execFileSync('pdfinfo', [join(out, 'plan.pdf')], { encoding: 'utf8' }), /^Title:\s+Launch Plan$/m);
    // --alias replaces press.json's aliases; press.json is never uploaded.
    assert.match((await cli(t, server, 'alias', 'ls', 'plan')).stdout, /^production\s+#1/);
    assert.equal((await server.request('GET', '/preview/plan/1/press.json')).status, 404);

    // Without flags, press.json's aliases are pointed, and --json ends with them after the commit.
    writeTree(site, { 'index.html': '<title>Page title</title><h1>The launch plan, v2</h1>' });
    const second = jsonEvents((await runCli(t, deployArgs(server, state, site, '--deploy', 'plan', '--json'))).stdout);
    assert.deepEqual(
      second.slice(-2).map((event) => event.type),
      ['committed', 'alias'],
    );
    assert.equal((second.at(-1)!.alias as { name: string }).name, 'latest');

    // A press.json that cannot be used, or a route that names no file: refused in one line, before a byte is sent.
    const sent = server.log.mark();
    writeTree(site, { 'press.json': '{"render": {"tilte": "typo"}}' });
    const badConfig = await runCli(t, deployArgs(server, state, site, '--deploy', 'plan'));
    assert.equal(badConfig.code, 1);
    assert.match(
      badConfig.stderr,
      /^pressdrop: press\.json: render has a field it does not know, "tilte" .* Nothing was uploaded\.\n$/,
    );
    writeTree(site, { 'press.json': '{}' });
    const badRoute = await runCli(t, deployArgs(server, state, site, '--deploy', 'plan', '--route', '/missing.html'));
    assert.equal(badRoute.code, 1);
    assert.match(badRoute.stderr, /The render route "\/missing\.html" names no file of the folder/);
    assert.deepEqual(server.log.matching('POST', /upload-sessions/, sent), [], 'no session was opened');
  },
);
