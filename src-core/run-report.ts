import type { DeployEvent, DeployPhase, DeployTotals, FileState, FileUpdate } from '../src-shared/upload-model.ts';
import { errorMessage } from './deploy-error.ts';
import type { JournalBlobState } from './deploy-journal.ts';
import type { RetryInfo } from './http/retry.ts';
import type { PlannedBlob, UploadUnit } from './ports.ts';
import { TransferMeter } from './transfer-meter.ts';

/** How often the run's timer writes the blob states confirmed meanwhile to the journal. */
const JOURNAL_EVERY_MS = 1000;

/**
 * What a run tells: its events to listeners (nothing after the last, committed
 * or failed), its totals, file updates merged by path and sent in batches,
 * and what the server confirmed of each blob, batched for the journal. The
 * run calls `flush` on a timer and at each phase.
 */
export class RunReport {
  /** Each listener, and whether it takes `files` events. */
  readonly #listeners = new Map<(event: DeployEvent) => void, { files: boolean }>();
  /**
   * Whether any listener takes `files` events: with none (the CLI without --json shows totals
   * only), no file update is kept, where each blob made three and each file two or three more.
   */
  #wantsFiles = false;
  readonly #meter = new TransferMeter();
  readonly #pendingUpdates = new Map<string, FileUpdate>();
  readonly #pendingMarks = new Map<string, JournalBlobState>();
  /** Writes blob states to the journal (once the run has a job). */
  readonly #writeMarks: (marks: Array<{ hash: string; state: JournalBlobState }>) => void;
  #totals: DeployTotals = {
    atMs: Date.now(),
    phase: 'scan',
    fileCount: 0,
    totalBytes: 0,
    hashedBytes: 0,
    uploadBytes: 0,
    sentBytes: 0,
    skippedBytes: 0,
    bytesPerSecond: null,
    etaSeconds: null,
    retries: 0,
    phaseMs: {},
  };
  readonly #startedAt = Date.now();
  /** When the current phase started. */
  #phaseAt = this.#startedAt;
  #confirmedBytes = 0;
  #inFlightBytes = 0;
  /** Blobs the server confirmed during this run, across plans: how a run tells progress from going round in circles. */
  #confirmedBlobs = 0;
  #marksWrittenAt = 0;
  /** Set by the last event (committed or failed): nothing is emitted after it. */
  #ended = false;

  constructor(writeMarks: (marks: Array<{ hash: string; state: JournalBlobState }>) => void) {
    this.#writeMarks = writeMarks;
  }

  get confirmedBlobs(): number {
    return this.#confirmedBlobs;
  }

  /** Subscribes to the run's events (`files: false`: all but the file updates); returns the unsubscribe function. */
  on(listener: (event: DeployEvent) => void, options: { files?: boolean } = {}): () => void {
    this.#listeners.set(listener, { files: options.files ?? true });
    this.#listenersChanged();
    return () => {
      this.#listeners.delete(listener);
      this.#listenersChanged();
    };
  }

  #listenersChanged(): void {
    this.#wantsFiles = [...this.#listeners.values()].some((wants) => wants.files);
  }

  emit(event: DeployEvent): void {
    if (this.#ended) return;
    if (event.type === 'committed' || event.type === 'failed') this.#ended = true;
    for (const listener of this.#listeners.keys()) listener(event);
  }

  /** The numbers as of now (speed and ETA computed on the spot). */
  totals(): DeployTotals {
    const remaining = this.#totals.uploadBytes - this.#totals.sentBytes;
    const now = Date.now();
    const { phase, phaseMs } = this.#totals;
    return {
      ...this.#totals,
      atMs: now,
      bytesPerSecond: this.#meter.bytesPerSecond(),
      etaSeconds: phase === 'upload' ? this.#meter.etaSeconds(remaining) : null,
      phaseMs: { ...phaseMs, [phase]: (phaseMs[phase] ?? 0) + (now - this.#phaseAt) },
    };
  }

  /**
   * A phase starts: the one before is timed (a re-plan scans again, and its times add up). File
   * updates stay pending for the timer's flush: a file that moves on within one batch is told once
   * (a no-op re-deploy's 20,000 files go to "skipped" in one update each, not through "hashing" and
   * "waiting" on the way).
   */
  phase(phase: DeployPhase): void {
    this.flush('now', { files: false });
    const now = Date.now();
    const previous = this.#totals.phase;
    this.#totals.phaseMs[previous] = (this.#totals.phaseMs[previous] ?? 0) + (now - this.#phaseAt);
    this.#phaseAt = now;
    this.#totals.phase = phase;
    this.emit({ type: 'phase', phase, ms: now - this.#startedAt });
  }

  /**
   * Sends batched file updates (unless `files` is false) and totals, and writes batched blob states
   * to the journal: `now`, or `when-due` (the run's timer) once JOURNAL_EVERY_MS passed since the
   * last write. Each write is a synced transaction, and a confirmation lost to a kill costs only a
   * question the next run asks the server again (missing-blobs), so they are written a few times a
   * second at most.
   */
  flush(journal: 'now' | 'when-due' = 'now', { files = true }: { files?: boolean } = {}): void {
    const now = Date.now();
    if (this.#pendingMarks.size > 0 && (journal === 'now' || now - this.#marksWrittenAt >= JOURNAL_EVERY_MS)) {
      this.#writeMarks([...this.#pendingMarks].map(([hash, state]) => ({ hash, state })));
      this.#pendingMarks.clear();
      this.#marksWrittenAt = now;
    }
    if (files && this.#pendingUpdates.size > 0) {
      const updates = [...this.#pendingUpdates.values()];
      this.#pendingUpdates.clear();
      this.emit({ type: 'files', updates });
    }
    this.#totals.sentBytes = this.#confirmedBytes + this.#inFlightBytes;
    this.emit({ type: 'progress', totals: this.totals() });
  }

  /** A new plan's files, about to be hashed: the counts start over. */
  planned(files: ReadonlyArray<{ path: string; size: number }>, totalBytes: number): void {
    this.#totals = {
      ...this.#totals,
      fileCount: files.length,
      totalBytes,
      hashedBytes: 0,
      uploadBytes: 0,
      sentBytes: 0,
      skippedBytes: 0,
    };
    this.#confirmedBytes = 0;
    if (!this.#wantsFiles) return;
    for (const file of files) this.#update({ path: file.path, state: 'hashing', size: file.size });
  }

  hashed(file: { path: string; size: number }): void {
    this.#update({ path: file.path, state: 'waiting', size: file.size });
  }

  hashedBytes(bytes: number): void {
    this.#totals.hashedBytes += bytes;
  }

  /** The server already holds `blob`: its files are skipped. */
  present(blob: PlannedBlob): void {
    this.#pendingMarks.set(blob.hash, 'present');
    this.#totals.skippedBytes += blob.size * blob.paths.length;
    if (!this.#wantsFiles) return;
    for (const path of blob.paths)
      this.#update({ path, state: 'skipped', size: blob.size, message: 'already on the server' });
  }

  /** `blobs` are to be uploaded; the first of them starts the upload phase. */
  toUpload(blobs: readonly PlannedBlob[]): void {
    this.#totals.uploadBytes += blobs.reduce((sum, blob) => sum + blob.size, 0);
    if (this.#totals.phase === 'check') this.phase('upload');
  }

  /** Bytes of an upload handed to the wire (negative: an attempt's, taken back as it starts over). */
  sent(delta: number): void {
    this.#inFlightBytes += delta;
    if (delta > 0) this.#meter.add(delta);
  }

  /** An upload ended (confirmed or not): its bytes in flight leave the count; a confirmed one's stay as confirmed. */
  uploadEnded(unit: UploadUnit, sentBytes: number, confirmed: boolean): void {
    this.#inFlightBytes -= sentBytes;
    if (confirmed) {
      this.#confirmedBytes += unit.size;
      this.#confirmedBlobs += unit.blobs.length;
      for (const blob of unit.blobs) this.#pendingMarks.set(blob.hash, 'uploaded');
    }
    this.#totals.sentBytes = this.#confirmedBytes + this.#inFlightBytes;
  }

  /** Counts and reports a retry; returns its sentence. */
  retry(info: RetryInfo): string {
    this.#totals.retries++;
    const message = `${errorMessage(info.error)} Retrying in ${(info.delayMs / 1000).toFixed(1)} s (attempt ${info.attempt + 1} of ${info.maxAttempts}).`;
    this.emit({ type: 'retry', request: info.request, attempt: info.attempt, delayMs: info.delayMs, message });
    return message;
  }

  /** Speed is measured afresh after a pause. */
  restartMeter(): void {
    this.#meter.restart();
  }

  /**
   * The state of every file a unit carries. `sentBytes` is the unit's, shared out over its blobs in
   * order (a bucket's bytes are not told apart on the wire); null: each blob's whole size.
   */
  unitFiles(unit: UploadUnit, state: FileState, sentBytes: number | null, message?: string): void {
    if (!this.#wantsFiles) return;
    let left = sentBytes ?? unit.size;
    for (const blob of unit.blobs) {
      const sent = Math.min(blob.size, left);
      left -= sent;
      for (const path of blob.paths)
        this.#update({ path, state, size: blob.size, sentBytes: sent, ...(message !== undefined && { message }) });
    }
  }

  #update(update: FileUpdate): void {
    if (this.#wantsFiles) this.#pendingUpdates.set(update.path, update);
  }
}
