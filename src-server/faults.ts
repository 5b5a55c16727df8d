import { z } from 'zod';

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
 *   stall=<n>            the n-th upload (a blob PUT; a peer's asset upload) is never answered:
 *                        it is held, body unread, until its client gives up (a server gone quiet)
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
  /** The ordinal of the upload that is held unanswered (1 = the first); 0: none. */
  stallAt: number;
}

const rate = z
  .string()
  .regex(/^(\d+\.?\d*|\.\d+)$/, 'must be a probability from 0 to 1')
  .transform(Number)
  .pipe(z.number().max(1, 'must be a probability from 0 to 1'));
const wholeNumber = z.string().regex(/^\d+$/, 'must be a whole number').transform(Number);
const specSchema = z.strictObject({
  '503': rate.default(0),
  '429': rate.default(0),
  'retry-after': wholeNumber.pipe(z.number().max(3600, 'must be at most 3600 seconds')).default(1),
  reset: rate.default(0),
  drop: rate.default(0),
  latency: z
    .string()
    .regex(/^\d+(-\d+)?$/, 'must be <ms> or <min>-<max>')
    .transform((text) => {
      const [min, max = min] = text.split('-').map(Number) as [number, number?];
      return [Math.min(min, max), Math.max(min, max)] as const;
    })
    .default([0, 0]),
  expire: rate.default(0),
  'expire-after': wholeNumber.default(1000),
  stall: wholeNumber.default(0),
});

/** Parses a `--faults` spec; throws an Error that names the bad part and shows the grammar. */
export function parseFaultSpec(text: string): FaultSpec {
  const pairs: Record<string, string> = {};
  for (const part of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [name, value, ...rest] = part.split('=');
    if (!name || value === undefined || rest.length > 0) {
      throw new Error(`--faults: "${part}" is not name=value (e.g. 503=0.1,reset=0.05,latency=5-50)`);
    }
    pairs[name] = value;
  }
  const parsed = specSchema.safeParse(pairs);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? `"${issue.path.join('.')}" ` : '';
    throw new Error(
      `--faults: ${where}${issue.message}. Known: 503, 429, retry-after, reset, drop, latency, expire, expire-after, stall.`,
    );
  }
  const spec = parsed.data;
  return {
    unavailableRate: spec['503'],
    rateLimitedRate: spec['429'],
    retryAfterSeconds: spec['retry-after'],
    resetRate: spec.reset,
    dropRate: spec.drop,
    latencyMs: spec.latency,
    expireRate: spec.expire,
    expireAfterMs: spec['expire-after'],
    stallAt: spec.stall,
  };
}

/** What the injector decided for one request, before it is handled. */
export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'unavailable' }
  | { kind: 'rate_limited'; retryAfterSeconds: number }
  | { kind: 'reset'; afterFraction: number }
  | { kind: 'drop' }
  | { kind: 'stall' };

/** Draws fault decisions from a seeded PRNG (mulberry32: tiny, fast, and repeatable). */
export class FaultInjector {
  readonly spec: FaultSpec;
  #state: number;
  #uploads = 0;

  constructor(spec: FaultSpec, seed: number) {
    this.spec = spec;
    this.#state = seed >>> 0;
  }

  #random(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  #happens(rate: number): boolean {
    return rate > 0 && this.#random() < rate;
  }

  /** Milliseconds to hold this request before handling it. */
  latencyMs(): number {
    const [min, max] = this.spec.latencyMs;
    return max === 0 ? 0 : min + Math.floor(this.#random() * (max - min + 1));
  }

  /** The fault for one request; `isBlobPut` allows a mid-body reset and counts toward `stall`. */
  decide(isBlobPut: boolean): FaultDecision {
    if (isBlobPut && ++this.#uploads === this.spec.stallAt) return { kind: 'stall' };
    if (this.#happens(this.spec.unavailableRate)) return { kind: 'unavailable' };
    if (this.#happens(this.spec.rateLimitedRate))
      return { kind: 'rate_limited', retryAfterSeconds: this.spec.retryAfterSeconds };
    if (isBlobPut && this.#happens(this.spec.resetRate)) return { kind: 'reset', afterFraction: this.#random() };
    if (this.#happens(this.spec.dropRate)) return { kind: 'drop' };
    return { kind: 'none' };
  }

  /** How many uploads `stall` has held so far (0 or 1): a test stops its client once the held one has arrived. */
  get stalledUploads(): number {
    return this.spec.stallAt > 0 && this.#uploads >= this.spec.stallAt ? 1 : 0;
  }

  /** Whether a new upload session gets an early expiry. */
  expiresEarly(): boolean {
    return this.#happens(this.spec.expireRate);
  }
}
