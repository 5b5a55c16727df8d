/**
 * Steps the specs share: fixture folders on disk, a simulated folder drop,
 * the deploy chooser, and versions made straight through the API.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, type Page } from '@playwright/test';
import type { TestServer } from '../../src-server/testing/test-server.ts';

/** Writes `files` (relative path → content) under `root`; returns root. */
export function writeSite(root: string, files: Record<string, string | Buffer>): string {
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return root;
}

/** A small site of `count` files with distinct contents, in a few nested folders. */
export function siteFiles(count: number, salt = ''): Record<string, string> {
  const files: Record<string, string> = {
    'index.html': `<!doctype html><title>Fixture${salt}</title><h1>Hello${salt}</h1>`,
  };
  for (let i = 1; i < count; i++) {
    const folder = i % 3 === 0 ? 'assets/css' : i % 3 === 1 ? 'assets/js/vendor' : 'pages';
    files[`${folder}/file-${String(i).padStart(3, '0')}.txt`] = `file ${i}${salt}\n`.repeat(50 + i);
  }
  return files;
}

/** Drops `paths` on the drop zone (or, when it is not shown, on the window) as Electron would report them (webUtils.getPathForFile). */
export async function dropPaths(page: Page, paths: string[]): Promise<void> {
  // The window takes drops once it has loaded (its footer shows then); a drop before that would be lost.
  await expect(page.getByRole('contentinfo')).toBeVisible();
  await page.evaluate((dropped) => {
    const names: Record<string, string> = {};
    const transfer = new DataTransfer();
    dropped.forEach((path, index) => {
      const name = `${index}-${path.split('/').pop()}`;
      names[name] = path;
      transfer.items.add(new File([''], name));
    });
    (window as unknown as { __pressdropDropPaths: Record<string, string> }).__pressdropDropPaths = names;
    const zone = document.querySelector('[data-testid="drop-zone"]') ?? document.body;
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, paths);
}

/** Drops a folder and, in the chooser, deploys it as a new deploy. */
export async function deployNew(page: Page, folder: string, deploy: { slug: string; name: string }): Promise<void> {
  await dropPaths(page, [folder]);
  await page.getByRole('radio', { name: 'A new deploy' }).check();
  await page.getByLabel('Slug').fill(deploy.slug);
  await page.getByLabel('Name', { exact: true }).fill(deploy.name);
  await page.getByRole('button', { name: 'Create and deploy' }).click();
}

/** The count the session view shows for a file state (0 when the state has no files). */
export async function stateCount(page: Page, state: string): Promise<number> {
  const item = page.locator(`[data-state-count="${state}"] strong`);
  if ((await item.count()) === 0) return 0;
  return Number((await item.innerText()).replace(/[^\d]/g, ''));
}

/** Waits for "… is live as version #n." */
export async function expectCommitted(page: Page, versionNo: number, timeout = 30_000): Promise<void> {
  await expect(page.getByText(new RegExp(`is live as version #${versionNo}\\.`))).toBeVisible({ timeout });
}

/** Commits a version of `deployId` straight through the API (no UI), reusing the same small file. */
export async function commitViaApi(server: TestServer, deployId: string, title: string): Promise<void> {
  const body = `<h1>${title}</h1>`;
  const sha256 = createHash('sha256').update(body).digest('hex');
  const file = { path: 'index.html', sha256, size: Buffer.byteLength(body), mime: 'text/html' };
  const created = await server.request('POST', '/v1/upload-sessions', { json: { deployId, files: [file] } });
  expect(created.status).toBeLessThan(300);
  const { uploadSession, uploadToken } = created.body;
  const put = await server.request('PUT', `/v1/upload-sessions/${uploadSession.id}/blobs/${sha256}`, {
    raw: body,
    uploadToken,
  });
  expect(put.status).toBeLessThan(300);
  const commit = await server.request('POST', `/v1/upload-sessions/${uploadSession.id}/commit`, {
    uploadToken,
    json: {
      entries: [{ path: file.path, blobHash: sha256, size: file.size, mime: file.mime }],
      render: { route: '/index.html', title },
    },
  });
  expect(commit.status).toBeLessThan(300);
}

/** The horizontal overflow of the page, in CSS pixels (0 when nothing sticks out sideways). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

const SCREENSHOTS = join(import.meta.dirname, '../screenshots');

/** Saves e2e/screenshots/<name>.png, with transitions finished so bars show their real width. */
export async function snap(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), animations: 'disabled' });
}

/**
 * Commits a version whose files are `entries` (path → content) straight through the API: each distinct
 * content is uploaded once, so 20,000 paths over a few contents take a few requests. Creates the deploy
 * (`slug`) when it does not exist yet; resolves with the version's id and number.
 */
export async function commitEntriesViaApi(
  server: TestServer,
  slug: string,
  entries: Record<string, string>,
): Promise<{ deployId: string; versionId: string; versionNo: number }> {
  const files = Object.entries(entries).map(([path, body]) => ({
    path,
    body,
    sha256: createHash('sha256').update(body).digest('hex'),
    size: Buffer.byteLength(body),
    mime: 'text/plain',
  }));
  const existing = (
    (await server.request('GET', '/v1/deploys?limit=200')).body.items as Array<{ id: string; slug: string }>
  ).find((deploy) => deploy.slug === slug);
  const descriptors = files.map(({ path, sha256, size, mime }) => ({ path, sha256, size, mime }));
  const created = await server.request('POST', '/v1/upload-sessions', {
    json: { ...(existing ? { deployId: existing.id } : { createDeploy: { slug, name: slug } }), files: descriptors },
  });
  expect(created.status, JSON.stringify(created.body)).toBeLessThan(300);
  const { uploadSession, uploadToken } = created.body;
  const contents = new Map(files.map((file) => [file.sha256, file.body]));
  for (const [sha256, body] of contents) {
    const put = await server.request('PUT', `/v1/upload-sessions/${uploadSession.id}/blobs/${sha256}`, {
      raw: body,
      uploadToken,
    });
    expect(put.status).toBeLessThan(300);
  }
  const commit = await server.request('POST', `/v1/upload-sessions/${uploadSession.id}/commit`, {
    uploadToken,
    json: { entries: files.map(({ path, sha256, size, mime }) => ({ path, blobHash: sha256, size, mime })) },
  });
  expect(commit.status, JSON.stringify(commit.body)).toBeLessThan(300);
  const version = commit.body.deployVersion as { id: string; deployId: string; versionNo: number };
  return { deployId: version.deployId, versionId: version.id, versionNo: version.versionNo };
}

/** Opens History at a deploy's version: the History tab, the deploy, then the row of version #versionNo. */
export async function openVersion(page: Page, deployName: string, versionNo: number): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'History' }).click();
  const crumb = page.getByRole('navigation', { name: 'Where you are in History' });
  if (await crumb.isVisible()) await crumb.getByRole('button', { name: 'All deploys' }).click();
  await page
    .getByRole('list', { name: 'Deploys' })
    .getByRole('button', { name: new RegExp(deployName) })
    .click();
  await page
    .getByRole('list', { name: 'Versions, newest first' })
    .getByTestId('version-row')
    .filter({ hasText: new RegExp(`#${versionNo}\\b`) })
    .click();
  await expect(page.getByRole('heading', { name: `${deployName} #${versionNo}` })).toBeVisible();
}
