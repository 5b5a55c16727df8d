import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DeployEngine } from '../src-core/deploy-engine.ts';
import { FileSecretStore } from '../src-core/file-secret-store.ts';
import { pressCloudTarget } from '../src-core/targets/press-cloud/press-cloud-target.ts';

/**
 * A no-op re-deploy by an engine that stays up, as the desktop app's main process runs it (issue 12):
 * no Node start-up, no module loading, the state files already open, the hash workers already
 * started. `node bench/resident-noop.ts <url> <apiKey> <deployId> <tree> <stateDir> <runs>` deploys
 * the tree once to warm up, then `runs` times more, and prints the milliseconds of each of those,
 * from the call to the committed version, as `{"ms":[…]}`. File updates are taken (the app's window
 * shows them) and counted, not printed.
 */

export const RESIDENT_NOOP = fileURLToPath(import.meta.url);

async function residentNoop(
  apiUrl: string,
  apiKey: string,
  deployId: string,
  tree: string,
  stateDir: string,
  runs: number,
): Promise<number[]> {
  const engine = new DeployEngine({ stateDir, secrets: new FileSecretStore(join(stateDir, 'secrets.json')) });
  try {
    const target = pressCloudTarget({ apiUrl, apiKey }, { deployId });
    const times: number[] = [];
    for (let i = 0; i <= runs; i++) {
      const started = performance.now();
      const run = engine.deploy({ folder: tree, target });
      let updates = 0;
      run.on((event) => {
        if (event.type === 'files') updates += event.updates.length;
      });
      const result = await run.result;
      if (result.totals.uploadBytes !== 0) throw new Error(`run ${i} uploaded ${result.totals.uploadBytes} bytes`);
      if (updates === 0) throw new Error(`run ${i} told no file updates`);
      if (i > 0) times.push(performance.now() - started);
    }
    return times;
  } finally {
    await engine.close();
  }
}

if (process.argv[1] === RESIDENT_NOOP) {
  const [url, apiKey, deployId, tree, stateDir, runs] = process.argv.slice(2);
  if (!url || !apiKey || !deployId || !tree || !stateDir)
    throw new Error('usage: node bench/resident-noop.ts <url> <apiKey> <deployId> <tree> <stateDir> <runs>');
  const ms = await residentNoop(url, apiKey, deployId, tree, stateDir, Number(runs ?? 3));
  process.stdout.write(JSON.stringify({ ms }));
}
