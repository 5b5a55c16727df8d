import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALIAS_NAME_PATTERN, DEPLOY_SLUG_PATTERN, deployPathProblem, MAX_PATH_LENGTH } from './deploy-names.ts';

test('ordinary relative paths, Unicode included, are accepted', () => {
  for (const path of ['index.html', 'assets/main.js', 'a/b/c/d.txt', 'ünïcødé/文件.txt', '.well-known/x', 'a..b/c', 'x'.repeat(MAX_PATH_LENGTH)]) {
    assert.equal(deployPathProblem(path), null, path);
  }
});

test('each refused path says what is wrong with it', () => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty/],
    ['/index.html', /absolute/],
    ['a/../b', /"\.\."/],
    ['..', /"\.\."/],
    ['./a', /"\."/],
    ['a\\b', /backslash/],
    ['a\0b', /NUL/],
    ['a//b', /empty segment/],
    ['a/', /empty segment/],
    ['x'.repeat(MAX_PATH_LENGTH + 1), /longer than/],
  ];
  for (const [path, problem] of cases) assert.match(deployPathProblem(path) ?? 'accepted', problem, JSON.stringify(path));
});

test('slugs follow the contract pattern; alias names cannot look like version numbers', () => {
  assert.ok(DEPLOY_SLUG_PATTERN.test('my-document'));
  assert.ok(DEPLOY_SLUG_PATTERN.test('0day'));
  assert.ok(!DEPLOY_SLUG_PATTERN.test('-lead'));
  assert.ok(!DEPLOY_SLUG_PATTERN.test('Upper'));
  assert.ok(!DEPLOY_SLUG_PATTERN.test('a'.repeat(64)));
  assert.ok(ALIAS_NAME_PATTERN.test('production'));
  assert.ok(!ALIAS_NAME_PATTERN.test('3'));
});
