import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Metadata } from './metadata.ts';
/** How long a key's result is replayed, from the contract. */
export declare const IDEMPOTENCY_WINDOW_MS: number;
/** A status and JSON body, as a create-type operation answers and a replay repeats. */
export interface Outcome {
    status: number;
    body: unknown;
}
/** The caller's view of one idempotent request: who, which key, which request. */
export interface IdempotentRequest {
    apiKeyId: string;
    apiKeySecret: string;
    key: string | undefined;
    fingerprint: string;
}
/**
 * Idempotency-Key handling for create-type operations. A 2xx result is saved
 * with the key and replayed for 24 h; the same key with another request is
 * `409 idempotency_key_conflict`. Failures are not saved: they created
 * nothing, so a retry runs again and sees the current state (a commit that
 * failed with blobs_missing can be retried with its key once they are up).
 *
 * A saved body can hold a secret (the upload token), so it is stored
 * encrypted with a key derived from the caller's API key, which the
 * database never holds: the replay can decrypt it, a copy of the file cannot.
 */
export declare class Idempotency {
    #private;
    constructor(metadata: Metadata, now: () => number);
    /**
     * Answers a create-type request: the saved outcome when this is a replay;
     * otherwise `prepare` validates (and may await, e.g. for disk checks) and
     * returns the write, which runs synchronously in one transaction.
     */
    answer(request: FastifyRequest, reply: FastifyReply, prepare: () => Promise<() => Outcome> | (() => Outcome)): Promise<FastifyReply>;
    /** The saved outcome of this request, or null when the key is new (or absent). */
    replay(request: IdempotentRequest): Outcome | null;
    /**
     * Runs `write` in one write transaction and saves its 2xx outcome under
     * the key in that same transaction. Checks for a replay again inside it,
     * since a twin request may have finished while this one was awaiting.
     */
    run(request: IdempotentRequest, write: () => Outcome): Outcome;
}
/** The Idempotency-Key header, checked: 1-255 visible ASCII characters. */
export declare function idempotencyKeyOf(request: FastifyRequest): string | undefined;
/** What makes two requests "the same": method, path and the JSON body with its keys sorted. */
export declare function requestFingerprint(request: FastifyRequest): string;
