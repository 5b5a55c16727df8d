import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'vite';
import { HARNESS_PRELOAD } from './harness/app-harness.ts';

/** Builds what the specs load: the renderer (electron-vite, as `npm start` does) and the harness preload. */
export default async function globalSetup(): Promise<void> {
  const root = join(import.meta.dirname, '..');
  execFileSync(join(root, 'node_modules/.bin/electron-vite'), ['build'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await build({
    configFile: false,
    logLevel: 'warn',
    build: {
      outDir: join(HARNESS_PRELOAD, '..'),
      emptyOutDir: true,
      lib: {
        entry: join(import.meta.dirname, 'harness/browser-preload.ts'),
        formats: ['iife'],
        name: 'pressdropHarness',
        fileName: () => 'harness-preload.js',
      },
    },
  });
}
