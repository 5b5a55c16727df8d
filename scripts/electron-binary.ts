import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');

/** Why there is no Electron binary here, and what to do about it, for the specs and the packager to print. */
export const NO_ELECTRON_BINARY =
  'No Electron binary on this machine (it is downloaded on first launch, and this machine cannot reach that host). ' +
  'Where it can: run `npx electron --version` once, or set ELECTRON_OVERRIDE_DIST_PATH to an unpacked Electron 45.';

/**
 * The unpacked Electron this checkout would run: its folder and executable,
 * found without importing `electron` (which would try to download it), or
 * null when neither `npx electron` has fetched it nor ELECTRON_OVERRIDE_DIST_PATH names one.
 */
export function electronDist(): { dir: string; executable: string } | null {
  const pathFile = join(root, 'node_modules/electron/path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : 'electron';
  const dir = process.env.ELECTRON_OVERRIDE_DIST_PATH || join(root, 'node_modules/electron/dist');
  const executable = join(dir, relative);
  return existsSync(executable) ? { dir, executable } : null;
}
