import { expect, test, type Page } from '@playwright/test';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApp } from './harness/app-harness.ts';
import {
  commitEntriesViaApi,
  dropPaths,
  expectCommitted,
  horizontalOverflow,
  openVersion,
  snap,
  writeSite,
} from './harness/ui-steps.ts';

/**
 * After the commit (issue 10), in the renderer against the real main-side
 * handlers and a real local Press Cloud whose printer is headless Chromium:
 * render a version to PDF and open or save it, point aliases (promote, roll
 * back with a confirmation), compare versions, press.json in the chooser
 * and the done panel.
 */

/** Starts recording every state a render job row shows (its data-status), in order, as the page draws them. */
async function recordRenderStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __renderStates: string[] }).__renderStates = seen;
    const note = () => {
      const status = document.querySelector('[data-testid="render-job"]')?.getAttribute('data-status');
      if (status && seen.at(-1) !== status) seen.push(status);
    };
    new MutationObserver(note).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-status'],
    });
  });
}

const renderStates = (page: Page) =>
  page.evaluate(() => (window as unknown as { __renderStates: string[] }).__renderStates);

const htmlPage = (title: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title><style>@page { size: A5; }</style></head><body><h1>${title}</h1><p>Printed by PressDrop.</p></body></html>`;

test('render a version from History: queued → done, open it in the viewer, save it where the dialog says; the version lists its PDFs', async ({
  browser,
}) => {
  const app = await openApp(browser);
  try {
    const { page } = app;
    const site = writeSite(join(app.scratch, 'handbook'), { 'index.html': htmlPage('Handbook') });
    await dropPaths(page, [site]);
    await page.getByRole('button', { name: 'Create and deploy' }).click();
    await expectCommitted(page, 1);

    await openVersion(page, 'handbook', 1);
    await expect(page.getByText('No PDF of this version yet.')).toBeVisible();
    await recordRenderStates(page);
    await page.getByRole('button', { name: 'Render PDF' }).click();
    const job = page.getByTestId('render-job');
    await expect(job).toHaveCount(1);
    await snap(page, 'render-started');
    await expect(job).toContainText('PDF ready', { timeout: 30_000 });
    await expect(job).toContainText('1 page');
    expect((await renderStates(page))[0]).toBe('queued');
    expect((await renderStates(page)).at(-1)).toBe('succeeded');
    await snap(page, 'render-done');

    await job.getByRole('button', { name: 'Open PDF' }).click();
    await expect.poll(() => app.openedFiles.length).toBe(1);
    expect(app.openedFiles[0]).toMatch(/handbook-1\.pdf$/);
    expect(readFileSync(app.openedFiles[0]!).subarray(0, 5).toString()).toBe('%PDF-');

    await job.getByRole('button', { name: 'Save PDF…' }).click();
    await expect(job.getByRole('status')).toContainText(`Saved as ${join(app.scratch, 'handbook-1.pdf')}`);
    expect(app.saveDialog.offered).toEqual(['handbook-1.pdf']);
    expect(readFileSync(join(app.scratch, 'handbook-1.pdf'))).toEqual(readFileSync(app.openedFiles[0]!));
    // Cancelled in the dialog: nothing is written and nothing is said.
    app.saveDialog.answer = () => null;
    await job.getByRole('button', { name: 'Save PDF…' }).click();
    await expect.poll(() => app.saveDialog.offered.length).toBe(2);
    await expect(job.getByRole('button', { name: 'Save PDF…' })).toBeEnabled();

    // A second render; back on the version later, both are listed, newest first.
    await page.getByRole('button', { name: 'Render PDF' }).click();
    await expect(page.getByTestId('render-job')).toHaveCount(2);
    await expect(page.getByTestId('render-job').first()).toContainText('PDF ready', { timeout: 30_000 });
    await page
      .getByRole('navigation', { name: 'Where you are in History' })
      .getByRole('button', { name: 'handbook' })
      .click();
    await openVersion(page, 'handbook', 1);
    await expect(page.getByRole('list', { name: 'Render jobs, newest first' }).getByTestId('render-job')).toHaveCount(
      2,
    );
    await expect(page.getByRole('heading', { name: 'PDFs (2 renders)' })).toBeVisible();
  } finally {
    await app.close();
  }
});

test('the renderer failing: each retry counts down with the reason, then the failure is said in words', async ({
  browser,
}) => {
  // Backoffs long enough to see the countdown (main asks twice a second), short enough for a test.
  const app = await openApp(browser, { server: { render: { retryDelaysMs: [2_500, 2_500] } } });
  try {
    const { page } = app;
    const site = writeSite(join(app.scratch, 'chart'), {
      'index.html': '<!doctype html><title>Chart</title><h1>Chart</h1><script src="chart.js"></script>',
      'chart.js': 'throw new Error("chart data missing");\n',
    });
    await dropPaths(page, [site]);
    await page.getByRole('button', { name: 'Create and deploy' }).click();
    await expectCommitted(page, 1);
    await openVersion(page, 'chart', 1);
    await page.getByRole('button', { name: 'Render PDF' }).click();
    const job = page.getByTestId('render-job');
    await expect(job).toContainText(/Attempt 1 of 3 failed; trying again in \d s/, { timeout: 30_000 });
    await expect(job).toContainText('The page’s own script failed while it was being printed.');
    await expect(job).toContainText('chart data missing');
    await snap(page, 'render-retrying');
    await expect(job).toContainText('Failed after 3 attempts', { timeout: 30_000 });
    await expect(job).toContainText('The page’s own script failed while it was being printed.');
    await expect(job.getByRole('button', { name: 'Open PDF' })).toHaveCount(0);
    await snap(page, 'render-failed');
  } finally {
    await app.close();
  }
});

test('promote a version to a new alias, roll the deploy back with a confirmation that names from where to where; a move someone else made meanwhile is refused', async ({
  browser,
}) => {
  const app = await openApp(browser);
  try {
    const { page } = app;
    for (const n of [1, 2, 3]) await commitEntriesViaApi(app.server, 'site', { 'index.html': `<h1>Build ${n}</h1>` });

    // Promote #3: a new alias, by keyboard.
    await openVersion(page, 'site', 3);
    await page.getByRole('button', { name: 'Point alias…' }).focus();
    await page.keyboard.press('Enter');
    const aliasDialog = (versionNo: number) => page.getByRole('dialog', { name: `Point an alias to #${versionNo}` });
    let dialog = aliasDialog(3);
    await expect(dialog.getByRole('radio', { name: 'New alias' })).toBeChecked();
    await dialog.getByLabel('Name').fill('Production');
    await dialog.getByRole('button', { name: 'Point alias', exact: true }).click();
    await expect(dialog.getByText('An alias starts with a lowercase letter (a-z).')).toBeVisible();
    await dialog.getByLabel('Name').fill('production');
    await snap(page, 'alias-new');
    await dialog.getByRole('button', { name: 'Point production to #3' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('status').filter({ hasText: 'production now points to #3.' })).toBeVisible();
    await expect(page.locator('.facts')).toContainText('production');
    await snap(page, 'alias-promoted');

    // Roll back to #1: the existing alias is offered, and moving it asks first.
    await page
      .getByRole('navigation', { name: 'Where you are in History' })
      .getByRole('button', { name: 'site' })
      .click();
    await expect(page.getByTestId('version-row').first()).toContainText('production');
    await openVersion(page, 'site', 1);
    await page.getByRole('button', { name: 'Point alias…' }).click();
    dialog = aliasDialog(1);
    await expect(dialog.getByRole('radio', { name: /production/ })).toBeChecked();
    await expect(dialog).toContainText('now at #3');
    await dialog.getByRole('button', { name: 'Roll production back to #1…' }).click();
    await expect(dialog.getByText('Move production from #3 to #1?')).toBeVisible();
    await expect(dialog.getByRole('button', { name: 'Back', exact: true })).toBeFocused();
    await snap(page, 'alias-roll-back-confirm');
    await dialog.getByRole('button', { name: 'Roll production back to #1', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: 'production now points to #1.' })).toBeVisible();
    await page
      .getByRole('navigation', { name: 'Where you are in History' })
      .getByRole('button', { name: 'site' })
      .click();
    const rows = page.getByTestId('version-row');
    await expect(rows.filter({ hasText: '#1' })).toContainText('production');
    await expect(rows.filter({ hasText: '#3' })).not.toContainText('production');
    await snap(page, 'alias-rolled-back');

    // The user looks at #2 and is asked "from #1"; someone moves production to #3 before they confirm: nothing moves.
    await openVersion(page, 'site', 2);
    await page.getByRole('button', { name: 'Point alias…' }).click();
    dialog = aliasDialog(2);
    await dialog.getByRole('button', { name: 'Move production to #2…' }).click();
    await expect(dialog.getByText('Move production from #1 to #2?')).toBeVisible();
    const deployId = (await app.server.request('GET', '/v1/deploys')).body.items[0].id as string;
    const three = (await app.server.request('GET', `/v1/deploys/${deployId}/versions?limit=1`)).body.items[0]
      .id as string;
    expect(
      (
        await app.server.request('PUT', `/v1/deploys/${deployId}/aliases/production`, {
          json: { deployVersionId: three },
        })
      ).status,
    ).toBe(200);
    await dialog.getByRole('button', { name: 'Move production to #2', exact: true }).click();
    await expect(dialog.getByRole('alert')).toContainText('That alias changed since you looked, so nothing was moved.');
    await expect(dialog.getByRole('alert')).toContainText('production now points to #3 since you looked');
    await expect(dialog).toContainText('now at #3');
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();

    // Remove it, from #3's facts, with a confirmation.
    await page
      .getByRole('navigation', { name: 'Where you are in History' })
      .getByRole('button', { name: 'site' })
      .click();
    await openVersion(page, 'site', 3);
    await page.getByRole('button', { name: 'Remove alias production' }).click();
    const remove = page.getByRole('dialog', { name: 'Remove alias production?' });
    await expect(remove.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await remove.getByRole('button', { name: 'Remove production' }).click();
    await expect(page.getByRole('status').filter({ hasText: 'production was removed.' })).toBeVisible();
    expect((await app.server.request('GET', `/v1/deploys/${deployId}/aliases`)).body.items).toEqual([]);
  } finally {
    await app.close();
  }
});

test('compare two versions: counts, the added, removed and changed files, a filter and toggles', async ({
  browser,
}) => {
  const app = await openApp(browser);
  try {
    const { page } = app;
    const site = writeSite(join(app.scratch, 'guide'), {
      'index.html': htmlPage('Guide'),
      'old.html': 'old',
      'style.css': 'body{}',
      'img/logo.svg': '<svg/>',
    });
    await dropPaths(page, [site]);
    await page.getByRole('button', { name: 'Create and deploy' }).click();
    await expectCommitted(page, 1);
    await page.getByRole('button', { name: 'Deploy another folder' }).click();
    rmSync(join(site, 'old.html'));
    writeFileSync(join(site, 'style.css'), 'body { color: navy }');
    writeSite(site, { 'new/page.html': '<h1>New</h1>', 'new/more.html': '<h1>More</h1>' });
    await dropPaths(page, [site]);
    await page.getByRole('button', { name: 'Deploy to guide' }).click();
    await expectCommitted(page, 2);

    await openVersion(page, 'guide', 2);
    await page.getByRole('button', { name: 'Compare with…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Compare #2 with…' });
    await expect(dialog.getByRole('radio', { name: /#1/ })).toBeChecked();
    await dialog.getByRole('button', { name: 'Compare with #1' }).click();
    await expect(page.getByRole('heading', { name: 'guide: #1 → #2' })).toBeVisible();
    await expect(page.getByTestId('compare-summary')).toHaveText(
      'From #1 to #2: 2 added, 1 removed, 1 changed, 2 files the same.',
    );
    const list = page.getByRole('list', { name: /Differing files/ });
    await expect(list.getByRole('listitem')).toHaveText([
      /Added\s*new\/more\.html/,
      /Added\s*new\/page\.html/,
      /Removed\s*old\.html/,
      /Changed\s*style\.css\s*6 B → 20 B/,
    ]);
    await snap(page, 'compare');

    await page.getByPlaceholder('Filter by path').fill('NEW/');
    await expect(list.getByRole('listitem')).toHaveCount(2);
    await expect(page.getByTestId('compare-shown')).toHaveText('Showing 2 of 4 differing files.');
    await page.getByRole('checkbox', { name: 'Added (2)' }).uncheck();
    await expect(list).toContainText('No differing file matches “NEW/”.');
    await page.getByPlaceholder('Filter by path').fill('');
    await expect(list.getByRole('listitem')).toHaveText([/Removed\s*old\.html/, /Changed\s*style\.css/]);
    await page
      .getByRole('navigation', { name: 'Where you are in History' })
      .getByRole('button', { name: 'Version #2' })
      .click();
    await expect(page.getByRole('heading', { name: 'guide #2' })).toBeVisible();
  } finally {
    await app.close();
  }
});

test('comparing versions of 20,000 files: the list stays virtualized and the filter finds one file', async ({
  browser,
}) => {
  test.setTimeout(120_000);
  const app = await openApp(browser);
  try {
    const { page } = app;
    const before: Record<string, string> = {};
    const after: Record<string, string> = {};
    for (let i = 0; i < 20_000; i++) {
      const path = `d${String(i % 100).padStart(2, '0')}/f${String(i).padStart(5, '0')}.txt`;
      before[path] = `v1 ${i % 10}`;
      // A third changed, a third removed (and as many added elsewhere), a third the same.
      if (i % 3 === 0) after[path] = `v2 ${i % 10}`;
      else if (i % 3 === 1) after[`new/${path}`] = `v1 ${i % 10}`;
      else after[path] = before[path];
    }
    await commitEntriesViaApi(app.server, 'big', before);
    await commitEntriesViaApi(app.server, 'big', after);
    await openVersion(page, 'big', 2);
    await page.getByRole('button', { name: 'Compare with…' }).click();
    await page.getByRole('button', { name: 'Compare with #1' }).click();
    await expect(page.getByTestId('compare-summary')).toHaveText(
      'From #1 to #2: 6,667 added, 6,667 removed, 6,667 changed, 6,666 files the same.',
      { timeout: 60_000 },
    );
    await expect(page.getByRole('list', { name: 'Differing files, 20,001 shown' })).toBeVisible();
    const list = page.getByRole('list', { name: /Differing files/ });
    expect(await page.locator('.diff-row').count()).toBeLessThan(80);
    await list.evaluate((element) => (element.scrollTop = element.scrollHeight));
    await expect(list.getByRole('listitem').last()).toContainText('new/d99/f19999.txt');
    await page.getByPlaceholder('Filter by path').fill('f12346');
    await expect(list.getByRole('listitem')).toHaveText([
      /Removed\s*d46\/f12346\.txt/,
      /Added\s*new\/d46\/f12346\.txt/,
    ]);
    await snap(page, 'compare-20000');
  } finally {
    await app.close();
  }
});

test('press.json: the chooser shows what it will do; the done panel says its aliases moved, renders a PDF and points another alias; a bad one is refused in words', async ({
  browser,
}) => {
  const app = await openApp(browser);
  try {
    const { page } = app;
    const config = {
      render: { title: 'Annual report', route: '/report.html', renderTimeoutMs: 20_000 },
      aliases: ['production'],
    };
    const site = writeSite(join(app.scratch, 'report'), {
      'index.html': htmlPage('Home'),
      'report.html': htmlPage('Annual report'),
      'press.json': JSON.stringify(config),
    });
    await dropPaths(page, [site]);
    const settings = page.getByRole('region', { name: 'Settings from press.json' });
    await expect(settings).toContainText('/report.html');
    await expect(settings).toContainText('Annual report');
    await expect(settings).toContainText('20 s');
    await expect(settings).toContainText('production points to the new version');
    await snap(page, 'chooser-press-json');
    await page.getByRole('button', { name: 'Create and deploy' }).click();
    await expectCommitted(page, 1);
    await expect(page.getByTestId('config-aliases')).toHaveText('production now points to #1 (from press.json).');

    await page.getByRole('button', { name: 'Render PDF' }).click();
    const job = page.getByTestId('render-job');
    await expect(job).toContainText('PDF ready', { timeout: 30_000 });
    await job.getByRole('button', { name: 'Open PDF' }).click();
    await expect.poll(() => app.openedFiles.length).toBe(1);
    expect(app.openedFiles[0]).toMatch(/report-1\.pdf$/);

    await page.getByRole('button', { name: 'Point alias…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Point an alias to #1' });
    await expect(dialog).toContainText('points here');
    await dialog.getByRole('radio', { name: 'A new alias' }).check();
    await dialog.getByLabel('Name').fill('staging');
    await dialog.getByRole('button', { name: 'Point staging to #1' }).click();
    await expect(page.getByTestId('pointed-alias')).toHaveText('staging now points to #1.');
    await snap(page, 'done-after-commit');
    const version = (
      await app.server.request(
        'GET',
        `/v1/deploy-versions/${(await app.server.request('GET', '/v1/deploys')).body.items[0].latestVersion.id}`,
      )
    ).body.deployVersion;
    expect(version.render).toEqual(config.render);
    expect([...version.aliases].sort()).toEqual(['production', 'staging']);

    // A typo: the chooser says what is wrong, and the deploy is refused before anything is sent.
    await page.getByRole('button', { name: 'Deploy another folder' }).click();
    writeFileSync(join(site, 'press.json'), JSON.stringify({ render: { tilte: 'Typo' } }));
    await dropPaths(page, [site]);
    const problem = page.getByRole('alert').filter({ hasText: 'press.json cannot be used' });
    await expect(problem).toContainText(
      'The folder’s press.json cannot be used. Fix what is said below, or remove the file to deploy without it.',
    );
    await expect(problem).toContainText('"tilte"');
    await snap(page, 'chooser-press-json-error');
    await page.getByRole('button', { name: 'Deploy to report' }).click();
    // Main refused it (said once, where the chooser already says it), and nothing reached the server.
    await expect.poll(() => app.requests.filter((name) => name === 'deploy.start').length).toBe(2);
    await expect(page.getByRole('alert')).toHaveCount(1);
    await expect(page.getByRole('heading', { name: 'Deploy “report”' })).toBeVisible();
    expect((await app.server.request('GET', '/v1/deploys')).body.items[0].versionCount).toBe(1);
    // Fixed on disk, read again: the error goes.
    writeFileSync(join(site, 'press.json'), JSON.stringify({ aliases: [] }));
    await problem.first().getByRole('button', { name: 'Read press.json again' }).click();
    await expect(page.getByTestId('press-config')).toContainText('no alias moves');
  } finally {
    await app.close();
  }
});

test('dark theme and 200% zoom: the version actions, PDFs, alias dialog and comparison fit and read', async ({
  browser,
}) => {
  for (const colorScheme of ['dark', 'light'] as const) {
    const app = await openApp(browser, { colorScheme });
    try {
      const { page } = app;
      await commitEntriesViaApi(app.server, 'a-deploy-with-a-long-slug-name', {
        'index.html': htmlPage('One'),
        'a.txt': 'a',
      });
      await commitEntriesViaApi(app.server, 'a-deploy-with-a-long-slug-name', {
        'index.html': htmlPage('Two'),
        'b/a-rather-long-folder-name/and-a-long-file-name.txt': 'b',
      });
      if (colorScheme === 'light') await page.setViewportSize({ width: 550, height: 380 });
      const name = colorScheme === 'dark' ? 'dark' : 'zoom-200';
      await openVersion(page, 'a-deploy-with-a-long-slug-name', 2);
      await page.getByRole('button', { name: 'Render PDF' }).click();
      await expect(page.getByTestId('render-job')).toContainText('PDF ready', { timeout: 30_000 });
      await page.getByRole('button', { name: 'Render PDF' }).scrollIntoViewIfNeeded();
      expect(await horizontalOverflow(page)).toBe(0);
      await snap(page, `${name}-version-actions`);
      await page.getByTestId('render-job').scrollIntoViewIfNeeded();
      await snap(page, `${name}-render-done`);

      await page.getByRole('button', { name: 'Point alias…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Point an alias to #2' });
      await dialog.getByLabel('Name').fill('production');
      await dialog.getByRole('button', { name: 'Point production to #2' }).click();
      await expect(dialog).toBeHidden();
      await page
        .getByRole('navigation', { name: 'Where you are in History' })
        .getByRole('button', { name: 'a-deploy-with-a-long-slug-name' })
        .click();
      await openVersion(page, 'a-deploy-with-a-long-slug-name', 1);
      await page.getByRole('button', { name: 'Point alias…' }).click();
      await page
        .getByRole('dialog', { name: 'Point an alias to #1' })
        .getByRole('button', { name: 'Roll production back to #1…' })
        .click();
      expect(await horizontalOverflow(page)).toBe(0);
      await snap(page, `${name}-alias-confirm`);
      await page.keyboard.press('Escape');

      await page.getByRole('button', { name: 'Compare with…' }).click();
      await page.getByRole('button', { name: 'Compare with #2' }).click();
      await expect(page.getByTestId('compare-summary')).toBeVisible();
      expect(await horizontalOverflow(page)).toBe(0);
      await snap(page, `${name}-compare`);
    } finally {
      await app.close();
    }
  }
});
