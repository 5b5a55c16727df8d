/**
 * The upload engine's model as its front ends see it: phases, per-file
 * states, totals and events. The CLI prints them, the app's main process
 * batches them to the renderer, and the renderer draws them; none of them
 * needs anything else of the engine.
 */
import type { ApiErrorCode } from './api-errors.ts';
import type { DeployVersion } from './api-types.ts';
import type { EngineErrorCode, PeerServiceErrorCode, UnlistedErrorCode } from './app-errors.ts';

/** The phases of one deploy, in order. */
export type DeployPhase = 'scan' | 'hash' | 'check' | 'upload' | 'commit';

/**
 * One file's state machine: queued → hashing → waiting (hashed, asking the
 * server) → uploading ⇄ retrying → done; or → skipped (the server had the
 * content, or another path of the same content carries it); or → failed.
 */
export type FileState = 'queued' | 'hashing' | 'waiting' | 'uploading' | 'retrying' | 'done' | 'skipped' | 'failed';

/** A change of one file's state; `sentBytes` counts this attempt's bytes while uploading. */
export interface FileUpdate {
  path: string;
  state: FileState;
  size: number;
  sentBytes?: number;
  /** Why it failed, or why it is being retried, in words. */
  message?: string;
}

/** The numbers a progress bar needs, as of `atMs`. */
export interface DeployTotals {
  atMs: number;
  phase: DeployPhase;
  fileCount: number;
  totalBytes: number;
  hashedBytes: number;
  /** Bytes the deploy needs to send (missing on the server, each content once). */
  uploadBytes: number;
  sentBytes: number;
  /** Bytes not sent because the server already had them or another path shares the content. */
  skippedBytes: number;
  /** Smoothed upload speed in bytes per second; null until there is enough to say. */
  bytesPerSecond: number | null;
  /** Remaining upload bytes ÷ smoothed speed, after a warm-up; null before. */
  etaSeconds: number | null;
  retries: number;
  /** Milliseconds spent in each phase so far (the current one up to `atMs`): where the time went. */
  phaseMs: Partial<Record<DeployPhase, number>>;
}

/** Why a deploy stopped short, with a stable code (the API's, or the engine's own). */
export interface DeployFailure {
  /**
   * The engine's own code, the API's, or a peer service's; or, passed on as it came, a code a service answered
   * that no table lists.
   */
  code: EngineErrorCode | ApiErrorCode | PeerServiceErrorCode | UnlistedErrorCode;
  message: string;
  /** Files the refusal is about (scan problems, files over a limit…). */
  paths?: string[];
}

/**
 * Why uploads are held: the user asked, the system is going to sleep, or
 * the network is gone. A run stays paused while any reason holds; the
 * system lifts only its own reasons, the user's Resume lifts them all.
 */
export type PauseReason = 'user' | 'sleep' | 'offline';

/**
 * Everything an engine run reports, in order. A run that ends without a
 * version reports where it got to: `job` (journaled, before the scan),
 * `phase` scan and hash, `plan` (the plan journaled), `deploy` (a new
 * deploy made), `session`, `phase` check, upload and commit, then
 * `committed` or `failed`.
 */
export type DeployEvent =
  /** The run's job in the resume journal, taken up (`resumed`) or new: from here a kill leaves something to resume. */
  | { type: 'job'; jobId: string; resumed: boolean }
  /** A phase starts, `ms` after the run did. */
  | { type: 'phase'; phase: DeployPhase; ms: number }
  | { type: 'files'; updates: FileUpdate[] }
  | { type: 'progress'; totals: DeployTotals }
  /** The folder is hashed and its plan journaled: what the version will hold, and its distinct contents. */
  | { type: 'plan'; fileCount: number; totalBytes: number; blobCount: number }
  /** The deploy a `createDeploy` run makes exists: the server's answer to this job's own request (sent once, or repeated after a kill). */
  | { type: 'deploy'; deployId: string; slug: string; name: string }
  /** The upload session the run uses; `resumed` when an earlier run of the job made it (continued, or got back by repeating its request). */
  | { type: 'session'; sessionId: string; createdAt: number; expiresAt: number; resumed: boolean }
  /** A request failed and is sent again after `delayMs`; `message` says what failed and what happens next, in words. */
  | { type: 'retry'; request: string; attempt: number; delayMs: number; message: string }
  | { type: 'committed'; deployVersion: DeployVersion; previewUrl: string | null; totals: DeployTotals }
  | { type: 'failed'; failure: DeployFailure; resumable: boolean }
  /** Uploads are held; `reasons` are all that hold them now (sent again when they change). */
  | { type: 'paused'; reasons: PauseReason[] }
  | { type: 'resumed' };
