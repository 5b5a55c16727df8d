#!/usr/bin/env node
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
