import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { apiErrors, renderJobErrors } from './api-errors.ts';
import { appErrors, isErrorCode, type ErrorBoundary } from './app-errors.ts';
import { cloudflareErrors } from './cloudflare-errors.ts';
import { slidelessErrors } from './slideless-errors.ts';

const root = join(import.meta.dirname, '..');

const tables = { apiErrors, renderJobErrors, slidelessErrors, cloudflareErrors, appErrors } as const;

test('a code means one thing: no code is in two tables', () => {
  const seen = new Map<string, string>();
  for (const [table, entries] of Object.entries(tables)) {
    for (const code of Object.keys(entries)) {
      assert.ok(!seen.has(code), `${code} is in both ${seen.get(code)} and ${table}`);
      seen.set(code, table);
    }
  }
});

test('each of PressDrop’s codes is snake_case, names its boundary, and has a default message', () => {
  const boundaries: ErrorBoundary[] = ['engine', 'app', 'renderer'];
  for (const [code, { boundary, message }] of Object.entries(appErrors)) {
    assert.match(code, /^[a-z][a-z_]*[a-z]$/, code);
    assert.ok(boundaries.includes(boundary), `${code}: boundary ${boundary}`);
    assert.match(message, /^[A-Z“].*\.$/, `${code}: a message is a sentence`);
  }
});

test('isErrorCode knows every code of the tables and nothing else', () => {
  for (const entries of Object.values(tables))
    for (const code of Object.keys(entries)) assert.ok(isErrorCode(code), code);
  for (const code of ['no_such_code', 'EACCES', 'toString', '__proto__', '']) assert.ok(!isErrorCode(code), code);
});

/** Where each boundary raises its codes; a render job's codes are the server's render queue's. */
const RAISED_IN: Record<ErrorBoundary | 'server', string> = {
  engine: 'src-core',
  app: 'src-main',
  renderer: 'src-renderer',
  server: 'src-server',
};

/** The source files of a folder, without tests and test helpers (`testing/`): what ships. */
function shippedSources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'testing' ? [] : shippedSources(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

/**
 * A code as an error is made with it: the string literal after `code:` (a
 * DeployFailure, a ServiceError's init, an IpcError, the renderer's own
 * `{code, message}`), or as the first argument of a constructor or of
 * a `fail` helper (`new AppError('x'`, `new ScanError(\n 'x'`,
 * `new PrintFailure('x'`, `fail('x'`). A code only compared (`code === 'x'`),
 * listed in a set, or written in the tables and the words is not made there.
 * It is a textual check, so a type literal `{ code: 'x' }` would count too;
 * none of the tables' codes is written so.
 */
const RAISED = /(?:\bcode:\s*|\b(?:new\s+[A-Z]\w*|fail)\(\s*)'([a-z][a-z_]*)'/g;

/** Folder → the codes raised in its shipped sources, and where. */
function raisedCodes(folder: string): Map<string, string> {
  const raised = new Map<string, string>();
  for (const file of shippedSources(join(root, folder))) {
    for (const match of readFileSync(file, 'utf8').matchAll(RAISED)) raised.set(match[1]!, relative(root, file));
  }
  return raised;
}

test('every code of PressDrop’s table, and every render job code, is raised somewhere by its own boundary', () => {
  const raised = new Map(Object.values(RAISED_IN).map((folder) => [folder, raisedCodes(folder)]));
  const expected: Array<[string, string]> = [
    ...Object.entries(appErrors).map(([code, { boundary }]): [string, string] => [code, RAISED_IN[boundary]]),
    ...Object.keys(renderJobErrors).map((code): [string, string] => [code, RAISED_IN.server]),
  ];
  const dead = expected.filter(([code, folder]) => !raised.get(folder)!.has(code));
  assert.deepEqual(
    dead.map(([code, folder]) => `${code} (never raised in ${folder})`),
    [],
    'raise each code where its boundary lives, or remove it from the table and its words',
  );
});

test('the check finds raises in each form the source uses', () => {
  const forms = [
    "new DeployError({ code: 'empty_folder', message })",
    "new AppError('run_not_found')",
    "throw new ScanError(\n      'not_a_directory',",
    "this.#ports.fail('alias_moved', `…`)",
  ];
  assert.deepEqual(
    forms.map((form) => [...form.matchAll(RAISED)].map((match) => match[1])),
    [['empty_folder'], ['run_not_found'], ['not_a_directory'], ['alias_moved']],
  );
  assert.deepEqual([..."if (code === 'alias_moved') new Set(['cancelled'])".matchAll(RAISED)], []);
});
