import type { Limits } from '../src-shared/api-types.ts';
import type { BlobStore } from './blob-store.ts';
import type { FaultDecision, FaultInjector } from './faults.ts';
import type { Idempotency } from './idempotency.ts';
import type { Metadata } from './metadata.ts';
import type { RenderQueue } from './render/render-queue.ts';

/** Everything a route handler works with; built once per server. */
export interface ServerContext {
  metadata: Metadata;
  blobs: BlobStore;
  idempotency: Idempotency;
  limits: Limits;
  /** Null unless the server was started with `--faults`. */
  faults: FaultInjector | null;
  /** The render queue; null when this server has no printer (no browser), with why in `renderUnavailable`. */
  renders: RenderQueue | null;
  /** What to tell a client that asks for a render where there is no printer. */
  renderUnavailable: string;
  /** Who this running server is: a random id new at each start, and its process. */
  instance: { id: string; pid: number };
  now(): number;
}

/**
 * How a request was let in: not yet decided, by a scope that is public
 * (previews), or with a valid API key. Anything still 'none' when its body
 * is about to be read must show a key (deny by default).
 */
export type RequestAccess = 'none' | 'public' | 'key';

declare module 'fastify' {
  interface FastifyRequest {
    /** How the request was let in (see RequestAccess). */
    access: RequestAccess;
    /** The id of the API key that authenticated the request ('' before auth). */
    apiKeyId: string;
    /** The API key itself, kept only for the request's lifetime (idempotent results are sealed with it). */
    apiKeySecret: string;
    /** What the fault injector decided for this request. */
    fault: FaultDecision;
    /** A JSON body's bytes as they arrived (null for any other body): the idempotency fingerprint may hash them as they are. */
    jsonBytes: Buffer | null;
  }
  interface FastifyContextConfig {
    /**
     * The handler streams the raw body itself (blob uploads): no body limit
     * applies, its time is unlimited while bytes keep coming, and a fault
     * may cut it part-way.
     */
    streamedBody?: boolean;
  }
}
