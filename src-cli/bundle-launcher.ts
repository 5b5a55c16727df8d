/**
 * The bundled CLI's launcher: scripts/build-cli.ts bundles it as out/cli/pressdrop.js, what
 * package.json's "bin" (`npx pressdrop`) runs. Only this small file is compiled before Node's
 * compile cache is on; the commands' chunks are loaded after, from the cache on every run but
 * the first. The cache lives in the user's cache folder, as src-cli/bin.js keeps it.
 *
 * A bundle is made from the sources as they were: build.json lists them (size and mtime), and
 * the launcher refuses to run once one has changed, rather than run old code silently.
 */
import envPaths from 'env-paths';
import { readFileSync, statSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';

/** build.json, beside the bundle: the version, and [path relative to the bundle, size, mtimeMs] of each input. */
export interface CliBuildInfo {
  version: string;
  inputs: Array<[path: string, size: number, mtimeMs: number]>;
}

const here = import.meta.dirname;
const build = JSON.parse(readFileSync(join(here, 'build.json'), 'utf8')) as CliBuildInfo;
// ~150 stats, a few milliseconds; the paths are not normalized (the kernel follows `..`), which costs as much again.
const changed = build.inputs.find(([path, size, mtimeMs]) => {
  const stats = statSync(`${here}/${path}`, { throwIfNoEntry: false });
  return stats?.size !== size || stats.mtimeMs !== mtimeMs;
});
if (changed) {
  process.stderr.write(
    `pressdrop: this build of the CLI (${here}) is older than its sources (${join(here, changed[0])} changed since). Run \`npm run build:cli\` to build it again.\n`,
  );
  process.exitCode = 1;
} else {
  const compileCache =
    process.env.NODE_COMPILE_CACHE || join(envPaths('pressdrop', { suffix: '' }).cache, 'compile-cache');
  if (module.enableCompileCache?.(compileCache)?.directory !== undefined) process.env.NODE_COMPILE_CACHE = compileCache;
  const { main } = await import('./main.ts');
  process.exitCode = await main(process.argv, {
    version: build.version,
    hashWorkerUrl: new URL('./hash-worker.js', import.meta.url),
  });
}
