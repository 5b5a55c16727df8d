/**
 * What differs between the app, the CLI and the tests, and between the
 * services a folder is deployed to, comes into the engine through these
 * small interfaces, as in tus-js-client: src-core never imports Electron,
 * never decides on its own where state or secrets live, and the pipeline
 * (scan → hash → plan → queue → pause → events → journal) never speaks a
 * service's protocol itself.
 */
import type { DeployVersion } from '../src-shared/api-types.ts';
import type { DeployEvent, DeployFailure } from '../src-shared/upload-model.ts';
import type { RetryInfo, RetryPolicy } from './http/retry.ts';

/** Keeps secrets (upload tokens). The app backs it with Electron's safeStorage; the CLI with a 0600 file. */
export interface SecretStore {
  get(name: string): Promise<string | null>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

/** Everything the engine needs from its host. */
export interface EnginePorts {
  /** Folder for the resume journal and the hash cache (SQLite files). */
  stateDir: string;
  secrets: SecretStore;
  /** The hash worker's entry; defaults to src-core/hash-worker.ts. The app passes electron-vite's bundled worker. */
  hashWorkerUrl?: URL;
  /**
   * Work small enough to do on the engine's own thread rather than start worker threads (default
   * hash-pool's INLINE_WORK, for a thread that must stay free, as the app's main process).
   */
  inlineWork?: InlineWork;
}

/** Limits of the work the hash pool does on the calling thread rather than start a worker thread for it. */
export interface InlineWork {
  /** An lstat batch of at most this many paths (stat'ed as InlineStatPool does: in slices, async on a slow filesystem). */
  paths: number;
  /** A hash of at most this many files… */
  files: number;
  /** …of at most this many bytes in all. */
  bytes: number;
}

/** The services PressDrop deploys to, each an adapter under targets/. */
export type TargetKind = 'press-cloud' | 'slideless' | 'cloudflare';

/**
 * The hash a service names content by: SHA-256 (Press Cloud, Slideless), or
 * Cloudflare's asset hash (BLAKE3 of the base64 content and the extension,
 * 32 hex characters), which differs for one content under two extensions.
 */
export type HashKind = 'sha256' | 'cloudflare-asset';

/** One file of the folder, hashed: what the version will hold at `path`. */
export interface PlannedFile {
  path: string;
  absolutePath: string;
  /** The content's hash, of the plan's kind. */
  hash: string;
  size: number;
  mime: string;
  /** As the scan saw it: what a last look before the commit compares with. */
  mtimeNs: bigint;
  ino: bigint;
}

/** One content to upload, with every path that holds it (uploaded once, from the first). */
export interface PlannedBlob {
  hash: string;
  size: number;
  source: PlannedFile;
  paths: string[];
}

/** The folder as a version: its files, its distinct contents, and a digest that names this exact manifest. */
export interface DeployPlan {
  /** What `hash` means: the kind the target names content by. */
  hashKind: HashKind;
  files: PlannedFile[];
  blobs: PlannedBlob[];
  totalBytes: number;
  manifestDigest: string;
}

/** What a service takes, checked against the plan before anything is sent. */
export interface TargetLimits {
  maxFileBytes: number;
  maxFiles: number;
  maxTotalBytes: number;
  /** Hashes one missing-content check may carry. */
  maxMissingPerCall: number;
}

/**
 * The adapter's own slot in the resume journal: JSON only it reads, written
 * durably (one transaction) before the request it describes goes out, so a
 * run after a kill finds what the service may already have done.
 */
export interface TargetJournal {
  read<State>(): State | null;
  write<State>(state: State | null): void;
}

/** What a target gets from the run it serves. */
export interface TargetRunContext {
  jobId: string;
  /** The folder's real path (Slideless keeps its presentation id beside the files, in slideless.json). */
  folder: string;
  journal: TargetJournal;
  /** Where the adapter keeps its upload tokens and JWTs; names start with its kind and the job id. */
  secrets: SecretStore;
  /** When the run started: a session made before it is an earlier run's (a resume). */
  startedAt: number;
  /** For the `deploy` and `session` events the service's answers are news of. */
  emit(event: DeployEvent): void;
  /** Aborted when the run is cancelled. */
  signal: AbortSignal;
}

/** One request that sends content: a blob, or several where the service takes batches (Cloudflare's buckets). */
export interface UploadUnit {
  blobs: PlannedBlob[];
  /** The blobs' bytes: what the queue's bytes-in-flight bound counts. */
  size: number;
}

/** How one upload reports back to the run. */
export interface UploadProgress {
  signal: AbortSignal;
  /** File bytes handed to the wire since the last call; a failed attempt reports minus what it had sent. */
  onBytesSent: (delta: number) => void;
  /** Before each backoff wait of this very upload: the run marks its files "retrying". */
  onRetry: (info: RetryInfo) => void;
}

/** A committed version, as every target reports it. */
export interface CommittedVersion {
  /**
   * The version in Press Cloud's shape, the one the app and `--json` show:
   * for Slideless the presentation and its version number, for Cloudflare
   * the Worker and its version.
   */
  deployVersion: DeployVersion;
  /** The deploy's slug (Press Cloud), or null where the service has none. */
  slug: string | null;
  /** Where the version can be seen, or null. */
  url: string | null;
}

/** An open upload session of one job: what the run asks of it, in this order. */
export interface TargetSession {
  /** The hashes of `blobs` (at most `maxMissingPerCall`) the service does not hold yet. */
  missing(blobs: readonly PlannedBlob[]): Promise<ReadonlySet<string>>;
  /** The requests that send `missing` (blobs `missing` named): one per blob, or the service's buckets. */
  units(missing: readonly PlannedBlob[]): UploadUnit[];
  /** Sends one unit's content; retries its own transient failures, reporting each through `progress.onRetry`. */
  upload(unit: UploadUnit, progress: UploadProgress): Promise<void>;
  /** Makes the uploaded content the destination's next version; a commit an earlier run sent is not made twice. */
  commit(plan: DeployPlan): Promise<CommittedVersion>;
}

/** What a service can do besides deploying, for the CLI and the app to ask instead of assuming. */
export interface TargetCapabilities {
  /** Lists deploys and their versions (History). */
  versions: boolean;
  /** Points named aliases at versions. */
  aliases: boolean;
  /** Renders a version to PDF. */
  render: boolean;
}

/** Tuning every adapter's HTTP client takes from the run. */
export interface TargetConnectionOptions {
  /** Keep-alive connections: uploads at once, plus the run's missing checks. */
  connections: number;
  stallTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Retries of requests that are not one upload's (session, checks, commit): the run shows each. */
  onRetry: (info: RetryInfo) => void;
}

/**
 * A service a folder deploys to, and where on it, as the caller names it
 * (`pressCloudTarget(…)`, `slidelessTarget(…)`, `cloudflareTarget(…)`):
 * plain facts, and `connect`, which the run calls for the live protocol.
 * An adapter owns its protocol, its hash, its journal state and its errors
 * (ServiceError, with the engine's codes where the meaning is the same: an
 * expired session is `upload_session_expired` whatever the service says).
 */
export interface DeployTarget {
  readonly kind: TargetKind;
  readonly hashKind: HashKind;
  /** The service's base URL: with `destination.key`, what a job is matched on for resume. */
  readonly endpoint: string;
  /** Where on the service: journaled with the job, shown on resume, and what `reopenTarget` rebuilds it from. */
  readonly destination: TargetDestination;
  readonly capabilities: TargetCapabilities;
  /**
   * The content store the service's blobs live in, where one is shared by every deploy on it (Press
   * Cloud's): blobs a commit proved stored there are remembered (the hash cache), and a later run asks
   * the service only about the others, as Vercel's CLI does. A commit that finds one gone makes the run
   * forget them all and plan again. null where opening a session answers what is missing anyway.
   */
  readonly storedBlobsScope: string | null;
  /** Opens the service's HTTP client for one run. */
  connect(options: TargetConnectionOptions): TargetConnection;
  /**
   * Whether a job refused by the service left something there a later run
   * continues (a deploy it created, a reserved presentation): then it is
   * `failed`, resumable, and `note` says what; else `refused`, final.
   */
  settleRefusal(journal: TargetJournal, failure: { code: string }): { leftSomething: boolean; note?: string };
}

/** A target's live protocol for one run. */
export interface TargetConnection {
  /** Asked before the scan, so a wrong URL or key fails before a long hash. */
  limits(): Promise<TargetLimits>;
  /** The service's own refusal of this plan (beyond the limits), in words, before anything is uploaded; null when fine. */
  planProblem(plan: DeployPlan): DeployFailure | null;
  /**
   * The job's session for `plan`: the journal's, if the service still has
   * it open, or a new one; or the version, when an earlier run's commit of
   * this very plan already landed.
   */
  open(plan: DeployPlan, run: TargetRunContext): Promise<TargetSession | CommittedVersion>;
  /** The job ended committed: the adapter drops its secrets. */
  forget(jobId: string, secrets: SecretStore): Promise<void>;
  /** Ends connections and backoff waits. */
  close(): Promise<void>;
}

/** Where a target deploys, as the journal keeps it (JSON) and `resume --list` shows it. */
export interface TargetDestination {
  /** One string per destination: two runs with the same key (and endpoint) continue the same job. */
  key: string;
  /** What a person reads: a deploy's name, a presentation's title, a Worker's name. */
  name: string;
  /** The id on the service when the caller named one (a deploy, a presentation, a script). */
  id: string | null;
  /** A Press Cloud slug, where there is one. */
  slug: string | null;
  /** Whatever else the adapter needs to reopen it (JSON). */
  details: Record<string, unknown>;
}
