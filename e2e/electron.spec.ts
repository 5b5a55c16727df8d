import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { electronDist, NO_ELECTRON_BINARY } from '../scripts/electron-binary.ts';
import { inspectPdf } from '../src-server/testing/render-fixture.ts';
import { expectCommitted, siteFiles, stateCount, writeSite } from './harness/ui-steps.ts';

/**
 * The same flows as the Chromium specs, in the real Electron app (main,
 * sandboxed preload, app:// renderer, embedded server), wherever its binary
 * exists. A folder arrives through "Choose folder…", with Electron's own
 * dialog answered from the main process: an OS drag cannot be scripted.
 */
const root = join(import.meta.dirname, '..');

const binary = electronDist()?.executable ?? null;
const SKIP_REASON = `${NO_ELECTRON_BINARY} These specs then run.`;
// The list reporter does not print skip reasons; say it where people read.
if (binary === null) process.stderr.write(`electron specs skipped: ${SKIP_REASON}\n`);

/** Starts the built app on a profile folder (kept between launches of one test). */
async function launch(userData: string): Promise<{ app: ElectronApplication; window: Page }> {
  const app = await electron.launch({
    executablePath: binary!,
    args: [join(root, 'out/main/index.js')],
    env: { ...process.env, PRESSDROP_USER_DATA: userData },
  });
  const window = await app.firstWindow();
  await expect(window.getByRole('heading', { name: 'Drop a folder here to deploy it' })).toBeVisible();
  return { app, window };
}

/** Answers the next folder dialog with `folder`, then presses "Choose folder…". */
async function chooseFolder(app: ElectronApplication, window: Page, folder: string): Promise<void> {
  await app.evaluate(({ dialog }, path) => {
    dialog.showOpenDialog = async () => ({ canceled: false, filePaths: [path] });
  }, folder);
  await window.getByRole('button', { name: 'Choose folder…' }).click();
}

/** The embedded server's URL (as the footer shows it) and the key it generated in the profile. */
async function embeddedServer(window: Page, userData: string): Promise<{ url: string; apiKey: string }> {
  const url = (await window.locator('footer code').first().innerText()).trim();
  return { url, apiKey: readFileSync(join(userData, 'local-press-cloud', 'api-key'), 'utf8').trim() };
}

test.describe('the Electron app', () => {
  test.skip(binary === null, SKIP_REASON);
  let scratch: string;
  test.beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'pressdrop-electron-'));
  });
  test.afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  test('opens on the embedded local Press Cloud with the security checklist applied', async () => {
    const { app, window } = await launch(join(scratch, 'profile'));
    try {
      await expect(window.getByText(/http:\/\/127\.0\.0\.1:\d+/).first()).toBeVisible();
      expect(
        await window.evaluate(() => [
          typeof (globalThis as { require?: unknown }).require,
          typeof (globalThis as { process?: unknown }).process,
        ]),
      ).toEqual(['undefined', 'undefined']);
      // The CSP forbids eval: code that tries it is refused.
      expect(
        await window.evaluate(() => {
          try {
            return String(eval('1'));
          } catch {
            return 'refused';
          }
        }),
      ).toBe('refused');
      expect(window.url()).toBe('app://pressdrop/index.html');
      await window.screenshot({ path: join(root, 'e2e/screenshots/electron-empty.png') });
    } finally {
      await app.close();
    }
  });

  test('deploy a folder, deploy it again (all skipped), and browse its versions', async () => {
    const { app, window } = await launch(join(scratch, 'profile'));
    try {
      const site = writeSite(join(scratch, 'site'), siteFiles(20));
      await chooseFolder(app, window, site);
      await window.getByRole('radio', { name: 'A new deploy' }).check();
      await window.getByLabel('Name', { exact: true }).fill('Electron Site');
      await window.getByRole('button', { name: 'Create and deploy' }).click();
      await expectCommitted(window, 1);
      expect(await stateCount(window, 'done')).toBe(20);

      await window.getByRole('button', { name: 'Deploy another folder' }).click();
      await chooseFolder(app, window, site);
      await window.getByRole('button', { name: 'Deploy to Electron Site' }).click();
      await expectCommitted(window, 2);
      expect(await stateCount(window, 'skipped')).toBe(20);

      await window.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'History' }).click();
      await window.getByRole('button', { name: /Electron Site/ }).click();
      await expect(window.getByRole('list', { name: 'Versions, newest first' }).getByTestId('version-row')).toHaveCount(
        2,
      );
      await window.screenshot({ path: join(root, 'e2e/screenshots/electron-history.png') });
    } finally {
      await app.close();
    }
  });

  test('killed mid-upload, relaunched, resumed: the version commits', async () => {
    const profile = join(scratch, 'profile');
    const first = await launch(profile);
    const site = writeSite(join(scratch, 'big-site'), {
      'index.html': '<h1>big</h1>',
      ...Object.fromEntries(
        Array.from({ length: 6 }, (_, i) => [`media/clip-${i}.bin`, Buffer.alloc(64 * 1024 * 1024, i + 1)]),
      ),
    });
    await chooseFolder(first.app, first.window, site);
    await first.window.getByRole('radio', { name: 'A new deploy' }).check();
    await first.window.getByRole('button', { name: 'Create and deploy' }).click();
    await expect.poll(() => stateCount(first.window, 'done'), { timeout: 30_000, intervals: [50] }).toBeGreaterThan(0);
    first.app.process().kill('SIGKILL');

    const second = await launch(profile);
    try {
      const banner = second.window.getByRole('region', { name: 'A deploy was interrupted' });
      await expect(banner).toBeVisible();
      await banner.getByRole('button', { name: 'Resume' }).click();
      await expectCommitted(second.window, 1, 60_000);
      expect(await stateCount(second.window, 'failed')).toBe(0);
    } finally {
      await second.app.close();
    }
  });

  test('a server refusal is shown in words: the slug was taken meanwhile', async () => {
    const profile = join(scratch, 'profile');
    const { app, window } = await launch(profile);
    try {
      const site = writeSite(join(scratch, 'site'), siteFiles(2));
      await chooseFolder(app, window, site);
      await window.getByRole('radio', { name: 'A new deploy' }).check();
      const server = await embeddedServer(window, profile);
      const taken = await fetch(`${server.url}/v1/deploys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ slug: 'site', name: 'Taken' }),
      });
      expect(taken.status).toBe(201);
      await window.getByRole('button', { name: 'Create and deploy' }).click();
      await expect(window.getByRole('alert')).toContainText('A deploy with that slug already exists.');
    } finally {
      await app.close();
    }
  });

  test('the system going to sleep holds a deploy, and waking lets it commit', async () => {
    const { app, window } = await launch(join(scratch, 'profile'));
    try {
      // powerMonitor's own event, as the OS sends it: main's handler holds every run, and each run started meanwhile.
      await app.evaluate(({ powerMonitor }) => void powerMonitor.emit('suspend'));
      await chooseFolder(app, window, writeSite(join(scratch, 'site'), siteFiles(3)));
      await window.getByRole('radio', { name: 'A new deploy' }).check();
      await window.getByRole('button', { name: 'Create and deploy' }).click();
      await expect(window.getByTestId('pause-reason')).toContainText('The computer went to sleep');
      await app.evaluate(({ powerMonitor }) => void powerMonitor.emit('resume'));
      await expectCommitted(window, 1);
    } finally {
      await app.close();
    }
  });

  test('render a version from History with Electron’s own printer (A5, its title and text), then open it in the viewer and save it', async () => {
    const { app, window } = await launch(join(scratch, 'profile'));
    try {
      const site = writeSite(join(scratch, 'brochure'), {
        'index.html':
          '<!doctype html><html><head><meta charset="utf-8"><title>Brochure</title><style>@page { size: A5; margin: 10mm; }</style></head><body><h1>Printed by Electron</h1></body></html>',
        'press.json': JSON.stringify({ render: { title: 'The Brochure' } }),
      });
      await chooseFolder(app, window, site);
      await window.getByRole('radio', { name: 'A new deploy' }).check();
      await window.getByRole('button', { name: 'Create and deploy' }).click();
      await expectCommitted(window, 1);
      await window.getByRole('button', { name: 'See it in History' }).click();
      await window.getByRole('button', { name: 'Render PDF' }).click();
      const job = window.getByTestId('render-job');
      await expect(job).toContainText('PDF ready', { timeout: 60_000 });
      await window.screenshot({ path: join(root, 'e2e/screenshots/electron-render.png') });

      // The system viewer and the save dialog, answered from the main process as the OS would.
      const saveTo = join(scratch, 'saved.pdf');
      await app.evaluate(({ shell, dialog }, path) => {
        const opened: string[] = [];
        (globalThis as unknown as { __opened: string[] }).__opened = opened;
        shell.openPath = async (file: string) => {
          opened.push(file);
          return '';
        };
        dialog.showSaveDialog = async () => ({ canceled: false, filePath: path });
      }, saveTo);
      await job.getByRole('button', { name: 'Open PDF' }).click();
      await expect
        .poll(() => app.evaluate(() => (globalThis as unknown as { __opened: string[] }).__opened.length))
        .toBe(1);
      const opened = await app.evaluate(() => (globalThis as unknown as { __opened: string[] }).__opened[0]!);
      expect(opened).toMatch(/brochure-1\.pdf$/);
      await job.getByRole('button', { name: 'Save PDF…' }).click();
      await expect(job.getByRole('status')).toContainText(`Saved as ${saveTo}`);
      expect(readFileSync(saveTo)).toEqual(readFileSync(opened));

      const pdf = inspectPdf(readFileSync(saveTo));
      expect(pdf.title).toBe('The Brochure');
      expect(pdf.text).toContain('Printed by Electron');
      // A5 is 419.53 × 595.28 points: the page's own @page size, not the printer's default.
      expect(Math.round(pdf.pageSize[0])).toBe(420);
      expect(Math.round(pdf.pageSize[1])).toBe(595);
    } finally {
      await app.close();
    }
  });
});
