#!/usr/bin/env node
// The `pressdrop` command run from its sources: what the tests, `npm run serve` and the benches' servers run, always
// the code as it is now. Users run the bundle instead (package.json's "bin": src-cli/pressdrop.js, out/cli/ built by
// scripts/build-cli.ts), which starts several times faster. Plain JavaScript, so that nothing is type-stripped before Node's
// compile cache is on: the stripper (amaro, WebAssembly) costs ~15 MiB in each isolate that
// loads it. With the cache on, a run after the first loads every .ts module already stripped and
// compiled, and never loads the stripper; ESLint's and Vite's bins turn the cache on the same way.
// It lives in the user's cache folder (not in the shared temp folder), or where NODE_COMPILE_CACHE
// says; NODE_DISABLE_COMPILE_CACHE=1 turns it off. Worker threads use it only if
// NODE_COMPILE_CACHE names the folder, so it is set for the hash workers to inherit.
import envPaths from 'env-paths';
import module from 'node:module';
import { join } from 'node:path';

const compileCache =
  process.env.NODE_COMPILE_CACHE || join(envPaths('pressdrop', { suffix: '' }).cache, 'compile-cache');
if (module.enableCompileCache?.(compileCache)?.directory !== undefined) process.env.NODE_COMPILE_CACHE = compileCache;
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
