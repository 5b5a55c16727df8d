import type { DeployEvent, FileUpdate } from '../src-shared/upload-model.ts';

/** How often batched run events go to the renderer: 15 a second, however many blobs move. */
export const BATCH_INTERVAL_MS = 66;

/**
 * Collects a run's events and hands them on in batches: file updates merged
 * by path (the latest state of each file wins), progress reduced to the
 * newest totals, everything else in order. A new scan starts a new batch;
 * the final event (committed or failed) goes out at once.
 */
export class RunEventBatcher {
  readonly #send: (events: DeployEvent[]) => void;
  #files = new Map<string, FileUpdate>();
  #others: DeployEvent[] = [];
  #progress: DeployEvent | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(send: (events: DeployEvent[]) => void) {
    this.#send = send;
  }

  push(event: DeployEvent): void {
    // A new scan starts the file list over: the old plan's updates go out first, never merged with the new one's.
    if (event.type === 'phase' && event.phase === 'scan') this.flush();
    if (event.type === 'files') for (const update of event.updates) this.#files.set(update.path, update);
    else if (event.type === 'progress') this.#progress = event;
    else this.#others.push(event);
    if (event.type === 'committed' || event.type === 'failed') this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), BATCH_INTERVAL_MS);
  }

  /** Sends what is waiting, now. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const events: DeployEvent[] = [];
    if (this.#files.size > 0) events.push({ type: 'files', updates: [...this.#files.values()] });
    // Progress goes before a final event, so the last totals the renderer sees are the final ones.
    const last = this.#others.at(-1);
    const final = last && (last.type === 'committed' || last.type === 'failed') ? this.#others.pop()! : null;
    events.push(...this.#others);
    if (this.#progress) events.push(this.#progress);
    if (final) events.push(final);
    this.#files = new Map();
    this.#others = [];
    this.#progress = null;
    if (events.length > 0) this.#send(events);
  }

  close(): void {
    this.flush();
  }
}
