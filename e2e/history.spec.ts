import { expect, test } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApp } from './harness/app-harness.ts';
import { commitViaApi, deployNew, dropPaths, expectCommitted, siteFiles, snap, writeSite } from './harness/ui-steps.ts';

test('browse the versions: newest first, more on scroll, a version’s facts and files, its preview', async ({
  browser,
}) => {
  const app = await openApp(browser);
  try {
    const { page } = app;
    const site = writeSite(join(app.scratch, 'docs'), siteFiles(12));
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'History' }).click();
    await expect(page.getByText('Nothing is deployed here yet.')).toBeVisible();
    await page.getByRole('button', { name: 'Deploy a folder' }).click();

    // Two versions through the app, the second with one file changed.
    await deployNew(page, site, { slug: 'docs', name: 'Product Docs' });
    await expectCommitted(page, 1);
    await page.getByRole('button', { name: 'Deploy another folder' }).click();
    writeFileSync(join(site, 'index.html'), '<!doctype html><title>Docs</title><h1>Changed</h1>');
    await dropPaths(page, [site]);
    await page.getByRole('button', { name: 'Deploy to Product Docs' }).click();
    await expectCommitted(page, 2);

    // 58 more straight through the API, so the list needs a second page (50 a page).
    const deploy = (await app.server.request('GET', '/v1/deploys')).body.items[0];
    for (let n = 3; n <= 60; n++) await commitViaApi(app.server, deploy.id, `Build ${n}`);
    await app.server.request('PUT', `/v1/deploys/${deploy.id}/aliases/production`, {
      json: {
        deployVersionId: (await app.server.request('GET', `/v1/deploys/${deploy.id}/versions?limit=1`)).body.items[0]
          .id,
      },
    });

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'History' }).click();
    await expect(page.getByRole('heading', { name: 'Deploys on this computer' })).toBeVisible();
    await page.getByRole('button', { name: /Product Docs/ }).click();
    const versions = page.getByRole('list', { name: 'Versions, newest first' });
    const rows = versions.getByTestId('version-row');
    await expect(rows.first()).toContainText('#60');
    await expect(rows.first()).toContainText('Build 60');
    await expect(rows.first()).toContainText('production');
    await expect(rows.first()).toContainText('1 file');
    await expect(rows).toHaveCount(50);
    await snap(page, 'history');
    // Scrolling to the end fetches the next page over the cursor.
    await rows.last().scrollIntoViewIfNeeded();
    await expect(rows).toHaveCount(60);
    await expect(rows.nth(58)).toContainText('#2');
    await expect(rows.nth(59)).toContainText('#1');
    await expect(rows.nth(59)).toContainText('12 files');

    // Version #2: its facts, its files, its preview.
    await rows.nth(58).click();
    await expect(page.getByRole('heading', { name: 'Product Docs #2' })).toBeVisible();
    const facts = page.locator('.facts');
    await expect(facts).toContainText('12 files');
    await expect(facts).toContainText('Aliases');
    const files = page.getByRole('list', { name: /Files of this version, 12 in all/ });
    await expect(files.getByRole('listitem').filter({ hasText: 'index.html' })).toBeVisible();
    await snap(page, 'version');
    await page.getByRole('button', { name: 'Open preview' }).click();
    await expect.poll(() => app.requests.includes('versions.openPreview')).toBe(true);

    // The breadcrumb goes back up.
    await page.getByRole('button', { name: 'All deploys' }).click();
    await expect(page.getByRole('button', { name: /Product Docs/ })).toContainText('60 versions');
    await snap(page, 'history-deploys');
  } finally {
    await app.close();
  }
});
