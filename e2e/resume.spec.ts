import { expect, test } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseFaultSpec } from '../src-server/faults.ts';
import { openApp } from './harness/app-harness.ts';
import { dropPaths, expectCommitted, snap, stateCount, writeSite } from './harness/ui-steps.ts';

const FILE_COUNT = 48;
const FILE_BYTES = 3 * 1024 * 1024;

test('kill the engine mid-upload, relaunch, resume: the version commits and nothing stored is sent again', async ({
  browser,
}) => {
  // Every request waits 500 ms: the 48 uploads go in three waves of 16, so the upload lasts over a second
  // after its first file is done, and the test (looking every 50 ms) catches it half-way.
  const first = await openApp(browser, { server: { faults: parseFaultSpec('latency=500') } });
  let second: Awaited<ReturnType<typeof openApp>> | null = null;
  try {
    const files: Record<string, Buffer> = { 'index.html': Buffer.from('<h1>Big</h1>') };
    for (let i = 1; i < FILE_COUNT; i++)
      files[`media/clip-${String(i).padStart(2, '0')}.bin`] = randomBytes(FILE_BYTES);
    const site = writeSite(join(first.scratch, 'big-site'), files);

    await dropPaths(first.page, [site]);
    await first.page.getByRole('button', { name: 'Create and deploy' }).click();
    await expect.poll(() => stateCount(first.page, 'done'), { timeout: 30_000, intervals: [50] }).toBeGreaterThan(0);
    await expect(first.page.locator('.phase-step.is-current')).toContainText('Upload');
    await snap(first.page, 'uploading');
    const doneBeforeCrash = await stateCount(first.page, 'done');
    expect(doneBeforeCrash).toBeLessThan(FILE_COUNT);

    // A crash: the engine stops where it is, the data stays. The relaunch finds the same server (same port).
    await first.crash();
    second = await openApp(browser, { state: first.state });
    const { page } = second;
    const banner = page.getByRole('region', { name: 'A deploy was interrupted' });
    await expect(banner).toBeVisible();
    await expect(banner).toContainText('big-site');
    const progress = await banner.locator('.resume-progress').innerText();
    expect(progress).toMatch(/stored \(([1-9]\d?)%\)/);
    await snap(page, 'resume');

    await banner.getByRole('button', { name: 'Resume' }).click();
    await expect(page.getByText('resumed: files already stored are not sent again')).toBeVisible();
    await expectCommitted(page, 1, 45_000);
    const skipped = await stateCount(page, 'skipped');
    const done = await stateCount(page, 'done');
    // What the first run stored is skipped, not uploaded again; the rest is uploaded now.
    expect(skipped).toBeGreaterThanOrEqual(doneBeforeCrash);
    expect(skipped + done).toBe(FILE_COUNT);
    await expect(page.getByTestId('skipped-bytes')).not.toHaveText('0 B skipped');
    await expect(banner).toBeHidden();
    await snap(page, 'resumed-done');
  } finally {
    await second?.close();
    await first.close();
  }
});

test('pause, resume, cancel, then try again: the run continues where it stopped and commits', async ({ browser }) => {
  // Slower than above: the upload must outlast a pause, a resume and a cancel.
  const app = await openApp(browser, { server: { faults: parseFaultSpec('latency=500') } });
  try {
    const { page } = app;
    const files: Record<string, Buffer> = { 'index.html': Buffer.from('<h1>Steer</h1>') };
    for (let i = 1; i < FILE_COUNT; i++)
      files[`media/part-${String(i).padStart(2, '0')}.bin`] = randomBytes(FILE_BYTES);
    const site = writeSite(join(app.scratch, 'steer'), files);
    await dropPaths(page, [site]);
    await page.getByRole('button', { name: 'Create and deploy' }).click();
    await expect(page.locator('.phase-step.is-current')).toContainText('Upload', { timeout: 30_000 });

    await page.getByRole('button', { name: 'Pause' }).click();
    await expect(page.getByRole('heading', { name: 'Paused deploying “steer”' })).toBeVisible();
    await expect(page.getByText('Paused: nothing is being sent.')).toBeVisible();
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect(page.getByRole('heading', { name: 'Deploying “steer”' })).toBeVisible();

    await page.getByRole('button', { name: 'Cancel' }).click();
    const alert = page.getByRole('alert');
    await expect(alert).toContainText(
      'The deploy was stopped. Nothing stored is lost: try again to continue where it stopped.',
    );
    await expect(page.getByRole('heading', { name: 'Stopped deploying “steer”' })).toBeVisible();
    await alert.getByRole('button', { name: 'Try again' }).click();
    await expect(page.getByText('resumed: files already stored are not sent again')).toBeVisible();
    await expectCommitted(page, 1, 45_000);
    expect((await stateCount(page, 'done')) + (await stateCount(page, 'skipped'))).toBe(FILE_COUNT);
  } finally {
    await app.close();
  }
});

test('offline, a deploy to a remote Press Cloud waits and says why; back online, it commits by itself', async ({
  browser,
}) => {
  const app = await openApp(browser);
  try {
    const { page, controller, server } = app;
    // The harness's own server stands in for a remote one: added as a target, as the dialog would.
    const remote = await controller.handlers['targets.add']({
      kind: 'press-cloud',
      name: 'Team Cloud',
      apiUrl: server.url,
      apiKey: server.apiKey,
      allowBasicText: false,
      allowInsecureHttp: false,
    });
    await controller.handlers['targets.select']({ targetId: remote.id });
    await page.reload();
    await expect(page.getByLabel('Deploy to')).toHaveValue(remote.id);
    // What main does when Electron's net.isOnline() turns false.
    controller.holdAll('offline');

    await dropPaths(page, [
      writeSite(join(app.scratch, 'away'), { 'index.html': '<h1>Away</h1>', 'about.html': '<p>About</p>' }),
    ]);
    await page.getByRole('button', { name: 'Create and deploy' }).click();
    await expect(page.getByRole('heading', { name: 'Paused deploying “away”' })).toBeVisible();
    await expect(page.getByTestId('pause-reason')).toHaveText(
      'This computer is offline: nothing is being sent. Uploads continue by themselves when it is back; Resume tries now.',
    );
    // Local work goes on while the network is held.
    await expect(page.getByRole('region', { name: 'Progress' })).toContainText('Every file is hashed');
    await snap(page, 'offline');

    controller.releaseAll('offline');
    await expectCommitted(page, 1);
    expect(await stateCount(page, 'done')).toBe(2);
  } finally {
    await app.close();
  }
});
