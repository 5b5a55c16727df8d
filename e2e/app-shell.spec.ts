import { expect, test } from '@playwright/test';
import { openApp } from './harness/app-harness.ts';

test('the window opens on the embedded local Press Cloud, through the real handlers', async ({ browser }) => {
  const app = await openApp(browser);
  try {
    await expect(app.page.getByRole('heading', { name: 'PressDrop' })).toBeVisible();
    await expect(app.page.getByText(app.server.url)).toBeVisible();
    expect(app.requests).toContain('app.info');
    await app.page.screenshot({ path: 'e2e/screenshots/empty.png' });
  } finally {
    await app.close();
  }
});
