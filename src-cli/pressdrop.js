#!/usr/bin/env -S node --max-semi-space-size=8 --liftoff-only
// The young generation is capped at 8 MiB a half (V8 lets it grow to 32 here): a deploy of 20,000
// files kept ~100 MiB more resident at the default, for no CPU saved. WebAssembly stays on V8's
// baseline compiler: undici's HTTP parser is wasm, V8 recompiles its hot parse function with
// TurboFan on a background thread, and a process that ends before that compile does waits for it
// (~150 ms of every 1-file deploy here), while 20,000 requests parse no slower on the baseline
// code. (bench/end-to-end.ts reads these flags, so it runs the bundle as the shebang does.)
// What package.json's "bin" names (`npx pressdrop`): the bundled CLI that scripts/build-cli.ts writes to
// out/cli/ (npm install and npm ci build it, in the `prepare` script). src-cli/bin.js runs the sources.
import { existsSync } from 'node:fs';

const bundle = new URL('../out/cli/pressdrop.js', import.meta.url);
if (existsSync(bundle)) await import(bundle.href);
else {
  process.stderr.write(
    'pressdrop: the CLI is not built (out/cli/ is missing): run `npm run build:cli`, or run it from its sources with `node src-cli/bin.js`.\n',
  );
  process.exitCode = 1;
}
