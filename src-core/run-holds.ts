import type { PauseReason } from '../src-shared/upload-model.ts';

/**
 * Why a run's network work is held (the user's pause, the OS offline, the
 * machine asleep), and the steps waiting for the last hold to be lifted. A
 * run held for several reasons runs again only when all are lifted; the
 * user's resume lifts every reason (they may know the network is back
 * before the OS does).
 */
export class RunHolds {
  readonly #reasons = new Set<PauseReason>();
  readonly #waiters = new Set<() => void>();
  #taken = 0;

  /** The reasons holding the run now; empty while it runs. */
  get reasons(): PauseReason[] {
    return [...this.#reasons];
  }

  get held(): boolean {
    return this.#reasons.size > 0;
  }

  /** Holds taken so far: work done locally before a hold may be stale after it (the user may edit while it waits). */
  get taken(): number {
    return this.#taken;
  }

  /** Adds a hold; false if that reason already held the run. */
  hold(reason: PauseReason): boolean {
    if (this.#reasons.has(reason)) return false;
    this.#reasons.add(reason);
    this.#taken++;
    return true;
  }

  /** Lifts `reason` (the user's: all); 'unchanged', 'still-held', or 'released' (the waiters are let go). */
  lift(reason: PauseReason): 'unchanged' | 'still-held' | 'released' {
    const before = this.#reasons.size;
    if (reason === 'user') this.#reasons.clear();
    else this.#reasons.delete(reason);
    if (this.#reasons.size === before) return 'unchanged';
    if (this.#reasons.size > 0) return 'still-held';
    for (const release of [...this.#waiters]) release();
    return 'released';
  }

  /** Resolves at once while nothing holds the run; else when the last hold is lifted, or `signal` aborts. */
  async untilReleased(signal: AbortSignal): Promise<void> {
    while (this.#reasons.size > 0 && !signal.aborted) {
      await new Promise<void>((resolve) => {
        // Either way out removes both listeners: a run paused and resumed many times must not pile them up on the signal.
        const release = () => {
          this.#waiters.delete(release);
          signal.removeEventListener('abort', release);
          resolve();
        };
        this.#waiters.add(release);
        signal.addEventListener('abort', release, { once: true });
      });
    }
  }
}
