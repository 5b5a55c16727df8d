import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { deploy } from './deploy.ts';
import { endToEnd } from './end-to-end.ts';
import { hashing } from './hashing.ts';
import { render } from './render.ts';
import { serverIngest } from './server-ingest.ts';
import { ui } from './ui.ts';
import { wrangler } from './wrangler.ts';

/**
 * `npm run bench`: every benchmark in turn (or those named as arguments), each printing a markdown report.
 * Progress goes to stderr; stdout is the report, ready for BENCHMARKS.md.
 */

/** A command's output for the machine section, or a note that it is not available. */
function probe(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8' }).trimEnd();
  } catch {
    return `(${command} not available)`;
  }
}

const benches: Array<{ name: string; run: (log: (line: string) => void) => Promise<string> }> = [
  // The headline: whole processes, the way users run them.
  { name: 'end-to-end', run: endToEnd },
  { name: 'server-ingest', run: serverIngest },
  { name: 'hashing', run: hashing },
  { name: 'deploy', run: deploy },
  { name: 'ui', run: ui },
  { name: 'render', run: render },
  { name: 'wrangler', run: wrangler },
];

const log = (line: string) => process.stderr.write(`${line}\n`);
const out = (text: string) => process.stdout.write(`${text}\n`);

out('## Machine');
out('');
out('```');
out(`$ nproc\n${probe('nproc', [])}`);
out(`$ free -h\n${probe('free', ['-h'])}`);
out(`$ df -h ${tmpdir()}\n${probe('df', ['-h', tmpdir()])}`);
out(`node ${process.version}`);
out('```');
// `node bench/run.ts hashing` runs only the benches named.
const only = process.argv.slice(2);
for (const bench of benches.filter((b) => only.length === 0 || only.includes(b.name))) {
  const started = Date.now();
  out('');
  out(await bench.run(log));
  log(`${bench.name}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
