import { realpath } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { DeployVersion } from '../src-shared/api-types.ts';
import { mapBounded } from '../src-shared/map-bounded.ts';
import type {
  DeployEvent,
  DeployPhase,
  DeployTotals,
  FileState,
  FileUpdate,
  PauseReason,
} from '../src-shared/upload-model.ts';
import { DeployError, errorMessage, needsNewPlan, settleFailedJob, toDeployError } from './deploy-error.ts';
import { JobUnavailableError, type DeployJournal, type JobRecord, type JournalBlobState } from './deploy-journal.ts';
import { buildPlan, firstChangedFile, limitProblem, type DeployPlan, type PlannedBlob } from './deploy-plan.ts';
import type { HashCache } from './hash-cache.ts';
import { hashFolder, type HashPool } from './hash-pool.ts';
import type { RetryInfo, RetryPolicy } from './http/retry.ts';
import type {
  CommittedVersion,
  DeployTarget,
  SecretStore,
  TargetConnection,
  TargetLimits,
  TargetSession,
  UploadUnit,
} from './ports.ts';
import { scanFolder } from './scan-folder.ts';
import { TransferMeter } from './transfer-meter.ts';
import { UploadQueue } from './upload-queue.ts';
import { FileChangedError } from './verified-file-body.ts';

export { DeployError } from './deploy-error.ts';

/** What to deploy where, and how hard to push. */
export interface DeployOptions {
  folder: string;
  /** The service and the destination on it (`pressCloudTarget(…)` and its peers). */
  target: DeployTarget;
  /** Blob uploads at once (default 16). */
  concurrency?: number;
  /** Blob bytes in flight at once (default 256 MiB; one larger blob may run alone). */
  maxBytesInFlight?: number;
  /** Abort a request that moves no bytes for this long (default 30 s, and at most a third of `retry.giveUpAfterMs`). */
  stallTimeoutMs?: number;
  /** How often and how long to retry; `giveUpAfterMs` (default 5 min) bounds the wait for a server that does not answer. */
  retry?: Partial<RetryPolicy>;
}

/** A committed deploy, as a run ends when it succeeds. */
export interface DeployResult {
  jobId: string;
  deployVersion: DeployVersion;
  /** The deploy's slug (Press Cloud: the one the job created, else the server's answer); null where there is none. */
  slug: string | null;
  previewUrl: string | null;
  totals: DeployTotals;
}

/** What a run shares with the other runs of its engine. */
export interface RunResources {
  journal: DeployJournal;
  cache: HashCache;
  pool: HashPool;
  secrets: SecretStore;
}

/** Re-plans (new scan, new session, after a file changed or a session expired) in a row that confirm no blob, before a run gives up. */
const MAX_FRUITLESS_PLANS = 4;
/** How long a run waits, after a file changed under it, before it scans again. */
const CHANGE_SETTLE_MS = 1_000;
/** How often batched file updates, journal marks and totals go out. */
const FLUSH_INTERVAL_MS = 100;
/** How often a run tells the journal it is still at its job (well within ACTIVE_JOB_STALE_MS). */
const HEARTBEAT_MS = 5_000;
/** Missing-blobs calls in flight at once; uploads start on the first answer. */
const CHECKS_IN_FLIGHT = 2;
/**
 * Blob uploads at once when the caller does not say. 16, not 6: on loopback, 5,000 files of 0–16 KiB
 * took ~25% less upload time and ~30% less CLI CPU (fewer event-loop turns per PUT) than at 6, and
 * 32 MiB blobs were no slower (bench/deploy.ts; BENCHMARKS.md, "deploy").
 */
const DEFAULT_CONCURRENCY = 16;

/**
 * One deploy of a folder: scan → hash → session → missing blobs (in
 * batches, uploads starting on the first answer) → upload → commit, with
 * the journal kept as it goes. Listen with `on`, steer with pause, resume
 * and cancel, and await `result`.
 */
export class DeployRun {
  /** The committed version, or a DeployError. */
  readonly result: Promise<DeployResult>;
  readonly #options: DeployOptions;
  readonly #resources: RunResources;
  readonly #listeners = new Set<(event: DeployEvent) => void>();
  readonly #cancel = new AbortController();
  readonly #meter = new TransferMeter();
  readonly #pendingUpdates = new Map<string, FileUpdate>();
  readonly #pendingMarks = new Map<string, JournalBlobState>();
  #totals: DeployTotals;
  #confirmedBytes = 0;
  /** The job `pressdrop resume <job>` (or the app's resume) asked for; else the folder's own is found or started. */
  readonly #resumeJobId: string | undefined;
  readonly #startedAt = Date.now();
  /** Blobs the server confirmed during this run, across plans: how a run tells progress from going round in circles. */
  #confirmedBlobs = 0;
  #inFlightBytes = 0;
  #queue: UploadQueue<UploadUnit> | null = null;
  #connection: TargetConnection | null = null;
  #job: JobRecord | null = null;
  /** Why uploads are held; empty while they run. */
  readonly #pauseReasons = new Set<PauseReason>();
  /** Steps waiting for the last hold to be lifted (see #untilReleased). */
  readonly #releaseWaiters = new Set<() => void>();
  /** Set by the last event (committed or failed): nothing is emitted after it. */
  #ended = false;
  /** The folder as given, then its real path once scanned (the journal matches jobs on it). */
  #folder: string;

  constructor(options: DeployOptions, resources: RunResources, resumeJobId?: string) {
    this.#options = options;
    this.#resumeJobId = resumeJobId;
    this.#folder = options.folder;
    this.#resources = resources;
    this.#totals = {
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
    };
    // Started on a later turn of the event loop, not a microtask: a caller that gets the run through a few
    // awaits (`pressdrop resume` does) and subscribes then still sees every event, the first `job` included.
    this.result = new Promise((resolve) => setImmediate(resolve)).then(() => this.#run());
    this.result.catch(() => undefined);
  }

  /** Subscribes to the run's events; returns the unsubscribe function. */
  on(listener: (event: DeployEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The numbers as of now (speed and ETA computed on the spot). */
  totals(): DeployTotals {
    const remaining = this.#totals.uploadBytes - this.#totals.sentBytes;
    return {
      ...this.#totals,
      atMs: Date.now(),
      bytesPerSecond: this.#meter.bytesPerSecond(),
      etaSeconds: this.#totals.phase === 'upload' ? this.#meter.etaSeconds(remaining) : null,
    };
  }

  /**
   * Holds the network for `reason` (uploads in flight are aborted and will start over); local work goes on.
   * A run held for several reasons runs again when the last one is lifted.
   */
  pause(reason: PauseReason = 'user'): void {
    if (this.#pauseReasons.has(reason)) return;
    this.#pauseReasons.add(reason);
    if (this.#pauseReasons.size === 1) this.#queue?.pause();
    this.#emit({ type: 'paused', reasons: [...this.#pauseReasons] });
  }

  /** Lifts `reason`; the user's resume lifts every reason (they may know the network is back before the OS does). */
  resume(reason: PauseReason = 'user'): void {
    const held = this.#pauseReasons.size;
    if (reason === 'user') this.#pauseReasons.clear();
    else this.#pauseReasons.delete(reason);
    if (this.#pauseReasons.size === held) return;
    if (this.#pauseReasons.size > 0) return void this.#emit({ type: 'paused', reasons: [...this.#pauseReasons] });
    this.#meter.restart();
    this.#queue?.resume();
    for (const release of [...this.#releaseWaiters]) release();
    this.#emit({ type: 'resumed' });
  }

  /** Stops everything; the job stays in the journal as interrupted, to be resumed later. */
  cancel(): void {
    this.#cancel.abort();
    this.#queue?.cancel(new DeployError({ code: 'cancelled', message: 'The deploy was cancelled.' }, true));
    void this.#connection?.close();
  }

  async #run(): Promise<DeployResult> {
    const options = this.#options;
    const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    const connection = options.target.connect({
      connections: concurrency + CHECKS_IN_FLIGHT,
      ...(options.stallTimeoutMs !== undefined && { stallTimeoutMs: options.stallTimeoutMs }),
      ...(options.retry && { retry: options.retry }),
      onRetry: (info) => this.#onRetry(info),
    });
    this.#connection = connection;
    let beat = Date.now();
    const flusher = setInterval(() => {
      this.#flush();
      if (this.#job && Date.now() - beat >= HEARTBEAT_MS) {
        beat = Date.now();
        this.#resources.journal.heartbeat(this.#job.id);
      }
    }, FLUSH_INTERVAL_MS);
    try {
      // Journaled first, so a kill from here on (during a long scan, say) leaves the job to resume;
      // a run cancelled before it began leaves nothing.
      this.#throwIfCancelled();
      await this.#claimJob();
      // Asked before the scan, so a wrong URL or key fails before a long hash; a run held from its start asks once released.
      let limits = this.#pauseReasons.size === 0 ? await connection.limits() : null;
      // Plans that end without a blob confirmed count toward the limit; an expiry after progress does not.
      for (let fruitlessPlans = 0; ;) {
        this.#throwIfCancelled();
        const confirmedBefore = this.#confirmedBlobs;
        try {
          // Hashing is inside the try: a file seen changing while it is hashed is re-planned like one seen while uploaded.
          const plan = await this.#scanAndHash();
          // Local work is done; the network waits while the run is held.
          await this.#untilReleased();
          limits ??= await connection.limits();
          const problem = limitProblem(plan, limits) ?? connection.planProblem(plan);
          if (problem) throw new DeployError(problem, false);
          this.#recordPlan(plan);
          return await this.#deploy(plan, connection, limits);
        } catch (error) {
          fruitlessPlans = this.#confirmedBlobs === confirmedBefore ? fruitlessPlans + 1 : 0;
          if (fruitlessPlans >= MAX_FRUITLESS_PLANS || !needsNewPlan(error) || this.#cancel.signal.aborted) throw error;
          // A changed file is usually still being written (a save, a copy): scanned again at once, it is
          // caught mid-write again, and every plan is spent within the same write.
          if (error instanceof FileChangedError)
            await delay(CHANGE_SETTLE_MS, undefined, { signal: this.#cancel.signal });
        }
      }
    } catch (error) {
      // Stopped before its job was journaled (the folder is missing, or the job is another run's),
      // a run leaves nothing for `pressdrop resume`: only running it again helps, and the error says so.
      const journaled = this.#job !== null;
      const cancelled = journaled
        ? 'The deploy was cancelled; run it again (or `pressdrop resume`) to continue.'
        : 'The deploy was cancelled before it started; run it again to deploy.';
      const cause = this.#cancel.signal.aborted
        ? new DeployError({ code: 'cancelled', message: cancelled }, true)
        : toDeployError(error);
      const failure = !journaled
        ? new DeployError(cause.failure, false)
        : settleFailedJob(this.#resources.journal, this.#job!.id, cause, options.target);
      this.#flush();
      this.#emit({ type: 'failed', failure: failure.failure, resumable: failure.resumable });
      throw failure;
    } finally {
      clearInterval(flusher);
      this.#flush();
      await connection.close();
    }
  }

  /** Takes up the job to resume, or the folder's interrupted job for this server and deploy, or starts one. */
  async #claimJob(): Promise<void> {
    const { journal } = this.#resources;
    let resumed = true;
    if (this.#resumeJobId !== undefined) {
      try {
        this.#job = journal.claimJob(this.#resumeJobId);
      } catch (error) {
        if (error instanceof JobUnavailableError)
          throw new DeployError({ code: 'job_unavailable', message: error.message }, false);
        throw error;
      }
    } else {
      // A folder that is not there is the scan's to report; there is nothing to journal.
      const root = await realpath(this.#folder).catch(() => null);
      if (root === null) return;
      this.#folder = root;
      ({ job: this.#job, resumed } = journal.claim(root, this.#jobTarget()));
    }
    this.#emit({ type: 'job', jobId: this.#job.id, resumed });
  }

  async #scanAndHash(): Promise<DeployPlan> {
    this.#phase('scan');
    const scan = await scanFolder(this.#folder, { signal: this.#cancel.signal, pool: this.#resources.pool });
    if (scan.problems.length > 0) {
      const shown = scan.problems.slice(0, 5).map((problem) => problem.message);
      const more = scan.problems.length > 5 ? ` …and ${scan.problems.length - 5} more.` : '';
      throw new DeployError(
        {
          code: 'scan_problems',
          message: `Nothing was uploaded: ${shown.join(' ')}${more}`,
          paths: scan.problems.map((p) => p.path),
        },
        false,
      );
    }
    if (scan.files.length === 0) {
      const ignored =
        scan.ignoredCount > 0 ? ` (${scan.ignoredCount} entries are ignored by .pressignore or by default)` : '';
      throw new DeployError({ code: 'empty_folder', message: `${scan.root} has no files to deploy${ignored}.` }, false);
    }
    this.#totals = {
      ...this.#totals,
      fileCount: scan.files.length,
      totalBytes: scan.totalBytes,
      hashedBytes: 0,
      uploadBytes: 0,
      sentBytes: 0,
      skippedBytes: 0,
    };
    this.#confirmedBytes = 0;
    this.#folder = scan.root;
    for (const file of scan.files) this.#update({ path: file.path, state: 'hashing', size: file.size });

    this.#phase('hash');
    const hashed = await hashFolder(scan, this.#resources.cache, this.#resources.pool, {
      kind: this.#options.target.hashKind,
      signal: this.#cancel.signal,
      onHashed: (file) => this.#update({ path: file.path, state: 'waiting', size: file.size }),
      onBytes: (bytes) => (this.#totals.hashedBytes += bytes),
    });
    const unreadable = hashed.problems.filter((problem) => problem.error.code === 'unreadable');
    if (unreadable.length > 0) {
      throw new DeployError(
        {
          code: 'unreadable_files',
          message: `Nothing was uploaded: ${unreadable
            .map((p) => p.error.message)
            .slice(0, 5)
            .join(' ')}`,
          paths: unreadable.map((p) => p.file.path),
        },
        false,
      );
    }
    if (hashed.problems.length > 0) {
      const first = hashed.problems[0]!;
      // The hash pool's sentence says what changed, and when, on its own.
      throw new FileChangedError(first.file.path, first.error.code, first.error.message);
    }
    return buildPlan(hashed.files, this.#options.target.hashKind);
  }

  /** Journals the plan (if the folder's content is new to the job) and says what the version will hold. */
  #recordPlan(plan: DeployPlan): void {
    const { journal } = this.#resources;
    // A folder that was missing when the run started, then scanned: its job is started now.
    if (!this.#job) {
      const claimed = journal.claim(this.#folder, this.#jobTarget());
      this.#job = claimed.job;
      this.#emit({ type: 'job', jobId: claimed.job.id, resumed: claimed.resumed });
    }
    if (journal.job(this.#job.id)!.manifestDigest !== plan.manifestDigest) {
      journal.recordPlan(this.#job.id, {
        manifestDigest: plan.manifestDigest,
        fileCount: plan.files.length,
        totalBytes: plan.totalBytes,
        blobs: plan.blobs,
      });
    }
    this.#job = journal.job(this.#job.id)!;
    this.#emit({
      type: 'plan',
      fileCount: plan.files.length,
      totalBytes: plan.totalBytes,
      blobCount: plan.blobs.length,
    });
  }

  /** Where the job goes, as the journal matches it. */
  #jobTarget() {
    const { kind, endpoint, destination } = this.#options.target;
    return { kind, apiUrl: endpoint, destination };
  }

  async #deploy(plan: DeployPlan, connection: TargetConnection, limits: TargetLimits): Promise<DeployResult> {
    const { journal, secrets } = this.#resources;
    const jobId = this.#job!.id;
    const session = await connection.open(plan, {
      jobId,
      folder: this.#folder,
      journal: journal.targetJournal(jobId),
      secrets,
      startedAt: this.#startedAt,
      emit: (event) => this.#emit(event),
      signal: this.#cancel.signal,
    });
    if (!isSession(session)) return this.#finish(session, connection);

    this.#phase('check');
    const queue = new UploadQueue<UploadUnit>(
      {
        concurrency: this.#options.concurrency ?? DEFAULT_CONCURRENCY,
        maxBytesInFlight: this.#options.maxBytesInFlight ?? 256 * 1024 * 1024,
      },
      (unit, signal) => this.#upload(unit, session, signal),
    );
    this.#queue = queue;
    if (this.#pauseReasons.size > 0) queue.pause();
    const batches: PlannedBlob[][] = [];
    for (let i = 0; i < plan.blobs.length; i += limits.maxMissingPerCall)
      batches.push(plan.blobs.slice(i, i + limits.maxMissingPerCall));
    // A few calls in flight; each answer feeds the queue at once, so uploads start on the first.
    await mapBounded(batches, CHECKS_IN_FLIGHT, async (batch) => {
      await this.#untilReleased();
      const missing = await session.missing(batch);
      this.#throwIfCancelled();
      const toUpload = batch.filter((blob) => missing.has(blob.hash));
      for (const blob of batch) {
        if (missing.has(blob.hash)) continue;
        this.#pendingMarks.set(blob.hash, 'present');
        this.#totals.skippedBytes += blob.size * blob.paths.length;
        for (const path of blob.paths)
          this.#update({ path, state: 'skipped', size: blob.size, message: 'already on the server' });
      }
      if (toUpload.length > 0) {
        this.#totals.uploadBytes += toUpload.reduce((sum, blob) => sum + blob.size, 0);
        if (this.#totals.phase === 'check') this.#phase('upload');
        queue.add(session.units(toUpload));
      }
    });
    await queue.drained();
    this.#queue = null;

    this.#phase('commit');
    this.#flush();
    const changed = await firstChangedFile(plan.files);
    if (changed)
      throw new FileChangedError(
        changed.path,
        'changed',
        `${changed.path} changed after it was uploaded; deploying the folder as it is now.`,
      );
    await this.#untilReleased();
    return this.#finish(await session.commit(plan), connection);
  }

  async #upload(unit: UploadUnit, session: TargetSession, signal: AbortSignal): Promise<void> {
    let sent = 0;
    this.#setUnitFiles(unit, 'uploading', 0);
    try {
      await session.upload(unit, {
        signal,
        onBytesSent: (delta) => {
          sent += delta;
          this.#inFlightBytes += delta;
          if (delta > 0) this.#meter.add(delta);
          this.#setUnitFiles(unit, 'uploading', sent);
        },
        onRetry: (info) => {
          const message = this.#onRetry(info);
          this.#setUnitFiles(unit, 'retrying', 0, message);
        },
      });
      this.#confirmedBytes += unit.size;
      this.#confirmedBlobs += unit.blobs.length;
      for (const blob of unit.blobs) this.#pendingMarks.set(blob.hash, 'uploaded');
      this.#setUnitFiles(unit, 'done', null);
    } catch (error) {
      this.#setUnitFiles(
        unit,
        signal.aborted ? 'waiting' : 'failed',
        0,
        signal.aborted ? undefined : errorMessage(error),
      );
      throw error;
    } finally {
      this.#inFlightBytes -= sent;
      this.#totals.sentBytes = this.#confirmedBytes + this.#inFlightBytes;
    }
  }

  async #finish(committed: CommittedVersion, connection: TargetConnection): Promise<DeployResult> {
    const job = this.#job!;
    const { deployVersion, slug, url: previewUrl } = committed;
    this.#resources.journal.markCommitted(job.id, deployVersion);
    await connection.forget(job.id, this.#resources.secrets);
    this.#flush();
    const totals = this.totals();
    this.#emit({ type: 'committed', deployVersion, previewUrl, totals });
    return { jobId: job.id, deployVersion, slug, previewUrl, totals };
  }

  /** Counts and reports a retry; returns its sentence. */
  #onRetry(info: RetryInfo): string {
    this.#totals.retries++;
    const message = `${errorMessage(info.error)} Retrying in ${(info.delayMs / 1000).toFixed(1)} s (attempt ${info.attempt + 1} of ${info.maxAttempts}).`;
    this.#emit({ type: 'retry', request: info.request, attempt: info.attempt, delayMs: info.delayMs, message });
    return message;
  }

  /**
   * The state of every file a unit carries. `sentBytes` is the unit's, shared out over its blobs in
   * order (a bucket's bytes are not told apart on the wire); null: each blob's whole size.
   */
  #setUnitFiles(unit: UploadUnit, state: FileState, sentBytes: number | null, message?: string): void {
    let left = sentBytes ?? unit.size;
    for (const blob of unit.blobs) {
      const sent = Math.min(blob.size, left);
      left -= sent;
      for (const path of blob.paths)
        this.#update({
          path,
          state,
          size: blob.size,
          sentBytes: sent,
          ...(message !== undefined && { message }),
        });
    }
  }

  #update(update: FileUpdate): void {
    this.#pendingUpdates.set(update.path, update);
  }

  #phase(phase: DeployPhase): void {
    this.#flush();
    this.#totals.phase = phase;
    this.#emit({ type: 'phase', phase });
  }

  /** Sends batched file updates and totals, and writes batched blob states to the journal. */
  #flush(): void {
    if (this.#job && this.#pendingMarks.size > 0) {
      this.#resources.journal.setBlobStates(
        this.#job.id,
        [...this.#pendingMarks].map(([hash, state]) => ({ hash, state })),
      );
    }
    this.#pendingMarks.clear();
    if (this.#pendingUpdates.size > 0) {
      const updates = [...this.#pendingUpdates.values()];
      this.#pendingUpdates.clear();
      this.#emit({ type: 'files', updates });
    }
    this.#totals.sentBytes = this.#confirmedBytes + this.#inFlightBytes;
    this.#emit({ type: 'progress', totals: this.totals() });
  }

  #emit(event: DeployEvent): void {
    if (this.#ended) return;
    if (event.type === 'committed' || event.type === 'failed') this.#ended = true;
    for (const listener of this.#listeners) listener(event);
  }

  /** Resolves at once while nothing holds the run; else when the last hold is lifted. Throws if cancelled meanwhile. */
  async #untilReleased(): Promise<void> {
    while (this.#pauseReasons.size > 0 && !this.#cancel.signal.aborted) {
      await new Promise<void>((resolve) => {
        // Either way out removes both listeners: a run paused and resumed many times must not pile them up on the signal.
        const release = () => {
          this.#releaseWaiters.delete(release);
          this.#cancel.signal.removeEventListener('abort', release);
          resolve();
        };
        this.#releaseWaiters.add(release);
        this.#cancel.signal.addEventListener('abort', release, { once: true });
      });
    }
    this.#throwIfCancelled();
  }

  #throwIfCancelled(): void {
    if (this.#cancel.signal.aborted)
      throw new DeployError({ code: 'cancelled', message: 'The deploy was cancelled.' }, true);
  }
}

/** A session to upload into, not a version an earlier run's commit already made. */
function isSession(opened: TargetSession | CommittedVersion): opened is TargetSession {
  return 'commit' in opened;
}
