#!/usr/bin/env node
// The `pressdrop` command. Plain JavaScript, so that loading it needs no type stripping: Node's
// stripper (amaro, a WebAssembly module) costs ~15 MiB in each isolate that loads it, and this
// file is the only one that runs before Node's compile cache can be turned on. With the cache
// on, a run after the first loads every .ts module already stripped (and compiled) from the
// cache, and never loads the stripper; the hash worker threads share the cache (HashPool). As
// ESLint's and Vite's bins do; NODE_COMPILE_CACHE chooses the folder (default: the temp
// folder's node-compile-cache) and NODE_DISABLE_COMPILE_CACHE=1 turns it off.
import module from 'node:module';

module.enableCompileCache?.();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv);
