import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VersionDiff } from '../../../src-shared/api-types.ts';
import type { AliasView, RenderJobView } from '../../../src-shared/ipc-contract.ts';
import { aliasNameProblem, planAlias } from './alias-plan.ts';
import { diffCounts, diffRows, filterDiffRows, type DiffKind } from './diff-model.ts';
import { countdownWords, renderJobWords } from './render-words.ts';

const job = (fields: Partial<RenderJobView>): RenderJobView => ({
  id: 'rj_1',
  status: 'queued',
  deployVersionId: 'dv_1',
  attempts: 0,
  createdAt: 0,
  updatedAt: 0,
  nextAttemptAt: null,
  pdfId: null,
  error: null,
  pdf: null,
  ...fields,
});

test('a render job says its state, its retry countdown and its failure in words', () => {
  assert.equal(renderJobWords(job({}), 0).headline, 'Queued');
  assert.equal(renderJobWords(job({ status: 'rendering', attempts: 1 }), 0).headline, 'Rendering');
  assert.equal(renderJobWords(job({ status: 'rendering', attempts: 2 }), 0).headline, 'Rendering (attempt 2 of 3)');
  assert.equal(renderJobWords(job({ status: 'queued', attempts: 1 }), 0).headline, 'Queued for attempt 2 of 3');

  const waiting = job({
    status: 'retry_scheduled',
    attempts: 1,
    nextAttemptAt: 10_000,
    error: { code: 'render_timeout', message: 'The page was not ready within 30000 ms.' },
  });
  assert.equal(renderJobWords(waiting, 2_000).headline, 'Attempt 1 of 3 failed; trying again in 8 s');
  assert.equal(
    renderJobWords(waiting, 9_001).headline,
    'Attempt 1 of 3 failed; trying again in 1 s',
    'rounded up: never "in 0 s" before it is due',
  );
  assert.equal(renderJobWords(waiting, 10_500).headline, 'Attempt 1 of 3 failed; trying again now');
  assert.match(renderJobWords(waiting, 0).reason!.sentence, /did not get ready in time/);
  assert.equal(renderJobWords(waiting, 0).reason!.detail, 'The page was not ready within 30000 ms.');

  const failed = renderJobWords(
    job({ status: 'failed', attempts: 3, error: { code: 'render_page_error', message: 'Error: chart data missing' } }),
    0,
  );
  assert.deepEqual(
    [failed.tone, failed.headline, failed.reason?.detail],
    ['failed', 'Failed after 3 attempts', 'Error: chart data missing'],
  );
  assert.match(failed.reason!.sentence, /script failed/);
  // A code the window has no words for keeps the server's own sentence.
  assert.equal(
    renderJobWords(job({ status: 'failed', attempts: 1, error: { code: 'render_gremlins', message: 'Gremlins.' } }), 0)
      .reason?.sentence,
    'Gremlins.',
  );

  const done = renderJobWords(
    job({
      status: 'succeeded',
      attempts: 1,
      pdfId: 'pdf_1',
      pdf: {
        id: 'pdf_1',
        renderJobId: 'rj_1',
        deployVersionId: 'dv_1',
        size: 42_300,
        pageCount: 3,
        sha256: 'x',
        createdAt: 0,
      },
    }),
    0,
  );
  assert.deepEqual([done.tone, done.headline, done.facts], ['done', 'PDF ready', '3 pages, 41.3 KiB']);
  assert.deepEqual(
    [countdownWords(61_000), countdownWords(120_000), countdownWords(-5)],
    ['in 1 min 1 s', 'in 2 min', 'now'],
  );
});

const aliases: AliasView[] = [
  { name: 'production', deployVersionId: 'dv_3', versionNo: 3, updatedAt: 0 },
  { name: 'staging', deployVersionId: 'dv_1', versionNo: 1, updatedAt: 0 },
];

test('pointing an alias: a new one, a move that names from where to where (a roll back when older), or nothing to do', () => {
  assert.deepEqual(planAlias('preview', aliases, { id: 'dv_2', versionNo: 2 }), {
    kind: 'new',
    name: 'preview',
    action: 'Point preview to #2',
  });
  const back = planAlias('production', aliases, { id: 'dv_1', versionNo: 1 });
  assert.equal(back.kind === 'move' && back.question, 'Move production from #3 to #1?');
  assert.equal(back.kind === 'move' && back.action, 'Roll production back to #1');
  const forward = planAlias('staging', aliases, { id: 'dv_3', versionNo: 3 });
  assert.deepEqual(forward.kind === 'move' && [forward.question, forward.action, forward.rollBack], [
    'Move staging from #1 to #3?',
    'Move staging to #3',
    false,
  ]);
  assert.deepEqual(planAlias('production', aliases, { id: 'dv_3', versionNo: 3 }), {
    kind: 'already',
    name: 'production',
    message: 'production already points to #3.',
  });
  const unknownFrom = planAlias('old', [{ name: 'old', deployVersionId: 'dv_gone', versionNo: null, updatedAt: 0 }], {
    id: 'dv_2',
    versionNo: 2,
  });
  assert.equal(unknownFrom.kind === 'move' && unknownFrom.question, 'Move old from another version to #2?');

  for (const [name, problem] of [
    ['', /Choose an alias/],
    ['Production', /starts with a lowercase letter/],
    ['1st', /starts with a lowercase letter/],
    ['pre view', /lowercase letters, digits and hyphens/],
    [`a${'b'.repeat(63)}`, /at most 63/],
  ] as const) {
    assert.match(aliasNameProblem(name) ?? '', problem, JSON.stringify(name));
    assert.equal(planAlias(name, aliases, { id: 'dv_2', versionNo: 2 }).kind, 'invalid');
  }
});

test('a comparison lists every differing file in path order, filtered by kind and by a piece of the path', () => {
  const diff: VersionDiff = {
    added: [
      { path: 'docs/new.md', size: 10 },
      { path: 'z.txt', size: 1 },
    ],
    removed: [{ path: 'a.txt', size: 5 }],
    changed: [{ path: 'docs/Guide.md', sizeBefore: 100, sizeAfter: 120 }],
    unchangedCount: 7,
  };
  const rows = diffRows(diff);
  assert.deepEqual(
    rows.map((row) => `${row.kind}:${row.path}`),
    ['removed:a.txt', 'changed:docs/Guide.md', 'added:docs/new.md', 'added:z.txt'],
  );
  assert.deepEqual(rows[1], { kind: 'changed', path: 'docs/Guide.md', sizeBefore: 100, sizeAfter: 120 });
  assert.deepEqual(diffCounts(diff), { added: 2, removed: 1, changed: 1, unchanged: 7 });
  const all = new Set<DiffKind>(['added', 'removed', 'changed']);
  assert.deepEqual(
    filterDiffRows(rows, all, ' DOCS/ ').map((row) => row.path),
    ['docs/Guide.md', 'docs/new.md'],
    'case-insensitive, trimmed',
  );
  assert.deepEqual(
    filterDiffRows(rows, new Set<DiffKind>(['added']), 'docs').map((row) => row.path),
    ['docs/new.md'],
  );
  assert.deepEqual(filterDiffRows(rows, new Set<DiffKind>(), ''), []);

  // 20,000 files: built and filtered quickly enough to run on every keystroke.
  const big: VersionDiff = { added: [], removed: [], changed: [], unchangedCount: 0 };
  for (let i = 0; i < 20_000; i++)
    big[(['added', 'removed', 'changed'] as const)[i % 3]!].push({
      path: `d${i % 100}/f${i}.txt`,
      size: i,
      sizeBefore: i,
      sizeAfter: i + 1,
    });
  const started = performance.now();
  const bigRows = diffRows(big);
  const found = filterDiffRows(bigRows, all, 'f1999');
  assert.equal(bigRows.length, 20_000);
  // f1999 and f19990…f19999, each in folder d<i % 100>, in path order.
  assert.deepEqual(
    found.map((row) => row.path),
    [...Array.from({ length: 9 }, (_, k) => `d9${k}/f1999${k}.txt`), 'd99/f1999.txt', 'd99/f19999.txt'],
  );
  assert.ok(performance.now() - started < 500, 'well under a frame budget per keystroke on a slow machine');
});
