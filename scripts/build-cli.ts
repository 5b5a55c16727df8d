#!/usr/bin/env node
/**
 * `npm run build:cli` (and npm's `prepare`, run by `npm install` and `npm ci`): bundles the
 * `pressdrop` command with esbuild into out/cli/, what package.json's "bin" (`npx pressdrop`) runs.
 *
 * Run from its sources, every start type-strips and loads ~150 modules and resolves each
 * package through node_modules; the bundle is a few files. Code splitting keeps what only
 * some commands use (the server for `serve`, the deploy engine, hash-wasm's WebAssembly…)
 * in chunks loaded when a command asks for them, so `--version` parses none of it.
 *
 * out/cli/build.json lists every source file the bundle was made from (with package.json and
 * npm's record of node_modules) by size and mtime: the launcher refuses to run when one has
 * changed since, and says to run this again, so a stale bundle is never used silently.
 */
import { build, type Metafile, type Plugin } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CliBuildInfo } from '../src-cli/bundle-launcher.ts';

const ROOT = resolve(import.meta.dirname, '..');
/** Where `npm run build:cli` writes the bundle; package.json's "bin" runs its pressdrop.js. */
export const CLI_OUT_DIR = join(ROOT, 'out/cli');
/** The launcher of a bundle in `outDir`: what to run with node. */
export const cliLauncher = (outDir: string = CLI_OUT_DIR) => join(outDir, 'pressdrop.js');

// Not bundled: playwright-core reads its own files beside its modules at run time (`serve`'s
// printer, loaded only there); @napi-rs/nice is piscina's optional native module.
const EXTERNAL = ['playwright-core', '@napi-rs/nice'];

// The chunks are ES modules; a bundled CommonJS package may still call require() (for Node's
// built-ins) or read __dirname (piscina finds its worker.js beside itself, which is why that file
// is an entry of its own).
const BANNER = [
  "import { createRequire as __pressdropCreateRequire } from 'node:module';",
  'const require = __pressdropCreateRequire(import.meta.url);',
  'const __filename = import.meta.filename;',
  'const __dirname = import.meta.dirname;',
].join('\n');

/**
 * `undici` as the CLI uses it (src-core/http/http-service.ts): its Pool alone, with the request
 * API that undici's index puts on every dispatcher (the one thing that index does besides
 * exporting). The index loads all of undici (fetch, WebSocket, caches, mocks: 1 MB, and it wakes
 * Node's own copy of undici besides), the largest part of a deploy's start-up. An import of
 * anything else from 'undici' fails the build ("No matching export"), and so does another major
 * version of undici, whose index this must be checked against again.
 */
const UNDICI_MAJOR = '7';
const undiciPoolOnly: Plugin = {
  name: 'undici-pool-only',
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici', namespace: 'undici-pool-only' }));
    build.onLoad({ filter: /.*/, namespace: 'undici-pool-only' }, () => {
      const { version } = JSON.parse(readFileSync(join(ROOT, 'node_modules/undici/package.json'), 'utf8')) as {
        version: string;
      };
      if (version.split('.')[0] !== UNDICI_MAJOR)
        throw new Error(`undici ${version}: check scripts/build-cli.ts's undici-pool-only against undici's index.js`);
      return {
        contents: [
          "import Dispatcher from 'undici/lib/dispatcher/dispatcher.js';",
          "import api from 'undici/lib/api/index.js';",
          'Object.assign(Dispatcher.prototype, api);',
          "export { default as Pool } from 'undici/lib/dispatcher/pool.js';",
        ].join('\n'),
        resolveDir: ROOT,
        loader: 'js',
      };
    });
  },
};

/** Bundles the CLI into `outDir` (emptied first); resolves to its launcher's path. */
export async function buildCli(outDir: string = CLI_OUT_DIR): Promise<string> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: {
      pressdrop: 'src-cli/bundle-launcher.ts',
      'hash-worker': 'src-core/hash-worker.ts',
      // piscina starts its threads on `${__dirname}/worker.js`, which then imports the task module.
      worker: 'node_modules/piscina/dist/worker.js',
    },
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    external: EXTERNAL,
    plugins: [undiciPoolOnly],
    banner: { js: BANNER },
    // Beside the entries: piscina's chunk looks for worker.js in its own folder.
    chunkNames: '[name]-[hash]',
    legalComments: 'linked',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
  });
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const info: CliBuildInfo = { version: manifest.version, inputs: inputsOf(result.metafile, outDir) };
  writeFileSync(join(outDir, 'build.json'), `${JSON.stringify(info)}\n`);
  // Node reads each .js here as an ES module straight away, wherever the bundle is (a temp folder has no package.json
  // above it to say so, and Node would first try each chunk as CommonJS).
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  // What each chunk holds, for https://esbuild.github.io/analyze/ or a look at what a command loads.
  writeFileSync(join(outDir, 'metafile.json'), JSON.stringify(result.metafile));
  return cliLauncher(outDir);
}

/** The files a change to which makes the bundle stale: our sources, package.json, and npm's record of node_modules. */
function inputsOf(metafile: Metafile, outDir: string): CliBuildInfo['inputs'] {
  // Our files only: not packages (npm's record stands for them), nor a plugin's module ("undici-pool-only:undici").
  const sources = Object.keys(metafile.inputs).filter(
    (path) => !/(^|\/)node_modules\//.test(path) && !path.includes(':'),
  );
  // npm rewrites node_modules/.package-lock.json whenever it changes node_modules: one file stands for every package.
  const paths = [...sources, 'package.json', 'node_modules/.package-lock.json'];
  return paths.map((path) => {
    const stats = statSync(join(ROOT, path));
    return [relative(outDir, join(ROOT, path)), stats.size, stats.mtimeMs];
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // `--prepare` (npm install's prepare step): a bundle that cannot be built must not fail the install (the app, the
  // tests and src-cli/bin.js need none); it is left missing, and `npx pressdrop` says to run `npm run build:cli`.
  const prepare = process.argv[2] === '--prepare';
  const outDir = !prepare && process.argv[2] ? resolve(process.argv[2]) : CLI_OUT_DIR;
  try {
    const launcher = await buildCli(outDir);
    process.stdout.write(`pressdrop CLI bundle: ${relative(process.cwd(), launcher)}\n`);
  } catch (error) {
    if (!prepare) throw error;
    rmSync(outDir, { recursive: true, force: true });
    process.stderr.write(
      `pressdrop: the CLI bundle was not built (${String(error)}); \`npm run build:cli\` says why.\n`,
    );
  }
}
