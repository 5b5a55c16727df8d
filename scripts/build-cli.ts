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
import { builtinModules, createRequire } from 'node:module';
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

/**
 * Node's built-ins, where an ES module imports one, taken with require() instead. The ES module
 * that Node makes of a built-in reads every export of it, getters too: node:crypto's loads
 * WebCrypto, node:process's the diagnostic report, node:util's its diff and argument parser, and
 * so on, ~15 ms of every start that nothing uses. (A CommonJS module of the require would cost
 * as much again in esbuild's __toESM, which looks at every property of the built-in.) This ES
 * module exports the built-in's plain values, named as they are in the Node that builds it, and
 * not its getters (fs.promises, crypto.webcrypto, process.stdin…): an import of one fails the build.
 */
const builtinsByRequire: Plugin = {
  name: 'builtins-by-require',
  setup(build) {
    const builtins = new Set(builtinModules);
    const require = createRequire(import.meta.url);
    // One such module per importer, so that each lands in its importer's chunk: shared, they were chunks
    // of their own, and each module file costs Node's loader ~1 ms to find, read and link.
    build.onResolve({ filter: /^[a-z_/:]+$/ }, ({ path, kind, importer }) =>
      kind === 'import-statement' && (path.startsWith('node:') || builtins.has(path))
        ? { path: `${path.replace(/^node:/, '')}?${relative(ROOT, importer)}`, namespace: 'builtins-by-require' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'builtins-by-require' }, ({ path: pathAndImporter }) => {
      const path = pathAndImporter.slice(0, pathAndImporter.indexOf('?'));
      const builtin = require(`node:${path}`) as object;
      const names = Object.getOwnPropertyNames(builtin).filter(
        (name) =>
          /^[A-Za-z_$][\w$]*$/.test(name) &&
          name !== 'default' &&
          'value' in Object.getOwnPropertyDescriptor(builtin, name)!,
      );
      return {
        contents: [
          `const builtin = require(${JSON.stringify(`node:${path}`)});`,
          'export default builtin;',
          `export const { ${names.join(', ')} } = builtin;`,
        ].join('\n'),
        loader: 'js',
      };
    });
  },
};

/**
 * Modules that packages require at load but that a deploy to an HTTP/1.1 server never uses, put
 * off until they are: undici's HTTP/2 client (node:http2 and node:tls, ~12 ms of every deploy's
 * start) until a connection negotiates h2, commander's node:child_process (~4 ms) until a command
 * runs as an executable of its own, and the picomatch that fdir looks for in node_modules (not
 * bundled: ~6 files found and compiled at every start) until a glob is asked for. Each patch names
 * the exact text it replaces: a version of the package without it fails the build, to be looked at
 * again.
 */
const LAZY_REQUIRES: ReadonlyArray<{ file: string; patches: ReadonlyArray<[text: string, lazy: string]> }> = [
  {
    file: 'node_modules/undici/lib/dispatcher/client.js',
    patches: [
      [
        "const connectH2 = require('./client-h2.js')",
        "let clientH2\nconst connectH2 = (...args) => (clientH2 ??= require('./client-h2.js'))(...args)",
      ],
    ],
  },
  {
    file: 'node_modules/commander/lib/command.js',
    patches: [
      [
        "const childProcess = require('node:child_process');",
        "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };",
      ],
    ],
  },
  {
    file: 'node_modules/fdir/dist/index.mjs',
    patches: [
      [
        'let pm = null;\n/* c8 ignore next 6 */\ntry {\n\t__require.resolve("picomatch");\n\tpm = __require("picomatch");\n} catch {}',
        'let pm;\nconst picomatch = () => {\n\tif (pm === undefined) try { pm = __require("picomatch"); } catch { pm = null; }\n\treturn pm;\n};',
      ],
      ['const globFn = this.globFunction || pm;', 'const globFn = this.globFunction || picomatch();'],
    ],
  },
];
const lazyRequires: Plugin = {
  name: 'lazy-requires',
  setup(build) {
    build.onLoad({ filter: /[/\\]node_modules[/\\](undici|commander|fdir)[/\\]/ }, ({ path }) => {
      const found = LAZY_REQUIRES.find(({ file }) => path === join(ROOT, file));
      if (!found) return undefined;
      let source = readFileSync(path, 'utf8');
      for (const [text, lazy] of found.patches) {
        if (!source.includes(text))
          throw new Error(`${found.file} no longer holds "${text}": check scripts/build-cli.ts's lazy-requires`);
        source = source.replace(text, lazy);
      }
      return { contents: source, loader: 'js' };
    });
  },
};

/**
 * 'mime' with its tables worked out at build time: the package builds its maps from ~1,000 types
 * at import (~15 ms of every deploy's start); this module reads them from one JSON string, and
 * answers as the package does (scripts/build-cli.test.ts compares them on every extension). Its default
 * export only: an import of anything else from 'mime' fails the build.
 */
const mimeTables: Plugin = {
  name: 'mime-tables',
  setup(build) {
    build.onResolve({ filter: /^mime$/ }, () => ({ path: 'mime', namespace: 'mime-tables' }));
    build.onLoad({ filter: /.*/, namespace: 'mime-tables' }, async () => ({
      contents: await mimeModuleSource(),
      resolveDir: ROOT,
      loader: 'js',
    }));
  },
};

/** The source of mime-tables' module: getType, getExtension and getAllExtensions over tables of the installed mime. */
export async function mimeModuleSource(): Promise<string> {
  const { default: mime } = await import('mime');
  const dist = join(ROOT, 'node_modules/mime/dist');
  const lists = await Promise.all(
    ['standard', 'other'].map(
      async (name) =>
        ((await import(pathToFileURL(join(dist, `types/${name}.js`)).href)) as { default: Record<string, string[]> })
          .default,
    ),
  );
  const types: Record<string, string> = {};
  // type: [getExtension(type), ...getAllExtensions(type)]
  const extensions: Record<string, string[]> = {};
  for (const type of new Set(lists.flatMap((list) => Object.keys(list).map((key) => key.toLowerCase())))) {
    const all = [...(mime.getAllExtensions(type) ?? [])];
    extensions[type] = [mime.getExtension(type) ?? '', ...all];
    for (const extension of all) {
      const found = mime.getType(extension);
      if (found !== null) types[extension] = found;
    }
  }
  return `// mime's default instance, its tables built by scripts/build-cli.ts.
const types = new Map(Object.entries(JSON.parse(${JSON.stringify(JSON.stringify(types))})));
let extensions;
const extensionsOf = (type) => {
  extensions ??= new Map(Object.entries(JSON.parse(${JSON.stringify(JSON.stringify(extensions))})));
  return extensions.get(type);
};
export default Object.freeze({
  getType(path) {
    if (typeof path !== 'string') return null;
    const last = path.replace(/^.*[/\\\\]/s, '').toLowerCase();
    const ext = last.replace(/^.*\\./s, '').toLowerCase();
    const hasPath = last.length < path.length;
    const hasDot = ext.length < last.length - 1;
    if (!hasDot && hasPath) return null;
    return types.get(ext) ?? null;
  },
  getExtension(type) {
    if (typeof type !== 'string') return null;
    type = type?.split?.(';')[0];
    if (!type) return type;
    return extensionsOf(type.trim().toLowerCase())?.[0] || null;
  },
  getAllExtensions(type) {
    if (typeof type !== 'string') return null;
    const found = extensionsOf(type.split(';')[0].trim().toLowerCase());
    return found ? new Set(found.slice(1)) : null;
  },
});
`;
}

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
    plugins: [undiciPoolOnly, mimeTables, lazyRequires, builtinsByRequire],
    banner: { js: BANNER },
    // Beside the entries: piscina's chunk looks for worker.js in its own folder.
    chunkNames: '[name]-[hash]',
    legalComments: 'linked',
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    // A namespace import's use of what builtins-by-require does not export.
    logOverride: { 'import-is-undefined': 'error' },
  });
  asciiOnly(result.metafile);
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

/**
 * Escapes what non-ASCII characters esbuild left in the chunks (in our comments: "→", "…"; strings are
 * escaped already). Node reads a module's file as UTF-8, and one such character makes its whole
 * source a two-byte string, slower to decode and to parse: ~20 ms of a deploy's start for the
 * 750 KB chunk it loads. In a comment the escape reads as text; the source maps stay right but for
 * the columns after it on its line.
 */
function asciiOnly(metafile: Metafile): void {
  for (const path of Object.keys(metafile.outputs).filter((output) => output.endsWith('.js'))) {
    const file = join(ROOT, path);
    const text = readFileSync(file, 'utf8');
    const ascii = text.replace(/[^\x00-\x7f]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
    if (ascii !== text) writeFileSync(file, ascii);
  }
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
