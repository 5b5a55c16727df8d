import type { FastifyRequest } from 'fastify';
import type { FaultInjector } from '../../faults.ts';
import type { BucketLimits, ManifestLimits } from './asset-manifest.ts';
import type { AssetStore } from './asset-store.ts';
import { CloudflareError } from './cloudflare-errors.ts';
import type { ScriptStore } from './script-store.ts';
import type { UploadSessions } from './upload-sessions.ts';

/** The limits the peer enforces. */
export type CloudflarePeerLimits = ManifestLimits & BucketLimits;

/** What every route of the peer shares. */
export interface CloudflarePeerContext {
  accountId: string;
  apiKey: string;
  /** The account's workers.dev subdomain (`<script>.<subdomain>.workers.dev`). */
  subdomain: string;
  limits: CloudflarePeerLimits;
  assets: AssetStore;
  scripts: ScriptStore;
  sessions: UploadSessions;
  faults: FaultInjector | null;
}

/** Script names as the Workers API takes them: lowercase letters, digits, "-" and "_", at most 63. */
const SCRIPT_NAME = /^[a-z0-9_][a-z0-9_-]{0,62}$/;

/** The `:scriptName` of the URL, refused unless it is a name the Workers API takes. */
export function scriptNameOf(request: FastifyRequest): string {
  const name = (request.params as { scriptName?: string }).scriptName ?? '';
  if (!SCRIPT_NAME.test(name)) {
    throw new CloudflareError(
      'validation_error',
      `Worker name ${JSON.stringify(name.slice(0, 80))} is not valid: use 1-63 lowercase letters, digits, "-" or "_".`,
    );
  }
  return name;
}

/** Who uploaded: wrangler says so in its User-Agent (`wrangler/4.x`); anything else is the API. */
export function uploadSource(request: FastifyRequest): string {
  return /^wrangler\//.test(request.headers['user-agent'] ?? '') ? 'wrangler' : 'api';
}
