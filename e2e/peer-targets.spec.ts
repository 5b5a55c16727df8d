import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { slidelessTarget } from '../src-core/targets/slideless/slideless-target.ts';
import { CLOUDFLARE_API_URL, SLIDELESS_API_URL } from '../src-shared/service-urls.ts';
import { openApp, type AppHarness } from './harness/app-harness.ts';
import { startPeerServices, type PeerServices } from './harness/peer-services.ts';
import { dropPaths, expectCommitted, horizontalOverflow, siteFiles, snap, writeSite } from './harness/ui-steps.ts';

/** Opens the add-target dialog on `kind` and fills it in (the key last, so a test may send a wrong one first). */
async function fillTarget(
  page: Page,
  kind: 'Slideless' | 'Cloudflare',
  fields: { name: string; url: string; apiKey: string; accountId?: string },
) {
  await page.getByRole('button', { name: 'Add target…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Add a target' });
  await dialog.getByRole('radio', { name: kind }).check();
  await dialog.getByLabel('Name', { exact: true }).fill(fields.name);
  await dialog.getByLabel(kind === 'Slideless' ? 'API URL' : 'API base URL').fill(fields.url);
  if (fields.accountId) await dialog.getByLabel('Account ID').fill(fields.accountId);
  await dialog.getByLabel(kind === 'Slideless' ? 'API key' : 'API token').fill(fields.apiKey);
  return dialog;
}

/** Adds both peers as targets through the handlers, as the dialog would (for specs about what comes after). */
async function addPeerTargets(app: AppHarness, peers: PeerServices) {
  const consent = { allowBasicText: false, allowInsecureHttp: false };
  const slideless = await app.controller.handlers['targets.add']({
    kind: 'slideless',
    name: 'Team decks',
    apiUrl: peers.slideless.url,
    apiKey: peers.slideless.apiKey,
    ...consent,
  });
  const cloudflare = await app.controller.handlers['targets.add']({
    kind: 'cloudflare',
    name: 'Team Workers',
    apiUrl: peers.cloudflare.url,
    apiKey: peers.cloudflare.apiKey,
    accountId: peers.cloudflare.accountId,
    ...consent,
  });
  return { slideless, cloudflare };
}

test('add a Slideless and a Cloudflare target in the dialog (wrong keys refused in words), and deploy a folder to each', async ({
  browser,
}) => {
  const app = await openApp(browser);
  const peers = await startPeerServices(app.scratch);
  try {
    const { page } = app;

    // Slideless: the service's own API by default, pointed at the local peer here.
    await page.getByRole('button', { name: 'Add target…' }).click();
    let dialog = page.getByRole('dialog', { name: 'Add a target' });
    await dialog.getByRole('radio', { name: 'Slideless' }).check();
    await expect(dialog.getByLabel('API URL')).toHaveValue(SLIDELESS_API_URL);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    dialog = await fillTarget(page, 'Slideless', {
      name: 'Team decks',
      url: peers.slideless.url,
      apiKey: 'cko_notTheRightKey',
    });
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect(dialog.getByRole('alert')).toContainText('Slideless did not accept the API key.');
    await expect(dialog.getByLabel('API key')).toHaveValue('');
    await snap(page, 'add-target-slideless');
    await dialog.getByLabel('API key').fill(peers.slideless.apiKey);
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole('option', { name: 'Team decks · Slideless' })).toBeAttached();
    await expect(page.getByRole('region', { name: 'Drop a folder here to deploy it' })).toContainText(
      'Team decks (Slideless)',
    );

    // A deck folder: a new presentation titled after the folder.
    const deck = writeSite(join(app.scratch, 'quarterly-deck'), siteFiles(12));
    await dropPaths(page, [deck]);
    await expect(page.getByTestId('peer-destination')).toContainText('A new presentation on Team decks');
    await expect(page.getByLabel('Title')).toHaveValue('quarterly-deck');
    await snap(page, 'chooser-slideless');
    await page.getByRole('button', { name: 'Create presentation and deploy' }).click();
    await expectCommitted(page, 1);
    await expect(page.getByText('quarterly-deck is live as version #1.')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Render PDF' })).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'See it in History' })).toHaveCount(0);
    await snap(page, 'done-slideless');
    const presentationId = (
      JSON.parse(readFileSync(join(deck, 'slideless.json'), 'utf8')) as { presentationId: string }
    ).presentationId;
    await page.getByRole('button', { name: 'Open presentation' }).click();
    await expect.poll(() => app.openedUrls.length).toBe(1);
    expect(app.openedUrls[0]).toContain(presentationId);

    // History says plainly that it cannot list Slideless versions, and shows the one deployed from here.
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'History' }).click();
    await expect(page.getByTestId('peer-history')).toContainText('Slideless versions are not listed here yet');
    await expect(page.getByTestId('peer-last')).toContainText('quarterly-deck #1');
    await snap(page, 'history-slideless');

    // The same folder again updates the presentation its slideless.json names.
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Deploy' }).click();
    await page.getByRole('button', { name: 'Deploy another folder' }).click();
    await dropPaths(page, [deck]);
    await expect(page.getByTestId('peer-destination')).toContainText(presentationId);
    await page.getByRole('button', { name: 'Deploy a new version' }).click();
    await expectCommitted(page, 2);
    await page.getByRole('button', { name: 'Deploy another folder' }).click();

    // Cloudflare: the API base and the account, then the Worker named per deploy (wrangler.json's by default).
    await page.getByRole('button', { name: 'Add target…' }).click();
    dialog = page.getByRole('dialog', { name: 'Add a target' });
    await dialog.getByRole('radio', { name: 'Cloudflare' }).check();
    await expect(dialog.getByLabel('API base URL')).toHaveValue(CLOUDFLARE_API_URL);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    dialog = await fillTarget(page, 'Cloudflare', {
      name: 'Team Workers',
      url: peers.cloudflare.url,
      accountId: peers.cloudflare.accountId,
      apiKey: 'not-the-token-at-all',
    });
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect(dialog.getByRole('alert')).toContainText('Cloudflare did not accept the API token');
    await dialog.getByLabel('API token').fill(peers.cloudflare.apiKey);
    await snap(page, 'add-target-cloudflare');
    await dialog.getByRole('button', { name: 'Add' }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByLabel('Deploy to')).toHaveValue(/^target-/);
    await expect(page.getByRole('option', { name: 'Team Workers · Cloudflare' })).toBeAttached();

    const siteDir = writeSite(join(app.scratch, 'team-site'), {
      ...siteFiles(20),
      'wrangler.json': JSON.stringify({ name: 'team-site', compatibility_date: '2025-06-01' }),
    });
    await dropPaths(page, [siteDir]);
    await expect(page.getByLabel('Worker name')).toHaveValue('team-site');
    await expect(page.getByText('From the folder’s wrangler.json.')).toBeVisible();
    await page.getByLabel('Worker name').fill('Team Site');
    await expect(page.getByText('Use lowercase letters, digits')).toBeVisible();
    await page.getByLabel('Worker name').fill('team-site');
    await snap(page, 'chooser-cloudflare');
    await page.getByRole('button', { name: 'Deploy to Cloudflare Workers' }).click();
    await expectCommitted(page, 1);
    await expect(page.getByText('team-site is live as version #1.')).toBeVisible();
    await snap(page, 'done-cloudflare');
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'History' }).click();
    await expect(page.getByTestId('peer-history')).toContainText('Cloudflare Worker versions are not listed here yet');
    await expect(page.getByTestId('peer-last')).toContainText('team-site #1');
    await snap(page, 'history-cloudflare');
    expect(await horizontalOverflow(page)).toBe(0);

    // Nowhere in the page: neither key, in its text, its markup, nor a field's value.
    const everything = await page.evaluate(() =>
      [
        document.documentElement.outerHTML,
        ...Array.from(document.querySelectorAll('input'), (field) => field.value),
      ].join('\n'),
    );
    expect(everything).not.toContain(peers.slideless.apiKey);
    expect(everything).not.toContain(peers.cloudflare.apiKey);
  } finally {
    await app.close();
    await peers.close();
  }
});

test('an interrupted Slideless deploy is offered for resume with its service named, and resumes in the window', async ({
  browser,
}) => {
  const app = await openApp(browser);
  const peers = await startPeerServices(app.scratch);
  try {
    const { page } = app;
    const { slideless } = await addPeerTargets(app, peers);
    // Deployed by another window of the engine (the CLI, say) and stopped once its first files are stored.
    const deck = writeSite(join(app.scratch, 'board-deck'), siteFiles(60));
    const run = app.engine.deploy({
      folder: deck,
      target: slidelessTarget(
        { apiUrl: peers.slideless.url, apiKey: peers.slideless.apiKey },
        { newPresentation: true },
        { title: 'Board deck' },
      ),
      concurrency: 1,
    });
    let stopped = false;
    run.on((event) => {
      if (!stopped && event.type === 'files' && event.updates.some((update) => update.state === 'done')) {
        stopped = true;
        run.cancel();
      }
    });
    await run.result.catch(() => undefined);
    await app.controller.handlers['targets.select']({ targetId: slideless.id });
    await page.reload();
    const offered = page.getByTestId('resumable');
    await expect(offered).toContainText('board-deck → Board deck');
    await expect(offered).toContainText('Team decks (Slideless)');
    await snap(page, 'resume-slideless');
    await offered.getByRole('button', { name: 'Resume' }).click();
    await expectCommitted(page, 1);
    await expect(page.getByText('resumed: files already stored are not sent again')).toBeVisible();
  } finally {
    await app.close();
    await peers.close();
  }
});

test('dark: the add-target dialog, the chooser, the done panel and History of peer targets', async ({ browser }) => {
  const app = await openApp(browser, { colorScheme: 'dark' });
  const peers = await startPeerServices(app.scratch);
  try {
    const { page } = app;
    const { cloudflare } = await addPeerTargets(app, peers);
    await app.controller.handlers['targets.select']({ targetId: cloudflare.id });
    await page.reload();
    await fillTarget(page, 'Cloudflare', {
      name: 'Another account',
      url: peers.cloudflare.url,
      accountId: peers.cloudflare.accountId,
      apiKey: peers.cloudflare.apiKey,
    });
    await snap(page, 'dark-add-target-cloudflare');
    await page.getByRole('dialog', { name: 'Add a target' }).getByRole('button', { name: 'Cancel' }).click();

    const siteDir = writeSite(join(app.scratch, 'docs-site'), siteFiles(8));
    await dropPaths(page, [siteDir]);
    await expect(page.getByLabel('Worker name')).toHaveValue('docs-site');
    await snap(page, 'dark-chooser-cloudflare');
    await page.getByRole('button', { name: 'Deploy to Cloudflare Workers' }).click();
    await expectCommitted(page, 1);
    await snap(page, 'dark-done-cloudflare');
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'History' }).click();
    await expect(page.getByTestId('peer-last')).toContainText('docs-site #1');
    await snap(page, 'dark-history-cloudflare');
  } finally {
    await app.close();
    await peers.close();
  }
});
