import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import type { DeployVersion } from '../../../src-shared/api-types.ts';
import { withRetry } from '../../http/retry.ts';
import { ServiceError } from '../../http/service-error.ts';
import type { CommittedVersion, DeployPlan, TargetRunContext } from '../../ports.ts';
import type {
  CommitAnswer,
  CommitBody,
  ManifestFile,
  SlidelessClient,
  SlidelessInto,
  VersionManifest,
} from './slideless-client.ts';
import { isNotFound, sessionExpired } from './slideless-error.ts';
import { writeSlidelessJson } from './slideless-json.ts';

/** Where a Slideless job deploys: a presentation the user named, or a new one the job creates. */
export type SlidelessPresentation = { presentationId: string } | { newPresentation: true };

/** What a version is committed with besides its files. */
export interface SlidelessDeployOptions {
  /** Defaults to the folder's name for a new presentation; an update without one keeps the presentation's title. */
  title?: string;
  /** The entry HTML file; defaults to index.html. */
  entryPath?: string;
}

/**
 * A Slideless job's state in the journal (the adapter's opaque JSON),
 * written before the request it describes goes out.
 */
export interface SlidelessJobState {
  /** The presentation: the one named, or the one this job's session reserved (null before its first precheck). */
  presentationId: string | null;
  /** Whether `presentationId` exists on Slideless: named, or created by this job's commit. */
  exists: boolean;
  /** The new-presentation session, while the presentation does not exist yet; `expiresAt` is our reckoning (1 hour). */
  session: { id: string; openedAt: number; expiresAt: number } | null;
  /** The presentation's version when this job first looked: the commit's expectedBaseVersion. */
  baseVersion: number | null;
  /** A commit this job sent and has not seen the answer to: the digest of its manifest. */
  commitSent: { digest: string } | null;
}

/** How long Slideless keeps a new-presentation session (api-reference/precheck-assets: "auto-expire after 1 hour"). */
export const SESSION_TTL_MS = 60 * 60 * 1000;
/** A journaled session with less time left than this is not resumed: a new one is opened instead. */
export const SESSION_MARGIN_MS = 60_000;

/** The job's state; its first run makes it, before any request goes out. */
export function jobState(run: TargetRunContext, presentation: SlidelessPresentation): SlidelessJobState {
  const state = run.journal.read<SlidelessJobState>();
  if (state) return state;
  const named = 'presentationId' in presentation;
  const fresh: SlidelessJobState = {
    presentationId: named ? presentation.presentationId : null,
    exists: named,
    session: null,
    baseVersion: null,
    commitSent: null,
  };
  run.journal.write(fresh);
  return fresh;
}

/** Changes the journaled state (durably, before the caller goes on). */
export function updateJob(run: TargetRunContext, change: Partial<SlidelessJobState>): SlidelessJobState {
  const next = { ...run.journal.read<SlidelessJobState>()!, ...change };
  run.journal.write(next);
  return next;
}

/**
 * The commit: `commitPresentationVersion` with `expectedBaseVersion` on an
 * update, journaled as sent before it goes out. A commit whose answer was
 * lost is not made twice: sent again, an update gets 409 conflict and a
 * new presentation 404 (its session was used up), and either way the
 * version after the base is read back; if its manifest is the one this job
 * sent, that version is ours.
 */
export class SlidelessCommit {
  readonly #client: SlidelessClient;
  readonly #run: TargetRunContext;
  readonly #options: SlidelessDeployOptions;

  constructor(client: SlidelessClient, run: TargetRunContext, options: SlidelessDeployOptions) {
    this.#client = client;
    this.#run = run;
    this.#options = options;
  }

  /** The commit's body for `plan` into the job's presentation or session. */
  body(plan: DeployPlan, state: SlidelessJobState): CommitBody {
    const files = toManifest(plan);
    const entryPath = entryPathOf(this.#options);
    if (state.exists) {
      return {
        presentationId: state.presentationId!,
        ...(this.#options.title !== undefined && { title: this.#options.title }),
        entryPath,
        files,
        ...(state.baseVersion !== null && { expectedBaseVersion: state.baseVersion }),
      };
    }
    return { sessionId: state.session!.id, title: this.title(), entryPath, files };
  }

  /** The title a new presentation gets: the caller's, else the folder's name. */
  title(): string {
    return this.#options.title ?? (basename(this.#run.folder) || 'Untitled deck');
  }

  async commit(plan: DeployPlan, state: SlidelessJobState): Promise<CommittedVersion> {
    const body = this.body(plan, state);
    const digest = manifestDigest(body);
    updateJob(this.#run, { commitSent: { digest } });
    const { signal } = this.#run;
    const answer = await withRetry(
      async () => {
        try {
          return await this.#client.commitOnce(body, signal);
        } catch (error) {
          const landed = await this.#landedElsewhere(error, body, digest);
          if (landed) return landed;
          if ('sessionId' in body && isNotFound(error)) {
            // Gone, and not by our commit: it expired. The next plan opens a new one (a new reserved id).
            updateJob(this.#run, { session: null, presentationId: null, commitSent: null });
            throw sessionExpired('commitPresentationVersion', error);
          }
          throw error;
        }
      },
      this.#client.retryOptions('commitPresentationVersion', signal),
    );
    return this.committed(answer, 'title' in body ? (body.title ?? null) : null);
  }

  /**
   * If an earlier run of this job sent a commit whose answer it lost, the
   * version it made (if its manifest is the one sent): then the job's base
   * moves on to it, and if `plan` is that manifest too, the job is done.
   */
  async recover(plan: DeployPlan, state: SlidelessJobState): Promise<CommittedVersion | null> {
    if (!state.commitSent || !state.presentationId) return null;
    const version = state.exists ? (state.baseVersion ?? 0) + 1 : 1;
    const manifest = await this.#client.version(state.presentationId, version, this.#run.signal).catch((error) => {
      if (isNotFound(error)) return null;
      throw error;
    });
    if (!manifest || manifestDigest(manifest) !== state.commitSent.digest) {
      // Not landed (or not ours): a new presentation's session may still be open; an update goes on from its base.
      updateJob(this.#run, { commitSent: null });
      return null;
    }
    const answer = await this.#answerOf(state.presentationId, manifest);
    if (
      manifestDigest({ entryPath: entryPathOf(this.#options), files: toManifest(plan) }) !== state.commitSent.digest
    ) {
      // Ours, but the folder changed since: it is the base the next version goes on.
      updateJob(this.#run, {
        exists: true,
        session: null,
        baseVersion: answer.version,
        commitSent: null,
      });
      await writeSlidelessJson(this.#run.folder, answer, this.#client.apiUrl).catch(() => undefined);
      return null;
    }
    return this.committed(answer, manifest.title);
  }

  /** The job's version made: journaled, the folder's slideless.json written, in DeployVersion's shape. */
  async committed(answer: CommitAnswer & { createdAt?: number }, title: string | null): Promise<CommittedVersion> {
    updateJob(this.#run, {
      presentationId: answer.presentationId,
      exists: true,
      session: null,
      baseVersion: answer.version,
      commitSent: null,
    });
    // The version is made whatever happens to this file: a folder that cannot be written keeps no record.
    await writeSlidelessJson(this.#run.folder, answer, this.#client.apiUrl).catch(() => undefined);
    const deployVersion: DeployVersion = {
      id: `${answer.presentationId}/${answer.version}`,
      displayId: `#${answer.version}`,
      deployId: answer.presentationId,
      versionNo: answer.version,
      route: null,
      title,
      status: 'ready',
      createdAt: answer.createdAt ?? Date.now(),
    };
    return { deployVersion, slug: null, url: answer.shareUrl ?? null };
  }

  /** The answer a commit that landed would have given, from its read-back. */
  async #answerOf(presentationId: string, manifest: VersionManifest): Promise<CommitAnswer & { createdAt?: number }> {
    const shareUrl = await this.#client.shareUrl(presentationId, this.#run.signal);
    const createdAt = Date.parse(manifest.createdAt);
    return {
      presentationId,
      version: manifest.version,
      ...(shareUrl !== null && { shareUrl }),
      ...(Number.isFinite(createdAt) && { createdAt }),
    };
  }

  /**
   * After a refusal that a commit of ours landing earlier explains (the
   * session used up, the base moved on), the version it made, if it is ours.
   */
  async #landedElsewhere(
    error: unknown,
    body: CommitBody,
    digest: string,
  ): Promise<(CommitAnswer & { createdAt?: number }) | null> {
    if (!(error instanceof ServiceError)) return null;
    let presentationId: string;
    let version: number;
    if ('sessionId' in body && error.code === 'not-found') {
      presentationId = this.#run.journal.read<SlidelessJobState>()!.presentationId!;
      version = 1;
    } else if ('presentationId' in body && error.code === 'conflict' && body.expectedBaseVersion !== undefined) {
      presentationId = body.presentationId;
      version = body.expectedBaseVersion + 1;
    } else {
      return null;
    }
    const manifest = await this.#client.version(presentationId, version, this.#run.signal).catch((failure) => {
      if (isNotFound(failure)) return null;
      throw failure;
    });
    if (!manifest || manifestDigest(manifest) !== digest) return null;
    return this.#answerOf(presentationId, manifest);
  }
}

/** The entry HTML file the version opens on. */
export function entryPathOf(options: SlidelessDeployOptions): string {
  return options.entryPath ?? 'index.html';
}

/** The plan's files as a commit's manifest. */
export function toManifest(plan: DeployPlan): ManifestFile[] {
  return plan.files.map((file) => ({ path: file.path, sha256: file.hash, size: file.size, contentType: file.mime }));
}

/**
 * What names a manifest: its entry and its files (path, hash, size, type),
 * in path order. The title is left out: an update may keep the one it had.
 */
export function manifestDigest(manifest: { entryPath: string; files: readonly ManifestFile[] }): string {
  const files = [...manifest.files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((file) => [file.path, file.sha256, file.size, file.contentType]);
  return createHash('sha256')
    .update(JSON.stringify([manifest.entryPath, files]))
    .digest('hex');
}

/** Where requests of the job go while it uploads: its presentation, or its session. */
export function intoOf(state: SlidelessJobState): SlidelessInto {
  return state.exists ? { presentationId: state.presentationId! } : { sessionId: state.session!.id };
}
