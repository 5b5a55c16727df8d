import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { apiErrors, isApiErrorCode, renderJobErrors } from './api-errors.ts';

const vendoredContract = new URL('../docs/press-cloud-api.md', import.meta.url);
const sharedContract = new URL('../../shared/press-cloud-api.md', import.meta.url);

/** Every `<status> <code>` pair the contract names, e.g. "`409 deploy_slug_conflict`" or "`401` `{"error":"unauthorized"`". */
function statusCodePairs(markdown: string): Array<[number, string]> {
  const flat = markdown.replace(/\s+/g, ' ');
  // The code is in the status's backticks or in the next backticked span: "`421` or `403`" names no code.
  const pattern = /`(\d{3})(?: |` `)(?:\{"error":")?([a-z][a-z_]*[a-z])/g;
  return [...flat.matchAll(pattern)].map((m) => [Number(m[1]), m[2]!]);
}

test('every error code the contract names is in the table with the same status', () => {
  const pairs = statusCodePairs(readFileSync(vendoredContract, 'utf8'));
  assert.ok(pairs.length >= 18, `expected the contract to name many codes, found ${pairs.length}`);
  for (const [status, code] of pairs) {
    assert.ok(isApiErrorCode(code), `contract code ${code} is missing from apiErrors`);
    assert.equal(apiErrors[code].status, status, `status of ${code}`);
  }
});

test('the vendored contract is the same text as ../shared/press-cloud-api.md where that exists', (t) => {
  if (!existsSync(sharedContract)) {
    t.skip('no ../shared checkout beside this repository');
    return;
  }
  assert.equal(
    readFileSync(vendoredContract, 'utf8'),
    readFileSync(sharedContract, 'utf8'),
    'docs/press-cloud-api.md drifted from ../shared/press-cloud-api.md: copy the shared one over it',
  );
});

test("misdirected_request is the 421 the contract's perimeter section allows for a foreign Host", () => {
  const contract = readFileSync(vendoredContract, 'utf8').replace(/\s+/g, ' ');
  const perimeter = contract.slice(contract.indexOf("## The local server's perimeter"));
  assert.match(perimeter, /anything else gets `421`/);
  assert.equal(apiErrors.misdirected_request.status, 421);
});

test("the render job codes are the ones the contract's render-job section names", () => {
  const contract = readFileSync(vendoredContract, 'utf8').replace(/\s+/g, ' ');
  // "then `failed` with `error: {code, message}` (codes such as `render_timeout`, …)".
  const named = /\(codes such as ([^)]*)\)/.exec(contract)?.[1] ?? '';
  const codes = [...named.matchAll(/`([a-z_]+)`/g)].map((match) => match[1]);
  assert.deepEqual(codes.sort(), Object.keys(renderJobErrors).sort());
});
