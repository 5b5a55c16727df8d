import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeployEngine } from '../src-core/deploy-engine.ts';
import { FileSecretStore } from '../src-core/file-secret-store.ts';
import type { PressCloudTarget } from '../src-core/press-cloud-client.ts';
import { DEFAULT_SERVER_DATA_DIR, DEFAULT_SERVER_PORT, DEFAULT_STATE_DIR } from './cli-defaults.ts';

/** Flags every command that talks to Press Cloud shares. */
export interface TargetFlags {
  api?: string;
  apiKey?: string;
  stateDir?: string;
}

/** A failure the CLI reports as one line, without a stack: the words are the whole message. */
export class UsageError extends Error {}

/**
 * The server and key, from flags, else PRESS_CLOUD_API / PRESS_CLOUD_TOKEN
 * (as in the seed's curl examples), else the local server `pressdrop serve`
 * runs by default, with the key it keeps in its data folder.
 */
export function resolveTarget(flags: TargetFlags, env: NodeJS.ProcessEnv = process.env): PressCloudTarget {
  const apiUrl = (flags.api ?? env.PRESS_CLOUD_API ?? `http://127.0.0.1:${DEFAULT_SERVER_PORT}`).replace(/\/+$/, '');
  try {
    new URL(apiUrl);
  } catch {
    throw new UsageError(`"${apiUrl}" is not a URL; pass --api http://host:port (or set PRESS_CLOUD_API).`);
  }
  const apiKey = flags.apiKey ?? env.PRESS_CLOUD_TOKEN ?? localServerKey(apiUrl);
  if (!apiKey) {
    throw new UsageError(`No API key for ${apiUrl}: pass --api-key pcak_… or set PRESS_CLOUD_TOKEN.`);
  }
  return { apiUrl, apiKey };
}

/** The key `pressdrop serve` generated, when the target is that default local server. */
function localServerKey(apiUrl: string): string | undefined {
  const { hostname, port } = new URL(apiUrl);
  if (!['127.0.0.1', 'localhost'].includes(hostname) || Number(port) !== DEFAULT_SERVER_PORT) return undefined;
  try {
    return readFileSync(join(DEFAULT_SERVER_DATA_DIR, 'api-key'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The engine with the CLI's ports: state in the app-data folder (or --state-dir), secrets in a 0600 file there. */
export function openEngine(flags: TargetFlags): DeployEngine {
  const stateDir = flags.stateDir ?? DEFAULT_STATE_DIR;
  return new DeployEngine({ stateDir, secrets: new FileSecretStore(join(stateDir, 'secrets.json')) });
}
