/**
 * How many uploads run at once: starts at `initial`, and grows while more in
 * flight buys more answers per second.
 *
 * On a path with latency (a server 20 ms away), answers per second grow with
 * what is in flight, as each request mostly waits on the wire: the limit
 * steps up (×2) as long as a step brings at least 10% more, up to `max`.
 * Where the server or the link is the bottleneck (loopback, a busy server), a
 * step brings nothing, and the limit goes back to the best one measured and
 * stays there: more in flight would only queue, and hold more memory.
 *
 * Each measure is a window of two rounds of answers (a round is `limit`
 * answers), so one slow answer does not decide, and 16 reaches 128 within
 * six round trips (×1.5 and four rounds took most of a 2,000-file upload to
 * climb). Only small requests are counted: a large file's answer time is its
 * transfer, and large files are held back by the bytes-in-flight bound anyway.
 */
export class ConcurrencyLimit {
  readonly #max: number;
  #limit: number;
  /** The best rate measured so far, and the limit it was measured at. */
  #best: { limit: number; perMs: number } | null = null;
  #settled = false;
  #windowStartedAt: number | null = null;
  #windowAnswers = 0;

  constructor(options: { initial: number; max: number }) {
    this.#max = Math.max(1, options.max);
    this.#limit = Math.min(this.#max, Math.max(1, Math.floor(options.initial)));
  }

  /** Requests allowed in flight now. */
  get current(): number {
    return this.#limit;
  }

  /** A small request was answered (at `now`, in ms of performance.now()). */
  answered(now: number): void {
    if (this.#settled) return;
    // The window opens on its first answer: the rounds before it are the ramp up, not the rate.
    if (this.#windowStartedAt === null) {
      this.#windowStartedAt = now;
      return;
    }
    this.#windowAnswers++;
    if (this.#windowAnswers < this.#limit * ROUNDS_PER_WINDOW) return;
    const perMs = this.#windowAnswers / Math.max(now - this.#windowStartedAt, 1e-3);
    this.#windowStartedAt = now;
    this.#windowAnswers = 0;
    if (this.#best === null || perMs >= this.#best.perMs * (1 + WORTHWHILE_GAIN)) {
      this.#best = { limit: this.#limit, perMs };
      const next = Math.min(this.#max, Math.ceil(this.#limit * STEP));
      if (next === this.#limit) this.#settled = true;
      this.#limit = next;
    } else {
      this.#limit = this.#best.limit;
      this.#settled = true;
    }
  }
}

/** Each step up multiplies the limit by this. */
const STEP = 2;
/** A step is kept only if answers per second grew by at least this much. */
const WORTHWHILE_GAIN = 0.1;
/** Rounds of `limit` answers per measure. */
const ROUNDS_PER_WINDOW = 2;
