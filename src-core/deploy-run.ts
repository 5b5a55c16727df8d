import { setTimeout as delay } from 'node:timers/promises';
import type { DeployVersion } from '../src-shared/api-types.ts';
import { mapBounded } from '../src-shared/map-bounded.ts';
import type { DeployEvent, DeployTotals, PauseReason } from '../src-shared/upload-model.ts';
import { ConcurrencyLimit } from './concurrency-limit.ts';
import { DeployError, errorMessage, needsNewPlan, settleFailedJob, toDeployError } from './deploy-error.ts';
import type { DeployJournal, JobRecord, JobTarget } from './deploy-journal.ts';
import { firstChangedFile, limitProblem } from './deploy-plan.ts';
import type { HashCache } from './hash-cache.ts';
import type { HashPool } from './hash-pool.ts';
import type { RetryPolicy } from './http/retry.ts';
import { ServiceError } from './http/service-error.ts';
import { planFolder } from './plan-folder.ts';
import type {
  CommittedVersion,
  DeployPlan,
  DeployTarget,
  PlannedBlob,
  PlannedFile,
  SecretStore,
  TargetConnection,
  TargetLimits,
  TargetSession,
  UploadUnit,
} from './ports.ts';
import { RunHolds } from './run-holds.ts';
import { claimJob, recordPlan, type ClaimedJob } from './run-job.ts';
import { RunReport } from './run-report.ts';
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
/** How often an upload's files are told its bytes sent (the flush sends them at most this often anyway). */
const FILES_EVERY_MS = 50;
/** How often a run tells the journal it is still at its job (well within ACTIVE_JOB_STALE_MS). */
const HEARTBEAT_MS = 5_000;
/** Missing-blobs calls in flight at once; uploads start on the first answer. */
const CHECKS_IN_FLIGHT = 2;
/**
 * Blob uploads at once when the caller does not say: 16 to start, then more while more brings more
 * answers per second (ConcurrencyLimit), up to 128. 16, not 6: on loopback, 5,000 files of 0–16 KiB
 * took ~25% less upload time and ~30% less CLI CPU than at 6 (bench/deploy.ts). Up to 128: 2,000
 * small PUTs to a server answering 20 ms late took 1.8–2.4 s of upload at most 64 (and ×1.5 steps
 * of four rounds), 1.24–1.43 s at most 128 (×2 steps of two rounds); on loopback, 20,000 files
 * uploaded in 4.5–4.8 s rather than 6.1–7.0, with less CPU on both sides (the server's group
 * commits take bigger rounds).
 */
const ADAPTIVE_CONCURRENCY = { initial: 16, max: 128 };
/** Uploads up to this size are counted by the concurrency limit; a larger one's answer time is its transfer. */
const RATE_SAMPLE_MAX_BYTES = 64 * 1024;

/**
 * One deploy of a folder to a target: scan → hash → plan → session →
 * missing check (in batches, uploads starting on the first answer) → upload
 * → commit, with the journal kept as it goes. What differs between
 * services is the target's (ports.ts); what a run tells goes through its
 * RunReport. Listen with `on`, steer with pause, resume and cancel, and
 * await `result`.
 */
export class DeployRun {
  /** The committed version, or a DeployError. */
  readonly result: Promise<DeployResult>;
  readonly #options: DeployOptions;
  readonly #resources: RunResources;
  readonly #cancel = new AbortController();
  readonly #report: RunReport;
  readonly #holds = new RunHolds();
  /** The job `pressdrop resume <job>` (or the app's resume) asked for; else the folder's own is found or started. */
  readonly #resumeJobId: string | undefined;
  readonly #startedAt = Date.now();
  #queue: UploadQueue<UploadUnit> | null = null;
  /** Uploads at once: the caller's number, or a limit that adapts to latency (kept across re-plans). */
  readonly #concurrency: number | ConcurrencyLimit;
  #connection: TargetConnection | null = null;
  #job: JobRecord | null = null;
  /** The folder as given, then its real path once scanned (the journal matches jobs on it). */
  #folder: string;
  /** A commit found a blob the hash cache said the service stored: this run asks about every blob. */
  #storedRefuted = false;

  constructor(options: DeployOptions, resources: RunResources, resumeJobId?: string) {
    this.#options = options;
    this.#resumeJobId = resumeJobId;
    this.#folder = options.folder;
    this.#resources = resources;
    this.#concurrency = options.concurrency ?? new ConcurrencyLimit(ADAPTIVE_CONCURRENCY);
    this.#report = new RunReport((marks) => this.#job && resources.journal.setBlobStates(this.#job.id, marks));
    // Started on a later turn of the event loop, not a microtask: a caller that gets the run through a few
    // awaits (`pressdrop resume` does) and subscribes then still sees every event, the first `job` included.
    this.result = new Promise((resolve) => setImmediate(resolve)).then(() => this.#run());
    this.result.catch(() => undefined);
  }

  /** Subscribes to the run's events (`files: false`: all but the per-file updates, which then cost nothing); returns the unsubscribe function. */
  on(listener: (event: DeployEvent) => void, options: { files?: boolean } = {}): () => void {
    return this.#report.on(listener, options);
  }

  /** The numbers as of now (speed and ETA computed on the spot). */
  totals(): DeployTotals {
    return this.#report.totals();
  }

  /**
   * Holds the network for `reason` (uploads in flight are aborted and will start over); local work goes on.
   * A run held for several reasons runs again when the last one is lifted.
   */
  pause(reason: PauseReason = 'user'): void {
    if (!this.#holds.hold(reason)) return;
    if (this.#holds.reasons.length === 1) this.#queue?.pause();
    this.#report.emit({ type: 'paused', reasons: this.#holds.reasons });
  }

  /** Lifts `reason`; the user's resume lifts every reason (they may know the network is back before the OS does). */
  resume(reason: PauseReason = 'user'): void {
    const lifted = this.#holds.lift(reason);
    if (lifted === 'unchanged') return;
    if (lifted === 'still-held') return void this.#report.emit({ type: 'paused', reasons: this.#holds.reasons });
    this.#report.restartMeter();
    this.#queue?.resume();
    this.#report.emit({ type: 'resumed' });
  }

  /** Stops everything; the job stays in the journal as interrupted, to be resumed later. */
  cancel(): void {
    this.#cancel.abort();
    this.#queue?.cancel(new DeployError({ code: 'cancelled', message: 'The deploy was cancelled.' }, true));
    void this.#connection?.close();
  }

  async #run(): Promise<DeployResult> {
    const options = this.#options;
    const report = this.#report;
    const connection = options.target.connect({
      connections: (options.concurrency ?? ADAPTIVE_CONCURRENCY.max) + CHECKS_IN_FLIGHT,
      ...(options.stallTimeoutMs !== undefined && { stallTimeoutMs: options.stallTimeoutMs }),
      ...(options.retry && { retry: options.retry }),
      onRetry: (info) => void report.retry(info),
    });
    this.#connection = connection;
    let beat = Date.now();
    const flusher = setInterval(() => {
      report.flush('when-due');
      if (this.#job && Date.now() - beat >= HEARTBEAT_MS) {
        beat = Date.now();
        this.#resources.journal.heartbeat(this.#job.id);
      }
    }, FLUSH_INTERVAL_MS);
    try {
      // Journaled first, so a kill from here on (during a long scan, say) leaves the job to resume;
      // a run cancelled before it began leaves nothing.
      this.#throwIfCancelled();
      const claimed = await claimJob(this.#resources.journal, this.#resumeJobId, this.#folder, this.#jobTarget());
      if (claimed) this.#took(claimed);
      // Asked before the scan, so a wrong URL or key fails before a long hash; a run held from its start asks once released.
      let limits = this.#holds.held ? null : await connection.limits();
      // Plans that end without a blob confirmed count toward the limit; an expiry after progress does not.
      for (let fruitlessPlans = 0; ;) {
        this.#throwIfCancelled();
        const confirmedBefore = report.confirmedBlobs;
        try {
          // Hashing is inside the try: a file seen changing while it is hashed is re-planned like one seen while uploaded.
          const plan = await this.#plan();
          // Local work is done; the network waits while the run is held.
          await this.#untilReleased();
          limits ??= await connection.limits();
          const problem = limitProblem(plan, limits) ?? connection.planProblem(plan);
          if (problem) throw new DeployError(problem, false);
          // A folder that was missing when the run started, then scanned: its job is started now.
          if (!this.#job)
            this.#took(await claimJob(this.#resources.journal, undefined, this.#folder, this.#jobTarget()))!;
          this.#job = recordPlan(this.#resources.journal, this.#job!.id, plan);
          this.#report.emit({
            type: 'plan',
            fileCount: plan.files.length,
            totalBytes: plan.totalBytes,
            blobCount: plan.blobs.length,
          });
          return await this.#deploy(plan, connection, limits);
        } catch (error) {
          fruitlessPlans = report.confirmedBlobs === confirmedBefore ? fruitlessPlans + 1 : 0;
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
      report.flush();
      report.emit({ type: 'failed', failure: failure.failure, resumable: failure.resumable });
      throw failure;
    } finally {
      clearInterval(flusher);
      report.flush();
      await connection.close();
    }
  }

  /** Scan → hash → plan, as the target hashes. */
  async #plan(): Promise<DeployPlan> {
    const report = this.#report;
    report.phase('scan');
    return planFolder(this.#folder, {
      pool: this.#resources.pool,
      cache: this.#resources.cache,
      kind: this.#options.target.hashKind,
      signal: this.#cancel.signal,
      onScanned: (scan) => {
        this.#folder = scan.root;
        report.planned(scan.files, scan.totalBytes);
        report.phase('hash');
      },
      onHashed: (file) => report.hashed(file),
      onBytes: (bytes) => report.hashedBytes(bytes),
    });
  }

  /** The run's job is `claimed.job`: said with a `job` event. */
  #took(claimed: ClaimedJob | null): void {
    if (!claimed) return;
    this.#job = claimed.job;
    this.#folder = claimed.job.folder;
    this.#report.emit({ type: 'job', jobId: claimed.job.id, resumed: claimed.resumed });
  }

  /** Where the job goes, as the journal matches it. */
  #jobTarget(): JobTarget {
    const { kind, endpoint, destination } = this.#options.target;
    return { kind, apiUrl: endpoint, destination };
  }

  async #deploy(plan: DeployPlan, connection: TargetConnection, limits: TargetLimits): Promise<DeployResult> {
    const { journal, secrets, cache, pool } = this.#resources;
    const report = this.#report;
    const jobId = this.#job!.id;
    const scope = this.#options.target.storedBlobsScope;
    // Blobs an earlier commit proved stored are not asked about again: a re-deploy of 20,000 files of
    // which a few changed asks about those few. The commit still checks every one.
    const stored = scope === null || this.#storedRefuted ? new Set<string>() : cache.storedBlobs(scope);
    const toCheck = stored.size === 0 ? plan.blobs : plan.blobs.filter((blob) => !stored.has(blob.hash));
    // The last look before the commit (below) starts as soon as a check finds nothing to upload (or
    // none is needed, while the session opens), in the pool (in slices on this thread when none of its
    // threads runs), while the server works: when nothing needs uploading, no file is read again, and
    // that look stands (a no-op re-deploy of 20,000 files waits ~0.2 s less). Once anything is uploaded,
    // or the run was held since (the user may edit while it waits), the look is made again just before
    // the commit, as before.
    let uploading = false;
    let early = null as { look: Promise<PlannedFile | null>; holdsBefore: number } | null;
    const lookEarly = () => {
      if (uploading || this.#holds.held || early?.holdsBefore === this.#holds.taken) return;
      const look = firstChangedFile(plan.files, pool);
      look.catch(() => undefined); // awaited only if nothing is uploaded
      early = { look, holdsBefore: this.#holds.taken };
    };
    // Opening the session is the first exchange about this plan: the check phase's, not the hash's.
    report.phase('check');
    // Said before the session opens, so a file's "waiting" and "skipped" go out as one update.
    if (stored.size > 0) for (const blob of plan.blobs) if (stored.has(blob.hash)) report.present(blob);
    if (toCheck.length === 0) lookEarly();
    const session = await connection.open(plan, {
      jobId,
      folder: this.#folder,
      journal: journal.targetJournal(jobId),
      secrets,
      startedAt: this.#startedAt,
      emit: (event) => report.emit(event),
      signal: this.#cancel.signal,
    });
    if (!isSession(session)) return this.#finish(session, connection);

    const queue = new UploadQueue<UploadUnit>(
      {
        concurrency: this.#concurrency,
        maxBytesInFlight: this.#options.maxBytesInFlight ?? 256 * 1024 * 1024,
      },
      (unit, signal) => this.#upload(unit, session, signal),
    );
    this.#queue = queue;
    if (this.#holds.held) queue.pause();
    const batches: PlannedBlob[][] = [];
    for (let i = 0; i < toCheck.length; i += limits.maxMissingPerCall)
      batches.push(toCheck.slice(i, i + limits.maxMissingPerCall));
    // A few calls in flight; each answer feeds the queue at once, so uploads start on the first.
    await mapBounded(batches, CHECKS_IN_FLIGHT, async (batch) => {
      await this.#untilReleased();
      const missing = await session.missing(batch);
      this.#throwIfCancelled();
      const toUpload = batch.filter((blob) => missing.has(blob.hash));
      for (const blob of batch) if (!missing.has(blob.hash)) report.present(blob);
      if (toUpload.length === 0) lookEarly();
      if (toUpload.length > 0) {
        uploading = true;
        report.toUpload(toUpload);
        queue.add(session.units(toUpload));
      }
    });
    await queue.drained();
    this.#queue = null;

    report.phase('commit');
    await this.#untilReleased();
    const lookStands = early !== null && !uploading && early.holdsBefore === this.#holds.taken;
    const changed = await (lookStands ? early!.look : firstChangedFile(plan.files, pool));
    if (changed)
      throw new FileChangedError(
        changed.path,
        'changed',
        `${changed.path} changed after it was uploaded; deploying the folder as it is now.`,
      );
    let committed: CommittedVersion;
    try {
      committed = await session.commit(plan);
    } catch (error) {
      // A blob remembered as stored is gone (the server's store was reset, say): the new plan asks about
      // every one, and so do later runs.
      if (scope !== null && stored.size > 0 && error instanceof ServiceError && error.code === 'blobs_missing') {
        this.#storedRefuted = true;
        ignoreFailure(() => cache.forgetStored(scope));
      }
      throw error;
    }
    // Only a hint for later runs: the cache busy in another process, or a full disk, must not fail a committed deploy.
    if (scope !== null)
      ignoreFailure(() =>
        cache.rememberStored(
          scope,
          toCheck.map((blob) => blob.hash),
        ),
      );
    return this.#finish(committed, connection);
  }

  async #upload(unit: UploadUnit, session: TargetSession, signal: AbortSignal): Promise<void> {
    const report = this.#report;
    let sent = 0;
    let confirmed = false;
    let shownAt = 0;
    report.unitFiles(unit, 'uploading', 0);
    try {
      await session.upload(unit, {
        signal,
        onBytesSent: (delta) => {
          sent += delta;
          report.sent(delta);
          // File states go out in batches anyway: a bucket of a hundred files is not walked for every chunk.
          const now = Date.now();
          if (now - shownAt < FILES_EVERY_MS && delta > 0) return;
          shownAt = now;
          report.unitFiles(unit, 'uploading', sent);
        },
        onRetry: (info) => report.unitFiles(unit, 'retrying', 0, report.retry(info)),
      });
      confirmed = true;
      if (this.#concurrency instanceof ConcurrencyLimit && unit.size <= RATE_SAMPLE_MAX_BYTES)
        this.#concurrency.answered(performance.now());
      report.unitFiles(unit, 'done', null);
    } catch (error) {
      if (signal.aborted) report.unitFiles(unit, 'waiting', 0);
      else report.unitFiles(unit, 'failed', 0, errorMessage(error));
      throw error;
    } finally {
      report.uploadEnded(unit, sent, confirmed);
    }
  }

  async #finish(committed: CommittedVersion, connection: TargetConnection): Promise<DeployResult> {
    const job = this.#job!;
    const { deployVersion, slug, url: previewUrl } = committed;
    this.#resources.journal.markCommitted(job.id, deployVersion);
    await connection.forget(job.id, this.#resources.secrets);
    this.#report.flush();
    const totals = this.totals();
    this.#report.emit({ type: 'committed', deployVersion, previewUrl, totals });
    return { jobId: job.id, deployVersion, slug, previewUrl, totals };
  }

  /** Resolves at once while nothing holds the run; else when the last hold is lifted. Throws if cancelled meanwhile. */
  async #untilReleased(): Promise<void> {
    await this.#holds.untilReleased(this.#cancel.signal);
    this.#throwIfCancelled();
  }

  #throwIfCancelled(): void {
    if (this.#cancel.signal.aborted)
      throw new DeployError({ code: 'cancelled', message: 'The deploy was cancelled.' }, true);
  }
}

/** Runs `write`, which only records a hint (a later run does without it), whatever it throws. */
function ignoreFailure(write: () => void): void {
  try {
    write();
  } catch {
    // The hint is lost; the service answers again next time.
  }
}

/** A session to upload into, not a version an earlier run's commit already made. */
function isSession(opened: TargetSession | CommittedVersion): opened is TargetSession {
  return 'commit' in opened;
}
