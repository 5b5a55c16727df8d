import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DeployEngine } from '../deploy-engine.ts';
import { FileSecretStore } from '../file-secret-store.ts';
import type { TestContextLike } from './peer-process.ts';

/** A scratch folder for one test, removed after it. */
export function scratch(t: TestContextLike): string {
  const dir = mkdtempSync(join(tmpdir(), 'pressdrop-scratch-'));
  t.after(async () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `files` (relative path → text or bytes) under `root`, making folders as needed. */
export function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

/** A DeployEngine with its state (journal, hash cache, secrets) in `dir`/`stateName`, closed after the test. */
export function engineIn(
  t: TestContextLike,
  dir: string,
  stateName = 'state',
): { engine: DeployEngine; secrets: FileSecretStore } {
  const stateDir = join(dir, stateName);
  const secrets = new FileSecretStore(join(stateDir, 'secrets.json'));
  const engine = new DeployEngine({ stateDir, secrets });
  t.after(() => engine.close());
  return { engine, secrets };
}

/**
 * A deploy test's setting: a scratch folder `dir`, `files` written in its folder `name` (`folder`), and an
 * engine with its state beside it.
 */
export function deployFolder(
  t: TestContextLike,
  files: Record<string, string | Buffer>,
  name = 'site',
): { dir: string; folder: string; engine: DeployEngine; secrets: FileSecretStore } {
  const dir = scratch(t);
  const folder = join(dir, name);
  writeFiles(folder, files);
  return { dir, folder, ...engineIn(t, dir) };
}
