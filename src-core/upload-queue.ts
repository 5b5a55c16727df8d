/** Why a running item was stopped: paused items go back to the queue; cancelled ones do not. */
type StopReason = 'paused' | 'cancelled';

/**
 * Runs uploads with two bounds: at most `concurrency` at once (a number, or
 * a limit that adapts, read each time an upload may start; so at most that
 * many open files, whatever the folder holds) and at most
 * `maxBytesInFlight` bytes of blobs in flight, except that one blob larger
 * than the budget may run alone rather than never. Pause aborts what runs
 * and puts it back at the front; cancel aborts everything. A worker that
 * throws (other than by being stopped) stops the queue: `drained()` rejects
 * with its error and the rest is left for the caller to re-plan.
 */
export class UploadQueue<T extends { size: number }> {
  readonly #concurrency: { readonly current: number };
  readonly #maxBytesInFlight: number;
  readonly #work: (item: T, signal: AbortSignal) => Promise<void>;
  readonly #waiting = new Fifo<T>();
  readonly #running = new Set<T>();
  /**
   * Shared by every upload started since the last pause: pause and cancel stop all that run, so one
   * signal per generation does, and each upload does not pay for a controller (and for the signals
   * the HTTP layer joins to it) of its own.
   */
  #generation = new AbortController();
  #bytesInFlight = 0;
  #paused = false;
  #failure: Error | null = null;
  #settle: { resolve: () => void; reject: (error: Error) => void } | null = null;

  constructor(
    options: { concurrency: number | { readonly current: number }; maxBytesInFlight: number },
    work: (item: T, signal: AbortSignal) => Promise<void>,
  ) {
    this.#concurrency =
      typeof options.concurrency === 'number' ? { current: Math.max(1, options.concurrency) } : options.concurrency;
    this.#maxBytesInFlight = Math.max(1, options.maxBytesInFlight);
    this.#work = work;
  }

  /** Items not finished: waiting plus running. */
  get pending(): number {
    return this.#waiting.length + this.#running.size;
  }

  add(items: Iterable<T>): void {
    if (this.#failure) return;
    for (const item of items) this.#waiting.push(item);
    this.#pump();
  }

  /** Resolves once every added item is done (add more before it resolves and they are waited for too). */
  drained(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve, reject) => (this.#settle = { resolve, reject }));
  }

  pause(): void {
    this.#paused = true;
    this.#generation.abort('paused' satisfies StopReason);
    this.#generation = new AbortController();
  }

  resume(): void {
    this.#paused = false;
    this.#pump();
  }

  /** Stops everything; `drained()` rejects with `error`. */
  cancel(error: unknown): void {
    this.#fail(error);
  }

  #pump(): void {
    while (
      !this.#paused &&
      !this.#failure &&
      this.#running.size < Math.max(1, this.#concurrency.current) &&
      this.#waiting.length > 0
    ) {
      const next = this.#waiting.first()!;
      const fits = this.#bytesInFlight + next.size <= this.#maxBytesInFlight || this.#running.size === 0;
      if (!fits) break;
      this.#waiting.shift();
      this.#start(next);
    }
    if (this.pending === 0 && !this.#failure) {
      this.#settle?.resolve();
      this.#settle = null;
    }
  }

  #start(item: T): void {
    const controller = this.#generation;
    this.#running.add(item);
    this.#bytesInFlight += item.size;
    this.#work(item, controller.signal).then(
      () => this.#finish(item),
      (error: unknown) => {
        const stopped = controller.signal.aborted ? (controller.signal.reason as StopReason) : null;
        // Requeue or fail BEFORE #finish pumps: a pump that finds nothing pending
        // resolves drained(), as if the last item (failed or paused) had succeeded.
        if (stopped === 'paused') this.#waiting.unshift(item);
        else if (stopped !== 'cancelled') this.#fail(error);
        this.#finish(item);
      },
    );
  }

  #finish(item: T): void {
    if (!this.#running.delete(item)) return;
    this.#bytesInFlight -= item.size;
    this.#pump();
  }

  #fail(error: unknown): void {
    if (this.#failure) return;
    this.#failure = error instanceof Error ? error : new Error(String(error));
    this.#waiting.clear();
    this.#generation.abort('cancelled' satisfies StopReason);
    this.#settle?.reject(this.#failure);
    this.#settle = null;
  }
}

/**
 * A queue whose shift and unshift cost O(1): an array and the index of its
 * head. (Array.prototype.shift copies the whole array once it is too big for
 * V8 to trim in place: 20,000 waiting blobs made it most of the queue's CPU.)
 */
class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  first(): T | undefined {
    return this.#items[this.#head];
  }

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined as T;
    // Dropped once half of it is spent, so a long run does not keep every item it ever held.
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** Puts an item back at the front (a paused upload, to run first on resume). */
  unshift(item: T): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
