/**
 * The strict local peers of Slideless and Cloudflare (src-server/peers), in
 * the test's process, for specs that add such targets in the window and
 * deploy to them: each on a free port with a data folder of its own and the
 * one key it accepts.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startCloudflarePeer } from '../../src-server/peers/cloudflare/cloudflare-peer.ts';
import { startSlidelessPeer } from '../../src-server/peers/slideless/slideless-peer.ts';

/** The running peers, as a spec types them into the add-target dialog. */
export interface PeerServices {
  slideless: { url: string; apiKey: string };
  cloudflare: { url: string; apiKey: string; accountId: string };
  close(): Promise<void>;
}

/** Starts both peers under `scratch`. */
export async function startPeerServices(scratch: string): Promise<PeerServices> {
  const slidelessKey = `cko_${randomBytes(12).toString('hex')}`;
  const cloudflareToken = `cf-e2e-${randomBytes(16).toString('hex')}`;
  const slideless = await startSlidelessPeer({ dataDir: join(scratch, 'slideless-peer'), apiKey: slidelessKey });
  const cloudflare = await startCloudflarePeer({ dataDir: join(scratch, 'cloudflare-peer'), apiKey: cloudflareToken });
  return {
    slideless: { url: slideless.url, apiKey: slidelessKey },
    cloudflare: { url: cloudflare.url, apiKey: cloudflareToken, accountId: cloudflare.accountId },
    close: async () => {
      await slideless.close();
      await cloudflare.close();
    },
  };
}
