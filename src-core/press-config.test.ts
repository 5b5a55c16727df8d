import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeRenderConfig, parsePressConfig, PressConfigError, readPressConfig } from './press-config.ts';
import { scanFolder } from './scan-folder.ts';

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pressdrop-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('press.json gives the render config and the aliases of each new version', async () => {
  const config = await parsePressConfig(
    JSON.stringify({
      render: { route: '/report.html', title: 'Q3 Report', renderTimeoutMs: 45_000, metadata: { team: 'finance' } },
      aliases: ['production', 'latest', 'production'],
    }),
  );
  assert.deepEqual(config, {
    render: { route: '/report.html', title: 'Q3 Report', renderTimeoutMs: 45_000, metadata: { team: 'finance' } },
    aliases: ['production', 'latest'],
  });
  assert.deepEqual(await parsePressConfig('{}'), { render: null, aliases: [] });
});

test('a press.json that cannot be used is refused in words that name the field and what to write', async () => {
  const cases: Array<[string, RegExp]> = [
    ['{"render": {"title": "x"', /press\.json is not valid JSON .*fix it, or remove it/],
    ['[]', /press\.json must be a JSON object, e\.g\. \{"render"/],
    [
      '{"render": {"tilte": "Q3"}}',
      /press\.json: render has a field it does not know, "tilte" \(it knows render\.route, render\.title/,
    ],
    ['{"colour": "red"}', /press\.json: the file has a field it does not know, "colour"/],
    ['{"render": {"renderTimeoutMs": 900000}}', /render\.renderTimeoutMs must be at most 600000 \(10 minutes\)/],
    ['{"render": {"renderTimeoutMs": 1.5}}', /render\.renderTimeoutMs must be a whole number of milliseconds/],
    ['{"render": {"route": "https://example.com/x"}}', /render\.route must be a path in the folder/],
    ['{"render": {"route": ""}}', /render\.route must name the page to print/],
    ['{"aliases": ["Production"]}', /aliases\.0 must be 1-63 characters of a-z, 0-9 and -, starting with a letter/],
    ['{"aliases": ["2024"]}', /aliases\.0 must be 1-63 characters/],
    ['{"render": {"metadata": [1, 2]}}', /render\.metadata must be an object of name: value pairs/],
  ];
  for (const [text, message] of cases)
    await assert.rejects(
      parsePressConfig(text),
      (error: unknown) => error instanceof PressConfigError && message.test(error.message),
      text,
    );
});

test('the command line wins over press.json, field by field; metadata merges', () => {
  const fromFile = { route: '/a.html', title: 'From file', metadata: { team: 'docs', build: 1 } };
  assert.deepEqual(mergeRenderConfig(fromFile, { title: 'From flag', metadata: { build: 2 } }), {
    route: '/a.html',
    title: 'From flag',
    metadata: { team: 'docs', build: 2 },
  });
  assert.deepEqual(mergeRenderConfig(null, { renderTimeoutMs: 5000 }), { renderTimeoutMs: 5000 });
  assert.equal(mergeRenderConfig(null, {}), null);
});

test('press.json at the folder root is read and never deployed; one deeper is an ordinary file', async (t) => {
  const site = scratch(t);
  writeFileSync(join(site, 'index.html'), '<h1>x</h1>');
  writeFileSync(join(site, 'press.json'), '{"aliases": ["live"]}');
  mkdirSync(join(site, 'data'));
  writeFileSync(join(site, 'data', 'press.json'), '{"served": true}');
  assert.deepEqual(await readPressConfig(site), { render: null, aliases: ['live'] });
  assert.deepEqual((await scanFolder(site)).files.map((file) => file.path).sort(), ['data/press.json', 'index.html']);
  assert.equal(await readPressConfig(join(site, 'data', 'none')), null);
});
