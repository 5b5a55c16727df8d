import { expect, test, type Locator, type Page } from '@playwright/test';
import { join } from 'node:path';
import { openApp } from './harness/app-harness.ts';
import { dropPaths, expectCommitted, horizontalOverflow, siteFiles, snap, writeSite } from './harness/ui-steps.ts';

/** Presses Tab and expects `target` to have the focus. */
async function tabTo(page: Page, target: Locator): Promise<void> {
  await page.keyboard.press('Tab');
  await expect(target).toBeFocused();
}

test('keyboard only: Tab reaches everything in order, focus is visible, Enter deploys', async ({ browser }) => {
  const app = await openApp(browser);
  try {
    const { page } = app;
    const site = writeSite(join(app.scratch, 'keys'), siteFiles(4));
    const sections = page.getByRole('navigation', { name: 'Sections' });
    await expect(page.getByRole('button', { name: 'Choose folder…' })).toBeVisible();
    await tabTo(page, sections.getByRole('button', { name: 'Deploy' }));
    await tabTo(page, sections.getByRole('button', { name: 'History' }));
    await tabTo(page, page.getByLabel('Deploy to'));
    await tabTo(page, page.getByRole('button', { name: 'Add target…' }));
    await tabTo(page, page.getByRole('button', { name: 'Choose folder…' }));
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).toBe('solid');

    await dropPaths(page, [site]);
    // The chooser takes focus at its heading; Tab then walks it top to bottom.
    await expect(page.getByRole('heading', { name: 'Deploy “keys”' })).toBeFocused();
    await tabTo(page, page.getByRole('button', { name: 'Change folder' }));
    await tabTo(page, page.getByRole('radio', { name: 'A new deploy' }));
    await tabTo(page, page.getByLabel('Slug'));
    await tabTo(page, page.getByLabel('Name', { exact: true }));
    await page.keyboard.press('End');
    await page.keyboard.type(' (keyboard)');
    await page.keyboard.press('Enter');
    await expectCommitted(page, 1);
    await expect(page.getByText('keys (keyboard) is live as version #1.')).toBeVisible();
  } finally {
    await app.close();
  }
});

test('dark theme follows the OS', async ({ browser }) => {
  const app = await openApp(browser, { colorScheme: 'dark' });
  try {
    const { page } = app;
    const background = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    expect(background).toBe('rgb(20, 22, 26)');
    const site = writeSite(join(app.scratch, 'night'), siteFiles(30));
    await dropPaths(page, [site]);
    await snap(page, 'dark-chooser');
    await page.getByRole('button', { name: 'Create and deploy' }).click();
    await expectCommitted(page, 1);
    await snap(page, 'dark');
  } finally {
    await app.close();
  }
});

test('at 200% zoom nothing overlaps or runs off the side', async ({ browser }) => {
  const app = await openApp(browser);
  try {
    const { page } = app;
    // 200% zoom halves the CSS pixels of the 1100×760 window.
    await page.setViewportSize({ width: 550, height: 380 });
    await expect(page.getByRole('button', { name: 'Choose folder…' })).toBeVisible();
    expect(await horizontalOverflow(page)).toBe(0);
    await snap(page, 'zoom-200-empty');

    const site = writeSite(join(app.scratch, 'a-site-with-a-rather-long-folder-name'), siteFiles(20));
    await dropPaths(page, [site]);
    await expect(page.getByRole('button', { name: 'Create and deploy' })).toBeVisible();
    expect(await horizontalOverflow(page)).toBe(0);
    await snap(page, 'zoom-200-chooser');
    await page.getByRole('button', { name: 'Create and deploy' }).click();
    await expectCommitted(page, 1);
    expect(await horizontalOverflow(page)).toBe(0);
    await snap(page, 'zoom-200');
    await page.getByRole('heading', { name: 'Files', exact: true }).scrollIntoViewIfNeeded();
    await snap(page, 'zoom-200-files');

    await page.getByRole('button', { name: 'See it in History' }).click();
    await expect(page.getByRole('button', { name: 'Open preview' })).toBeVisible();
    expect(await horizontalOverflow(page)).toBe(0);
    await snap(page, 'zoom-200-version');
    await deployNewAfter(page);
  } finally {
    await app.close();
  }
});

/** Back from History to a fresh drop zone, as a user at 200% would. */
async function deployNewAfter(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Deploy' }).click();
  await page.getByRole('button', { name: 'Deploy another folder' }).click();
  await expect(page.getByRole('button', { name: 'Choose folder…' })).toBeVisible();
  expect(await horizontalOverflow(page)).toBe(0);
}
