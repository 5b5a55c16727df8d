import type { Limits } from '../src-shared/api-types.ts';
import type { BlobStore } from './blob-store.ts';
import type { FaultDecision, FaultInjector } from './faults.ts';
import type { Idempotency } from './idempotency.ts';
import type { Metadata } from './metadata.ts';
/** Everything a route handler works with; built once per server. */
export interface ServerContext {
    metadata: Metadata;
    blobs: BlobStore;
    idempotency: Idempotency;
    limits: Limits;
    /** Null unless the server was started with `--faults`. */
    faults: FaultInjector | null;
    now(): number;
}
declare module 'fastify' {
    interface FastifyRequest {
        /** The id of the API key that authenticated the request ('' before auth). */
        apiKeyId: string;
        /** The API key itself, kept only for the request's lifetime (idempotent results are sealed with it). */
        apiKeySecret: string;
        /** What the fault injector decided for this request. */
        fault: FaultDecision;
    }
}
