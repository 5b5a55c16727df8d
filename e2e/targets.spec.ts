import { expect, test } from '@playwright/test';
import { startTestServer } from '../src-server/testing/test-server.ts';
import { openApp } from './harness/app-harness.ts';
import { snap } from './harness/ui-steps.ts';

test('add a remote Press Cloud: a wrong key is refused in words and never shown again; the right one selects it', async ({ browser }) => {
  const app = await openApp(browser);
  const remote = await startTestServer();
  try {
    const { page } = app;
    await page.getByRole('button', { name: 'Add Press Cloud…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a Press Cloud' });
    await expect(dialog).toBeVisible();
    await expect(dialog.getByLabel('Name')).toBeFocused();
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect(dialog.getByText('Enter the Press Cloud’s address, e.g. https://press.example.com.')).toBeVisible();

    await dialog.getByLabel('Name').fill('Team Cloud');
    await dialog.getByLabel('URL').fill(remote.url);
    await dialog.getByLabel('API key').fill('pcak_thisIsNotTheRightKey');
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect(dialog.getByRole('alert')).toContainText('Press Cloud refused the API key.');
    await expect(dialog.getByText('An API key starts with pcak_')).toBeHidden();
    // The key is not kept in the form after it was sent.
    await expect(dialog.getByLabel('API key')).toHaveValue('');
    await expect(dialog.getByLabel('API key')).toHaveAttribute('type', 'password');
    await snap(page, 'add-target');

    await dialog.getByLabel('API key').fill(remote.apiKey);
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByLabel('Deploy to')).toHaveValue(/^target-/);
    await expect(page.getByRole('option', { name: 'Team Cloud' })).toBeAttached();
    await expect(page.getByText('this computer’s Press Cloud')).toBeHidden();
    await expect(page.getByRole('region', { name: 'Drop a folder here to deploy it' })).toContainText('Team Cloud');

    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'History' }).click();
    await expect(page.getByRole('heading', { name: 'Deploys on Team Cloud' })).toBeVisible();
    await expect(page.getByText('Nothing is deployed here yet.')).toBeVisible();

    await page.getByRole('button', { name: 'Remove' }).click();
    await expect(page.getByLabel('Deploy to')).toHaveValue('local');
    await expect(page.getByRole('heading', { name: 'Deploys on this computer' })).toBeVisible();
  } finally {
    await app.close();
    await remote.close();
  }
});
