import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseFaultSpec } from '../../faults.ts';
import type { AssetManifest } from './asset-manifest.ts';
import { assetExtension, assetHash } from './asset-hash.ts';
import { startCloudflarePeer, type CloudflarePeerOptions, type RunningCloudflarePeer } from './cloudflare-peer.ts';

/** An answer of the peer: status, headers, and the body parsed when it is JSON. */
export interface PeerAnswer {
  status: number;
  headers: Headers;
  // Tests read arbitrary fields of Cloudflare's envelope.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** How a test calls the peer: the API token unless `token` says otherwise (`null`: no Authorization). */
export interface CallInit {
  token?: string | null;
  json?: unknown;
  form?: FormData;
  body?: string;
  headers?: Record<string, string>;
}

/** A peer started for one test, with helpers that speak its API. */
export interface TestPeer {
  peer: RunningCloudflarePeer;
  apiKey: string;
  dataDir: string;
  /** `/accounts/<accountId>` of the peer, to prefix paths with. */
  account: string;
  call(method: string, path: string, init?: CallInit): Promise<PeerAnswer>;
  /** Opens an assets upload session for `files` (path → content) of `script`. */
  openSession(script: string, files: Record<string, Buffer | string>): Promise<PeerAnswer>;
  /** Uploads these files of a session, each as wrangler does (base64 part named by its hash). */
  upload(jwt: string, files: Record<string, Buffer | string>, query?: string): Promise<PeerAnswer>;
  /** Deploys an assets-only Worker with this completion token, as wrangler's PUT does. */
  deploy(script: string, completionJwt: string): Promise<PeerAnswer>;
  /** GET /preview/<script>/<path>. */
  preview(script: string, path: string): Promise<Response>;
  close(): Promise<void>;
}

/** Cloudflare's asset hash of `content` at manifest path `path`. */
export async function hashOf(path: string, content: Buffer | string): Promise<string> {
  return assetHash(Buffer.from(content).toString('base64'), assetExtension(path));
}

/** The manifest wrangler would send for `files` (path → content). */
export async function manifestOf(files: Record<string, Buffer | string>): Promise<AssetManifest> {
  const manifest: AssetManifest = {};
  for (const [path, content] of Object.entries(files)) {
    manifest[path] = { hash: await hashOf(path, content), size: Buffer.byteLength(content) };
  }
  return manifest;
}

/** A multipart upload body as wrangler builds it: one base64 part per file, named and filed by its hash. */
export async function uploadForm(files: Record<string, Buffer | string>, type = 'text/plain'): Promise<FormData> {
  const form = new FormData();
  for (const [path, content] of Object.entries(files)) {
    const hash = await hashOf(path, content);
    form.append(hash, new File([Buffer.from(content).toString('base64')], hash, { type }), hash);
  }
  return form;
}

/** Starts a peer in a fresh temp folder; `faults` is a `--faults` spec. */
export async function startTestPeer(
  overrides: Partial<Omit<CloudflarePeerOptions, 'faults'>> & { faults?: string } = {},
): Promise<TestPeer> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), 'pressdrop-cf-peer-'));
  const apiKey = overrides.apiKey ?? `cf_test_${randomBytes(16).toString('hex')}`;
  const { faults, ...rest } = overrides;
  const peer = await startCloudflarePeer({
    ...rest,
    dataDir,
    apiKey,
    ...(faults !== undefined && { faults: parseFaultSpec(faults) }),
  });
  const account = `/accounts/${peer.accountId}`;

  const call = async (method: string, path: string, init: CallInit = {}): Promise<PeerAnswer> => {
    const headers: Record<string, string> = { ...init.headers };
    const token = init.token === undefined ? apiKey : init.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    let body: string | FormData | undefined = init.form ?? init.body;
    if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    const response = await fetch(`${peer.url}${path}`, { method, headers, body });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: response.status, headers: response.headers, json };
  };

  return {
    peer,
    apiKey,
    dataDir,
    account,
    call,
    async openSession(script, files) {
      return call('POST', `${account}/workers/scripts/${script}/assets-upload-session`, {
        json: { manifest: await manifestOf(files) },
      });
    },
    async upload(jwt, files, query = '?base64=true') {
      return call('POST', `${account}/workers/assets/upload${query}`, { token: jwt, form: await uploadForm(files) });
    },
    async deploy(script, completionJwt) {
      const form = new FormData();
      form.set(
        'metadata',
        JSON.stringify({ assets: { jwt: completionJwt, config: {} }, compatibility_date: '2025-01-01' }),
      );
      return call('PUT', `${account}/workers/scripts/${script}`, { form });
    },
    async preview(script, path) {
      return fetch(`${new URL(peer.url).origin}/preview/${script}${path}`);
    },
    async close() {
      await peer.close();
      if (!overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
