import { randomBytes } from 'node:crypto';
import { startPeerProcess, type PeerProcess, type TestContextLike } from '../../../testing/peer-process.ts';
import type { SlidelessAccount } from '../slideless-target.ts';

/** A running `pressdrop serve --as slideless` (src-core/testing/peer-process.ts) and what only it has. */
export interface SlidelessPeer extends Omit<PeerProcess, 'output'> {
  apiKey: string;
  /** The URL and key together, as a target takes them. */
  account: SlidelessAccount;
  /** How many requests went to `path` (answered or not). */
  count(path: string): number;
  /** `GET` with the key: the peer-only read-back and the viewer. */
  get(path: string): Promise<{ status: number; body: unknown }>;
}

/** A key of Slideless's organisation-key shape. */
export const makeKey = (): string => `cko_test${randomBytes(18).toString('base64url')}`;

/**
 * Starts `pressdrop serve --as slideless` with `args` (e.g. `--faults`),
 * on a fresh data folder (or `options.dataDir`, to restart on the same
 * data); stopped, and its folder removed, after the test.
 */
export async function startSlidelessPeer(
  t: TestContextLike,
  args: string[] = [],
  options: { apiKey?: string; dataDir?: string } = {},
): Promise<SlidelessPeer> {
  const apiKey = options.apiKey ?? makeKey();
  const peer = await startPeerProcess(t, { as: 'slideless', apiKey, args, dataDir: options.dataDir });
  const { url, requests } = peer;
  return {
    url,
    apiKey,
    account: { apiUrl: url, apiKey },
    requests,
    dataDir: peer.dataDir,
    count: (path) => requests.filter((request) => request.path === path).length,
    async get(path) {
      const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // The viewer's bytes: kept as text.
      }
      return { status: response.status, body };
    },
    logCaughtUp: peer.logCaughtUp,
    stop: () => peer.stop(),
  };
}
