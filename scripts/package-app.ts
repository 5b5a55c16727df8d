// `npm run package [-- --dir]`: the app's installers for this platform (or, with --dir, the unpacked app), with
// PressDrop's Electron fuses flipped (scripts/packaging/fuses.ts). Packaging copies an Electron binary; this
// script never downloads one, so it says so and stops where none is present.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'electron-builder';
import { electronDist, NO_ELECTRON_BINARY } from './electron-binary.ts';
import { electronBuilderConfig } from './packaging/electron-builder-config.ts';

const root = join(import.meta.dirname, '..');
const dist = electronDist();
if (!dist) {
  process.stderr.write(
    `npm run package: cannot package here. ${NO_ELECTRON_BINARY} Packaging copies that binary into the app and flips its fuses.\n`,
  );
  process.exit(1);
}

const built = spawnSync(process.execPath, [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], {
  cwd: root,
  stdio: 'inherit',
});
if (built.status !== 0) process.exit(built.status ?? 1);

const artifacts = await build({
  projectDir: root,
  config: electronBuilderConfig(dist.dir),
  publish: 'never',
  ...(process.argv.includes('--dir') && { dir: true }),
});
for (const artifact of artifacts) process.stdout.write(`${artifact}\n`);
