import { randomBytes } from 'node:crypto';
import { startPeerProcess, type LoggedRequest, type TestContextLike } from '../../../testing/peer-process.ts';
import type { CloudflareAccount } from '../cloudflare-client.ts';

/** A running `pressdrop serve --as cloudflare` (src-core/testing/peer-process.ts) and what only it has. */
export interface CloudflarePeer {
  /** Ends in /client/v4, as CLOUDFLARE_API_BASE_URL. */
  url: string;
  apiToken: string;
  accountId: string;
  /** The URL, token and account id together, as a target takes them. */
  account: CloudflareAccount;
  /** Every request it logged so far, in arrival order, paths under `/accounts/<id>` shortened to what follows. */
  requests(): LoggedRequest[];
  /** The requests since `from` (a length of `requests()` taken earlier) whose "METHOD path" matches. */
  count(pattern: RegExp, from?: number): number;
  /** Resolves once every request received so far is in `requests()` (see PeerProcess). */
  logCaughtUp: () => Promise<void>;
  /** GET /preview/<script>/<path>: the live version's asset, as the peer serves it. */
  preview(script: string, path: string): Promise<Response>;
  /** The live version: its id, number and manifest (`/path` → hash). */
  live(script: string): Promise<{ version_id: string; number: number; manifest: Record<string, string> }>;
}

/** Starts the peer (extra `serve` flags in `args`) for one test; stopped and its data removed after it. */
export async function startCloudflarePeer(t: TestContextLike, ...args: string[]): Promise<CloudflarePeer> {
  const apiToken = `cf-test-${randomBytes(16).toString('hex')}`;
  const ACCOUNT_ID = /Account id: ([0-9a-f]{32})/;
  const peer = await startPeerProcess(t, { as: 'cloudflare', apiKey: apiToken, args, waitFor: ACCOUNT_ID });
  const { url } = peer;
  const accountId = ACCOUNT_ID.exec(peer.output)![1]!;
  const origin = new URL(url).origin;
  const prefix = `/client/v4/accounts/${accountId}`;
  const requests = () => peer.requests.map((request) => ({ ...request, path: request.path.replace(prefix, '') }));
  return {
    url,
    apiToken,
    accountId,
    account: { apiUrl: url, apiToken, accountId },
    requests,
    count: (pattern, from = 0) =>
      requests()
        .slice(from)
        .filter((request) => pattern.test(`${request.method} ${request.path}`)).length,
    logCaughtUp: peer.logCaughtUp,
    preview: (script, path) => fetch(`${origin}/preview/${script}${path}`),
    async live(script) {
      const response = await fetch(`${origin}/peer/scripts/${script}/manifest`, {
        headers: { authorization: `Bearer ${apiToken}` },
      });
      const body = (await response.json()) as {
        result: { version_id: string; number: number; manifest: Record<string, string> };
      };
      return body.result;
    },
  };
}
