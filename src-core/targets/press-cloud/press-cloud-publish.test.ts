/**
 * After the commit, from the client's side, against a real `pressdrop serve`:
 * aliases moved and removed, two versions compared, a version printed and
 * its PDF saved.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeployEngine } from '../../deploy-engine.ts';
import { FileSecretStore } from '../../file-secret-store.ts';
import { pressCloudTarget } from './press-cloud-target.ts';
import { ServiceError } from './press-cloud-client.ts';
import { startCloud, type Cloud } from '../../testing/local-cloud.ts';
import { diffVersions } from '../../version-diff.ts';

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pressdrop-publish-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Deploys `files` as the folder's next version; its version id. */
async function deploy(
  t: { after: (fn: () => Promise<void>) => void },
  cloud: Cloud,
  dir: string,
  files: Record<string, string>,
  ref: { createDeploy: { slug: string; name: string } } | { deployId: string },
) {
  const site = join(dir, 'site');
  rmSync(site, { recursive: true, force: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(site, path, '..'), { recursive: true });
    writeFileSync(join(site, path), text);
  }
  const engine = new DeployEngine({
    stateDir: join(dir, 'state'),
    secrets: new FileSecretStore(join(dir, 'state', 'secrets.json')),
  });
  t.after(() => engine.close());
  return (
    await engine.deploy({ folder: site, target: pressCloudTarget({ apiUrl: cloud.url, apiKey: cloud.apiKey }, ref) })
      .result
  ).deployVersion;
}

test('aliases are set, moved back to an older version, listed and removed', async (t) => {
  const dir = scratch(t);
  const cloud = await startCloud(t);
  const client = cloud.client();
  const v1 = await deploy(t, cloud, dir, { 'index.html': 'one' }, { createDeploy: { slug: 'site', name: 'Site' } });
  const v2 = await deploy(t, cloud, dir, { 'index.html': 'two' }, { deployId: v1.deployId });
  assert.equal((await client.setAlias(v1.deployId, 'production', v2.id)).deployVersionId, v2.id);
  // Roll back: the same alias, an older version.
  await client.setAlias(v1.deployId, 'production', v1.id);
  await client.setAlias(v1.deployId, 'latest', v2.id);
  assert.deepEqual(
    (await client.listAliases(v1.deployId)).map((a) => [a.name, a.deployVersionId]),
    [
      ['latest', v2.id],
      ['production', v1.id],
    ],
  );
  const page = await client.listVersions(v1.deployId);
  assert.deepEqual(
    page.items.map((v) => [v.versionNo, v.aliases, v.fileCount]),
    [
      [2, ['latest'], 1],
      [1, ['production'], 1],
    ],
  );
  await client.deleteAlias(v1.deployId, 'latest');
  await assert.rejects(
    client.deleteAlias(v1.deployId, 'latest'),
    (error: unknown) => error instanceof ServiceError && error.code === 'alias_not_found',
  );
  assert.deepEqual(
    (await client.listAliases(v1.deployId)).map((a) => a.name),
    ['production'],
  );
});

test('two versions compared: added, removed and changed paths with sizes, and how many are the same', async (t) => {
  const dir = scratch(t);
  const cloud = await startCloud(t);
  const same = Object.fromEntries(
    Array.from({ length: 230 }, (_, i) => [`pages/p${String(i).padStart(3, '0')}.html`, `page ${i}`]),
  );
  const v1 = await deploy(
    t,
    cloud,
    dir,
    { ...same, 'old.txt': 'going', 'style.css': 'a{}', 'ünï/cødé.txt': 'x' },
    { createDeploy: { slug: 'diff', name: 'Diff' } },
  );
  const v2 = await deploy(
    t,
    cloud,
    dir,
    { ...same, 'new.txt': 'coming!', 'style.css': 'a{color:red}', 'ünï/cødé.txt': 'x' },
    { deployId: v1.deployId },
  );
  const diff = await diffVersions(cloud.client(), v1.id, v2.id);
  assert.deepEqual(diff, {
    added: [{ path: 'new.txt', size: 7 }],
    removed: [{ path: 'old.txt', size: 5 }],
    changed: [{ path: 'style.css', sizeBefore: 3, sizeAfter: 12 }],
    unchangedCount: 231,
  });
  const back = await diffVersions(cloud.client(), v2.id, v1.id);
  assert.deepEqual([back.added, back.removed], [[{ path: 'old.txt', size: 5 }], [{ path: 'new.txt', size: 7 }]]);
});

test(
  'a version printed: the job is created once per key, followed to succeeded, and its PDF saved whole',
  { timeout: 90_000 },
  async (t) => {
    const dir = scratch(t);
    const cloud = await startCloud(t);
    const client = cloud.client();
    const version = await deploy(
      t,
      cloud,
      dir,
      { 'index.html': '<title>x</title><h1>Printed from the client</h1>' },
      { createDeploy: { slug: 'print', name: 'Print' } },
    );
    const job = await client.createRenderJob({ deployVersionId: version.id }, 'print-key-1');
    assert.equal((await client.createRenderJob({ deployVersionId: version.id }, 'print-key-1')).id, job.id);
    let current = job;
    while (current.status !== 'succeeded' && current.status !== 'failed') {
      await new Promise((resolve) => setTimeout(resolve, 50));
      current = await client.getRenderJob(job.id);
    }
    assert.equal(current.status, 'succeeded', JSON.stringify(current.error));
    assert.deepEqual(
      (await client.listRenderJobs(version.id)).items.map((j) => j.id),
      [job.id],
    );
    const pdf = await client.getPdf(current.pdfId!);
    const out = join(dir, 'out.pdf');
    assert.equal(await client.savePdf(pdf.id, out), pdf.size);
    const saved = readFileSync(out);
    assert.equal(saved.subarray(0, 5).toString(), '%PDF-');
    const fetched = Buffer.from(
      await (
        await fetch(`${cloud.url}/v1/pdfs/${pdf.id}/content`, { headers: { authorization: `Bearer ${cloud.apiKey}` } })
      ).arrayBuffer(),
    );
    assert.deepEqual(saved, fetched);
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.endsWith('.part')),
      [],
      'no temp file left',
    );
    await assert.rejects(
      client.savePdf('pdf_nope', join(dir, 'nope.pdf')),
      (error: unknown) => error instanceof ServiceError && error.code === 'pdf_not_found',
    );
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.startsWith('nope')),
      [],
      'a refused download leaves nothing',
    );
  },
);
