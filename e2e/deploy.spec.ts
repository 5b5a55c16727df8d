import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { openApp } from './harness/app-harness.ts';
import { dropPaths, expectCommitted, siteFiles, snap, stateCount, writeSite } from './harness/ui-steps.ts';

const FILE_COUNT = 40;

test('deploy a folder: every file reaches done; deploy it again: every file is skipped', async ({ browser }) => {
  const app = await openApp(browser);
  try {
    const { page } = app;
    const site = writeSite(join(app.scratch, 'site'), siteFiles(FILE_COUNT));
    await expect(page.getByRole('heading', { name: 'Drop a folder here to deploy it' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Choose folder…' })).toBeVisible();
    await snap(page, 'empty');

    // First deploy: no deploys exist, so the chooser suggests a new one named after the folder.
    await dropPaths(page, [site]);
    await expect(page.getByRole('heading', { name: 'Deploy “site”' })).toBeVisible();
    await expect(page.getByRole('radio', { name: 'A new deploy' })).toBeChecked();
    await expect(page.getByLabel('Slug')).toHaveValue('site');
    await page.getByLabel('Name', { exact: true }).fill('Fixture Site');
    await page.getByRole('button', { name: 'Create and deploy' }).click();
    await expectCommitted(page, 1);
    expect(await stateCount(page, 'done')).toBe(FILE_COUNT);
    expect(await stateCount(page, 'failed')).toBe(0);
    await expect(page.locator('.file-row[data-state="done"]').first()).toContainText('Done');
    await expect(page.locator('.file-row:not([data-state="done"])')).toHaveCount(0);
    await expect(page.locator('.phase-step.is-done')).toHaveCount(5);
    await snap(page, 'done');

    // Second deploy of the same folder: the chooser picks the deploy whose slug matches, and nothing is sent.
    await page.getByRole('button', { name: 'Deploy another folder' }).click();
    await dropPaths(page, [site]);
    await expect(page.getByRole('radio', { name: /Fixture Site/ })).toBeChecked();
    await snap(page, 'chooser');
    await page.getByRole('button', { name: 'Deploy to Fixture Site' }).click();
    await expectCommitted(page, 2);
    expect(await stateCount(page, 'skipped')).toBe(FILE_COUNT);
    expect(await stateCount(page, 'done')).toBe(0);
    await expect(page.getByText('Nothing to upload: the server already had every file')).toBeVisible();
    await expect(page.getByTestId('skipped-bytes')).not.toHaveText('0 B skipped');
    await snap(page, 'skipped');
  } finally {
    await app.close();
  }
});

test('20,000 files: the list stays virtualized and every file reaches done', async ({ browser }) => {
  test.setTimeout(90_000);
  const app = await openApp(browser);
  try {
    const { page } = app;
    const files: Record<string, string> = {};
    for (let i = 0; i < 20_000; i++)
      files[`d${String(i % 100).padStart(2, '0')}/f${String(i).padStart(5, '0')}.txt`] = `content ${i % 50}\n`;
    const site = writeSite(join(app.scratch, 'many'), files);
    await dropPaths(page, [site]);
    await page.getByRole('button', { name: 'Create and deploy' }).click();
    // While it runs, the DOM holds a screenful of rows, not 20,000.
    await expect(page.getByRole('list', { name: 'Files, 20,000 in all' })).toBeVisible({ timeout: 30_000 });
    expect(await page.locator('.file-row').count()).toBeLessThan(80);
    await expectCommitted(page, 1, 60_000);
    expect(await stateCount(page, 'done')).toBe(20_000);
    expect(await page.locator('.file-row').count()).toBeLessThan(80);
    // Scrolled to the end, the last file is there.
    await page
      .getByRole('list', { name: 'Files, 20,000 in all' })
      .evaluate((element) => (element.scrollTop = element.scrollHeight));
    await expect(page.getByText('f19999.txt')).toBeVisible();
    await snap(page, 'many-files');
  } finally {
    await app.close();
  }
});

test('File › Deploy a Folder… opens the folder picker; a folder dropped anywhere on the window replaces the chosen one', async ({
  browser,
}) => {
  const app = await openApp(browser);
  try {
    const { page } = app;
    // The menu reaches the renderer as a menu.command event, as main sends it.
    await page.evaluate(() =>
      (window as unknown as { __pressdropEmit(channel: string, payload: unknown): void }).__pressdropEmit(
        'pressdrop:menu.command',
        { command: 'chooseFolder' },
      ),
    );
    await expect.poll(() => app.requests.filter((name) => name === 'folder.choose').length).toBe(1);
    await page.getByRole('button', { name: 'Choose folder…' }).click();
    await expect.poll(() => app.requests.filter((name) => name === 'folder.choose').length).toBe(2);

    const first = writeSite(join(app.scratch, 'first'), siteFiles(2));
    const second = writeSite(join(app.scratch, 'second'), siteFiles(2));
    await dropPaths(page, [first]);
    await expect(page.getByRole('heading', { name: 'Deploy “first”' })).toBeVisible();
    await dropPaths(page, [second]);
    await expect(page.getByRole('heading', { name: 'Deploy “second”' })).toBeVisible();
    await expect(page.getByLabel('Slug')).toHaveValue('second');
  } finally {
    await app.close();
  }
});
