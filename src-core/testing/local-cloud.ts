import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { PressCloudClient, type PressCloudClientOptions } from '../targets/press-cloud/press-cloud-client.ts';
import { FAST_RETRY, startPeerProcess, type TestContextLike } from './peer-process.ts';

// The real local Press Cloud, as `pressdrop serve` runs it: its own process, real HTTP, a real SQLite file.
export { FAST_RETRY };

/** A running local Press Cloud process and ways to talk to it. */
export interface Cloud {
  url: string;
  apiKey: string;
  client(options?: PressCloudClientOptions, apiUrl?: string): PressCloudClient;
  /** `GET /v1/blobs/{sha}`: what the server stored. */
  blob(sha256: string): Promise<Buffer>;
}

/** Starts `pressdrop serve` (extra flags in `args`) for one test; stopped and its data removed after it. */
export async function startCloud(t: TestContextLike, ...args: string[]): Promise<Cloud> {
  const apiKey = `pcak_test${randomBytes(18).toString('base64url')}`;
  const clients: PressCloudClient[] = [];
  // Registered first, so the clients close before the process stops.
  t.after(async () => {
    await Promise.all(clients.map((client) => client.close()));
  });
  const { url } = await startPeerProcess(t, { apiKey, args, logRequests: false });
  return {
    url,
    apiKey,
    client(options = {}, apiUrl = url) {
      const client = new PressCloudClient({ apiUrl, apiKey }, { retry: FAST_RETRY, ...options });
      clients.push(client);
      return client;
    },
    async blob(sha256) {
      const response = await fetch(`${url}/v1/blobs/${sha256}`, { headers: { authorization: `Bearer ${apiKey}` } });
      assert.equal(response.status, 200);
      return Buffer.from(await response.arrayBuffer());
    },
  };
}
