import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { FaultInjector } from '../../faults.ts';
import type { PeerOptions, PeerRequest, RunningPeer } from '../peer-options.ts';
import { AssetStore } from './asset-store.ts';
import { API_PREFIX, buildCloudflareApp } from './cloudflare-app.ts';
import type { CloudflarePeerContext, CloudflarePeerLimits } from './peer-context.ts';
import { openPeerDatabase } from './peer-database.ts';
import { ScriptStore } from './script-store.ts';
import { UploadSessions } from './upload-sessions.ts';

/** The account id the peer answers to unless told another (32 hex, like a real one). */
export const DEFAULT_ACCOUNT_ID = '0123456789abcdef0123456789abcdef';

/** Cloudflare's limits: 25 MiB an asset, 20,000 files a manifest (free plan); buckets of ≤100 files, ≤50 MiB. */
export const DEFAULT_CLOUDFLARE_LIMITS: CloudflarePeerLimits = {
  maxAssetBytes: 25 * 1024 * 1024,
  maxFiles: 20_000,
  maxBucketFiles: 100,
  maxBucketBytes: 50 * 1024 * 1024,
};

/** How to start the Cloudflare peer: the common peer options, and what only this peer has. */
export interface CloudflarePeerOptions extends PeerOptions {
  /** The account id of the URLs (`/accounts/<id>/…`); 32 lowercase hex. */
  accountId?: string;
  /** The account's workers.dev subdomain (default `pressdrop-peer`). */
  subdomain?: string;
  /** Tighter (or looser) limits, e.g. a paid plan's 100,000 files, or small buckets in tests. */
  limits?: Partial<CloudflarePeerLimits>;
}

/** A running Cloudflare peer. */
export interface RunningCloudflarePeer extends RunningPeer {
  accountId: string;
}

/**
 * Starts a strict local peer of Cloudflare Workers static assets' direct
 * upload API. Its `url` ends in `/client/v4`: give it to wrangler as
 * CLOUDFLARE_API_BASE_URL, with the API key as CLOUDFLARE_API_TOKEN and
 * `accountId` as CLOUDFLARE_ACCOUNT_ID. What it serves besides the API:
 * see preview-routes.ts.
 */
export async function startCloudflarePeer(options: CloudflarePeerOptions): Promise<RunningCloudflarePeer> {
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  if (!/^[0-9a-f]{32}$/.test(accountId)) throw new Error(`accountId must be 32 lowercase hex characters: ${accountId}`);
  if (!options.apiKey) throw new Error('The Cloudflare peer needs an apiKey (the API token it accepts).');
  await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  const db = openPeerDatabase(join(options.dataDir, 'cloudflare-peer.sqlite'));
  try {
    const ctx: CloudflarePeerContext = {
      accountId,
      apiKey: options.apiKey,
      subdomain: options.subdomain ?? 'pressdrop-peer',
      limits: { ...DEFAULT_CLOUDFLARE_LIMITS, ...options.limits },
      assets: await AssetStore.open(options.dataDir, db),
      scripts: new ScriptStore(db),
      sessions: new UploadSessions(),
      faults: options.faults ? new FaultInjector(options.faults, options.faultsSeed ?? 1) : null,
    };
    const requests: PeerRequest[] = [];
    const app = buildCloudflareApp(ctx, { logRequests: options.logRequests ?? false, requests });
    await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
    const port = (app.server.address() as AddressInfo).port;
    const host = options.host ?? '127.0.0.1';
    const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return {
      url: `${origin}${API_PREFIX}`,
      port,
      accountId,
      requests,
      stalledUploads: () => ctx.faults?.stalledUploads ?? 0,
      async close() {
        await app.close();
        db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}
