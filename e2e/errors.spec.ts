import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { openApp } from './harness/app-harness.ts';
import { dropPaths, expectCommitted, siteFiles, snap, writeSite } from './harness/ui-steps.ts';

test('a server error is shown in words, with a way out: the slug was taken meanwhile (409)', async ({ browser }) => {
  const app = await openApp(browser);
  try {
    const { page } = app;
    const site = writeSite(join(app.scratch, 'site'), siteFiles(5));
    await dropPaths(page, [site]);
    await expect(page.getByLabel('Slug')).toHaveValue('site');
    // Someone else creates the slug after the chooser listed the deploys: only the server can tell.
    expect(
      (await app.server.request('POST', '/v1/deploys', { json: { slug: 'site', name: 'Taken' } })).status,
    ).toBeLessThan(300);
    await page.getByRole('button', { name: 'Create and deploy' }).click();

    const alert = page.getByRole('alert');
    await expect(alert).toContainText(
      'A deploy with that slug already exists. Pick it under “An existing deploy”, or choose another slug.',
    );
    await expect(page.getByRole('heading', { name: 'Stopped deploying “site”' })).toBeVisible();
    await expect(page.locator('.phase-step.is-failed')).toHaveCount(1);
    await snap(page, 'error');

    // The way out: back to the chooser with the same folder, where the taken slug is now a deploy to pick.
    await alert.getByRole('button', { name: 'Choose another deploy' }).click();
    await expect(page.getByRole('heading', { name: 'Deploy “site”' })).toBeVisible();
    await expect(page.getByRole('radio', { name: /Taken/ })).toBeChecked();
    await page.getByRole('radio', { name: 'A new deploy' }).check();
    await expect(page.getByText('“site” is already a deploy here.')).toBeVisible();
    await page.getByLabel('Slug').fill('Site!');
    await expect(
      page.getByText('Use lowercase letters, digits and hyphens, starting with a letter or digit.'),
    ).toBeVisible();
    await page.getByLabel('Slug').fill('site-2');
    await page.getByRole('button', { name: 'Create and deploy' }).click();
    await expectCommitted(page, 1);
    // A refusal that retrying cannot cure is not offered for resume.
    await page.getByRole('button', { name: 'Deploy another folder' }).click();
    await expect(page.getByRole('region', { name: /interrupted/ })).toBeHidden();
  } finally {
    await app.close();
  }
});

test('a file, or several items, dropped instead of one folder get a clear answer', async ({ browser }) => {
  const app = await openApp(browser);
  try {
    const { page } = app;
    const site = writeSite(join(app.scratch, 'site'), siteFiles(3));
    await dropPaths(page, [join(site, 'index.html'), join(site, 'pages')]);
    await expect(page.getByRole('alert')).toContainText('Drop one folder: the one that holds your site.');
    await expect(page.getByRole('alert')).toContainText('You dropped 2 items.');
    await dropPaths(page, [join(site, 'index.html')]);
    await expect(page.getByRole('alert')).toContainText(
      'index.html is a file. Drop the folder that holds your site instead.',
    );
    await snap(page, 'drop-error');
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await expect(page.getByRole('alert')).toBeHidden();
  } finally {
    await app.close();
  }
});

test('a folder over the server’s limits is refused before anything is uploaded, in words', async ({ browser }) => {
  const app = await openApp(browser, { server: { limits: { maxFilesPerVersion: 3 } } });
  try {
    const { page } = app;
    const site = writeSite(join(app.scratch, 'site'), siteFiles(5));
    await dropPaths(page, [site]);
    await page.getByRole('button', { name: 'Create and deploy' }).click();
    const alert = page.getByRole('alert');
    await expect(alert).toContainText(
      'The folder has more files than this Press Cloud accepts in one version. Leave some out with .pressignore.',
    );
    await expect(alert).toContainText('this server takes at most 3 per version');
    await expect(alert.getByRole('button', { name: 'Choose another folder' })).toBeVisible();
  } finally {
    await app.close();
  }
});
