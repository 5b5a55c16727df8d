import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseJsonc, readWranglerConfig } from './wrangler-config.ts';
import { scratch, writeFiles } from '../../testing/scratch.ts';

test('JSONC as wrangler takes it: comments and trailing commas go, strings stay whole', () => {
  const text = `{
    // the Worker
    "name": "my-site", /* inline */
    "url": "https://example.com/*not a comment*/ // nor this",
    "escaped": "a \\"quoted\\" // word",
    "list": [1, 2,],
  }`;
  assert.deepEqual(parseJsonc(text), {
    name: 'my-site',
    url: 'https://example.com/*not a comment*/ // nor this',
    escaped: 'a "quoted" // word',
    list: [1, 2],
  });
});

test('the Worker of a wrangler.jsonc in the folder, or above it when its assets directory is the folder', async (t) => {
  const dir = scratch(t);
  writeFiles(dir, {
    'own/wrangler.jsonc': '{ "name": "own-site", "compatibility_date": "2025-03-01" }',
    'own/index.html': 'x',
    'project/wrangler.json': '{ "name": "project-site", "assets": { "directory": "./public" }, }',
    'project/public/index.html': 'x',
    'project/other/index.html': 'x',
    'toml/wrangler.toml': 'name = "toml-site"',
    'toml/public/index.html': 'x',
  });
  assert.deepEqual(await readWranglerConfig(join(dir, 'own')), {
    scriptName: 'own-site',
    compatibilityDate: '2025-03-01',
  });
  assert.deepEqual(await readWranglerConfig(join(dir, 'project/public')), { scriptName: 'project-site' });
  assert.equal(await readWranglerConfig(join(dir, 'project/other')), null, 'another folder of the project');
  assert.equal(await readWranglerConfig(join(dir, 'toml/public')), null, 'TOML is not read');

  writeFiles(dir, { 'broken/wrangler.json': '{ "name": ', 'broken/a.txt': 'x' });
  await assert.rejects(readWranglerConfig(join(dir, 'broken')), /broken\/wrangler\.json is not valid JSON/);
});
