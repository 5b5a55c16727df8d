import type { FaultSpec } from '../faults.ts';

/**
 * How a strict local peer of another service (Slideless, Cloudflare) starts:
 * the same shape for each, so `pressdrop serve --as <kind>` and the tests
 * start any of them alike.
 */
export interface PeerOptions {
  /** Folder for the peer's metadata and content-addressed blobs; created if absent. */
  dataDir: string;
  /** 0 (the default) takes a free port. */
  port?: number;
  /** Loopback unless told otherwise. */
  host?: string;
  /** The one credential the peer accepts (a Slideless `cko_…` key, a Cloudflare API token). */
  apiKey: string;
  /** FOR CLIENT TESTS ONLY: inject faults, as the local Press Cloud does (see ../faults.ts). */
  faults?: FaultSpec;
  faultsSeed?: number;
  logRequests?: boolean;
}

/** One request a peer answered, for tests and the bench to count what a client sent. */
export interface PeerRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  status: number;
}

/** A running peer. */
export interface RunningPeer {
  /** The base URL a client is pointed at (`--api`, or `CLOUDFLARE_API_BASE_URL` for wrangler). */
  url: string;
  port: number;
  /** Every request answered since start (or since `requests.length = 0`). */
  requests: PeerRequest[];
  /** How many uploads a `stall` fault holds unanswered (0 or 1); it counts once the upload has arrived. */
  stalledUploads(): number;
  close(): Promise<void>;
}
