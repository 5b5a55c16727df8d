/**
 * FAULT INJECTION, for testing clients only. Off unless `--faults` is given.
 * A spec is comma-separated `name=value` pairs:
 *
 *   503=<rate>           answer 503 service_unavailable instead of handling the request
 *   429=<rate>           answer 429 rate_limited with `Retry-After: <retry-after>`
 *   retry-after=<s>      seconds sent in Retry-After (default 1)
 *   reset=<rate>         on blob PUTs, destroy the connection part-way through the body
 *   drop=<rate>          handle the request fully, then destroy the connection unanswered
 *   latency=<ms>|<a>-<b> delay every request by that many ms (uniform between a and b)
 *   expire=<rate>        a new upload session expires after <expire-after> ms, not the TTL
 *   expire-after=<ms>    (default 1000)
 *
 * Rates are probabilities from 0 to 1, drawn from a PRNG seeded with
 * `--faults-seed`, so a run with one seed and one request order repeats.
 */
export interface FaultSpec {
    unavailableRate: number;
    rateLimitedRate: number;
    retryAfterSeconds: number;
    resetRate: number;
    dropRate: number;
    latencyMs: readonly [min: number, max: number];
    expireRate: number;
    expireAfterMs: number;
}
/** Parses a `--faults` spec; throws an Error that names the bad part and shows the grammar. */
export declare function parseFaultSpec(text: string): FaultSpec;
/** What the injector decided for one request, before it is handled. */
export type FaultDecision = {
    kind: 'none';
} | {
    kind: 'unavailable';
} | {
    kind: 'rate_limited';
    retryAfterSeconds: number;
} | {
    kind: 'reset';
    afterFraction: number;
} | {
    kind: 'drop';
};
/** Draws fault decisions from a seeded PRNG (mulberry32: tiny, fast, and repeatable). */
export declare class FaultInjector {
    #private;
    readonly spec: FaultSpec;
    constructor(spec: FaultSpec, seed: number);
    /** Milliseconds to hold this request before handling it. */
    latencyMs(): number;
    /** The fault for one request; `isBlobPut` allows a mid-body reset. */
    decide(isBlobPut: boolean): FaultDecision;
    /** Whether a new upload session gets an early expiry. */
    expiresEarly(): boolean;
}
