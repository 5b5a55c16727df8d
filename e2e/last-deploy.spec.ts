import { expect, test } from '@playwright/test';
import { join } from 'node:path';
import { openApp } from './harness/app-harness.ts';
import { deployNew, dropPaths, expectCommitted, siteFiles, writeSite } from './harness/ui-steps.ts';

test('the window opens on the deploy used last: a folder of another name is offered to it', async ({ browser }) => {
  const first = await openApp(browser);
  let state = first.state;
  try {
    const site = writeSite(join(first.scratch, 'site'), siteFiles(3));
    await deployNew(first.page, site, { slug: 'docs', name: 'Docs' });
    await expectCommitted(first.page, 1);
    state = first.state;
  } finally {
    await first.crash();
  }
  // Relaunched on the same data and settings; the build folder has another name.
  const again = await openApp(browser, { state });
  try {
    const build = writeSite(join(again.scratch, 'build-output'), siteFiles(3, 'v2'));
    await dropPaths(again.page, [build]);
    await expect(again.page.getByRole('radio', { name: /Docs/ })).toBeChecked();
  } finally {
    await again.close();
  }
});
