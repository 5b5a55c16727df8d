/** How quickly old samples fade from the speed: a time constant of a few seconds, like a download manager's. */
const SMOOTHING_SECONDS = 3;
/** Samples shorter than this say more about the event loop than about the network. */
const MIN_SAMPLE_MS = 200;
/** No ETA until the speed has been watched this long. */
const WARM_UP_MS = 2_000;

/**
 * Smoothed transfer speed and ETA. Speed is an exponentially weighted
 * moving average of samples at least 200 ms long, weighted by their
 * duration, so bursts (a batch of small files) and pauses do not make the
 * ETA jump around; ETA is remaining bytes ÷ that speed, after a warm-up.
 */
export class TransferMeter {
  readonly #now: () => number;
  #startedAt: number | null = null;
  #sampleStart = 0;
  #sampleBytes = 0;
  #speed: number | null = null;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Counts bytes that just moved. */
  add(bytes: number): void {
    const now = this.#now();
    if (this.#startedAt === null) {
      // The first chunk says when flow began, not how fast: its bytes moved before we could time them.
      this.#startedAt = now;
      this.#sampleStart = now;
      return;
    }
    this.#sampleBytes += bytes;
    this.#sample(now);
  }

  /** Forget the timing (after a pause): the next bytes start a fresh warm-up, the old speed is a first guess. */
  restart(): void {
    this.#startedAt = null;
    this.#sampleBytes = 0;
  }

  /** Bytes per second, smoothed; null until a first sample is complete. */
  bytesPerSecond(): number | null {
    if (this.#startedAt !== null) this.#sample(this.#now());
    return this.#speed;
  }

  /** Seconds left for `remainingBytes`; null during the warm-up or while nothing moves. */
  etaSeconds(remainingBytes: number): number | null {
    const speed = this.bytesPerSecond();
    if (remainingBytes <= 0) return 0;
    if (this.#startedAt === null || this.#now() - this.#startedAt < WARM_UP_MS || !speed) return null;
    return remainingBytes / speed;
  }

  #sample(now: number): void {
    const elapsed = now - this.#sampleStart;
    if (elapsed < MIN_SAMPLE_MS) return;
    const rate = (this.#sampleBytes * 1000) / elapsed;
    const weight = 1 - Math.exp(-elapsed / 1000 / SMOOTHING_SECONDS);
    this.#speed = this.#speed === null ? rate : this.#speed + weight * (rate - this.#speed);
    this.#sampleStart = now;
    this.#sampleBytes = 0;
  }
}
