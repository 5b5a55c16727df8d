import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { RunningPeer } from '../../peer-options.ts';
import { type SlidelessPeerOptions, startSlidelessPeer } from '../slideless-peer.ts';

/** An answer as the tests look at it. */
export interface PeerAnswer {
  status: number;
  headers: Headers;
  // Tests read arbitrary fields of Slideless bodies; `any` keeps the assertions short.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

/** One file of a test deck. */
export interface DeckFile {
  path: string;
  bytes: Buffer;
  contentType: string;
}

/** A peer started for one test, with a client of it. */
export interface TestPeer {
  peer: RunningPeer;
  apiKey: string;
  dataDir: string;
  post(path: string, json: unknown, auth?: string | false): Promise<PeerAnswer>;
  get(path: string, auth?: string | false): Promise<PeerAnswer>;
  upload(
    fields: Record<string, string>,
    file?: { bytes: Buffer; name?: string; field?: string },
    auth?: string,
  ): Promise<PeerAnswer>;
  /** precheck → upload the missing → commit, as the Slideless CLI does; answers the commit. */
  deploy(
    files: DeckFile[],
    target: { title?: string; presentationId?: string; expectedBaseVersion?: number },
  ): Promise<PeerAnswer>;
}

/** The SHA-256 of bytes, in lowercase hex. */
export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/** A random key of Slideless's organisation-key shape. */
export const makeKey = (): string => `cko_${randomBytes(24).toString('base64url')}`;

/** A small deck: an entry page, a stylesheet, an image of random bytes. */
export function makeDeck(label = 'deck'): DeckFile[] {
  return [
    { path: 'index.html', bytes: Buffer.from(`<h1>${label}</h1>`), contentType: 'text/html; charset=utf-8' },
    { path: 'styles.css', bytes: Buffer.from(`h1 { content: "${label}" }`), contentType: 'text/css; charset=utf-8' },
    { path: 'images/hero.bin', bytes: randomBytes(3000), contentType: 'application/octet-stream' },
  ];
}

/** The manifest entries of a deck, as commitPresentationVersion takes them. */
export const manifestOf = (files: DeckFile[]) =>
  files.map((file) => ({
    path: file.path,
    sha256: sha256(file.bytes),
    size: file.bytes.length,
    contentType: file.contentType,
  }));

/** Starts a peer on a fresh data folder; it is closed and the folder removed after the test. */
export async function startTestPeer(
  t: TestContext,
  extra: Partial<SlidelessPeerOptions> = {},
  options: { keepData?: boolean } = {},
): Promise<TestPeer> {
  const dataDir = extra.dataDir ?? mkdtempSync(join(tmpdir(), 'slideless-peer-'));
  const apiKey = extra.apiKey ?? makeKey();
  const peer = await startSlidelessPeer({ ...extra, dataDir, apiKey });
  t.after(async () => {
    await peer.close();
    if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
  });
  const send = async (method: string, path: string, init: RequestInit, auth: string | false | undefined) => {
    const headers = new Headers(init.headers);
    if (auth !== false) headers.set('authorization', `Bearer ${auth ?? apiKey}`);
    const response = await fetch(`${peer.url}${path}`, { ...init, method, headers });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (the viewer's bytes): kept as text.
    }
    return { status: response.status, headers: response.headers, body };
  };
  const client: TestPeer = {
    peer,
    apiKey,
    dataDir,
    post: (path, json, auth) =>
      send('POST', path, { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } }, auth),
    get: (path, auth) => send('GET', path, {}, auth),
    upload(fields, file, auth) {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      if (file) form.append(file.field ?? 'file', new Blob([file.bytes]), file.name ?? 'blob');
      return send('POST', '/uploadPresentationAsset', { body: form }, auth);
    },
    async deploy(files, target) {
      const manifest = manifestOf(files);
      const hashes = [...new Set(manifest.map((file) => file.sha256))];
      const pre = await client.post(
        '/precheckAssets',
        target.presentationId ? { hashes, presentationId: target.presentationId } : { hashes },
      );
      if (pre.status !== 200) return pre;
      const into: Record<string, string> = target.presentationId
        ? { presentationId: target.presentationId }
        : { sessionId: pre.body.data.sessionId as string };
      for (const hash of pre.body.data.missing as string[]) {
        const file = files.find((candidate) => sha256(candidate.bytes) === hash)!;
        const put = await client.upload(
          { ...into, sha256: hash, contentType: file.contentType },
          { bytes: file.bytes },
        );
        if (put.status !== 200) return put;
      }
      return client.post('/commitPresentationVersion', {
        ...into,
        ...(target.title !== undefined ? { title: target.title } : {}),
        ...(target.expectedBaseVersion !== undefined ? { expectedBaseVersion: target.expectedBaseVersion } : {}),
        entryPath: 'index.html',
        files: manifest,
      });
    },
  };
  return client;
}
