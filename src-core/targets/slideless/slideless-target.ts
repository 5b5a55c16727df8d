import { SLIDELESS_API_URL } from '../../../src-shared/service-urls.ts';
import type { DeployFailure } from '../../../src-shared/upload-model.ts';
import type {
  CommittedVersion,
  DeployPlan,
  DeployTarget,
  PlannedBlob,
  TargetConnection,
  TargetConnectionOptions,
  TargetDestination,
  TargetJournal,
  TargetLimits,
  TargetRunContext,
  TargetSession,
  UploadProgress,
  UploadUnit,
} from '../../ports.ts';
import { ServiceError } from '../../http/service-error.ts';
import { openVerifiedFileBody } from '../../verified-file-body.ts';
import { SlidelessClient, type SlidelessInto } from './slideless-client.ts';
import { isNotFound, sessionExpired } from './slideless-error.ts';
import {
  entryPathOf,
  intoOf,
  jobState,
  SESSION_MARGIN_MS,
  SESSION_TTL_MS,
  SlidelessCommit,
  updateJob,
  type SlidelessDeployOptions,
  type SlidelessJobState,
  type SlidelessPresentation,
} from './slideless-job.ts';
import { readSlidelessJsonFile, sameApi } from './slideless-json.ts';

export type { SlidelessDeployOptions, SlidelessPresentation } from './slideless-job.ts';

/** A Slideless account: the API's base URL and a key (`cko_…`, or `cka_…`). */
export interface SlidelessAccount {
  apiUrl: string;
  apiKey: string;
}

/**
 * The largest caps any Slideless plan has (concepts/presentations, "Size and
 * file-count caps": Enterprise). The API does not say which plan a key is
 * on, so a smaller plan's caps are the service's to refuse (payload-too-large,
 * too-many-files); these refuse only what no plan takes, before anything is sent.
 */
const MB = 1_000_000;
const SLIDELESS_LIMITS: TargetLimits = {
  maxFileBytes: 1000 * MB,
  maxFiles: 10_000,
  maxTotalBytes: 20_000 * MB,
  // api-reference/precheck-assets: "Max 2000 per call".
  maxMissingPerCall: 2000,
};
/** The largest HTML file any plan takes (Enterprise). */
const MAX_HTML_BYTES = 50 * MB;
/** api-reference/commit-presentation-version: "1–255 chars" and paths "≤ 512 chars". */
const MAX_TITLE_CHARS = 255;
const MAX_PATH_CHARS = 512;
/** A session id no session has: a precheck with it checks the key and creates nothing (404 when the key is good). */
const NO_SESSION = '00000000-0000-7000-8000-000000000000';
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A Slideless presentation to deploy a folder to: one that exists, or a new one the job creates. */
export function slidelessTarget(
  account: SlidelessAccount,
  presentation: SlidelessPresentation,
  options: SlidelessDeployOptions = {},
): DeployTarget {
  const apiUrl = account.apiUrl.replace(/\/+$/, '');
  const named = 'presentationId' in presentation;
  const destination: TargetDestination = {
    key: named ? `presentation:${presentation.presentationId}` : 'new',
    name: options.title ?? (named ? presentation.presentationId : 'New presentation'),
    id: named ? presentation.presentationId : null,
    slug: null,
    details: {
      presentation,
      ...(options.title !== undefined && { title: options.title }),
      ...(options.entryPath !== undefined && { entryPath: options.entryPath }),
    },
  };
  return {
    kind: 'slideless',
    hashKind: 'sha256',
    endpoint: apiUrl,
    destination,
    // Slideless lists versions (listPresentationVersions), but PressDrop's History does not read them yet.
    capabilities: { versions: false, aliases: false, render: false },
    // Its prechecks answer for one presentation, and the first one opens the session: nothing store-wide to remember.
    storedBlobsScope: null,
    connect: (connection) =>
      new SlidelessConnection({ apiUrl, apiKey: account.apiKey }, presentation, options, connection),
    settleRefusal: (journal) => settleRefusal(journal, presentation),
  };
}

/** The target of a journaled Slideless job, to resume it with `apiKey` (never kept in the journal). */
export function slidelessTargetFromJob(
  job: { apiUrl: string; destination: TargetDestination },
  apiKey: string,
): DeployTarget {
  const details = job.destination.details as {
    presentation: SlidelessPresentation;
    title?: string;
    entryPath?: string;
  };
  return slidelessTarget({ apiUrl: job.apiUrl, apiKey }, details.presentation, {
    ...(details.title !== undefined && { title: details.title }),
    ...(details.entryPath !== undefined && { entryPath: details.entryPath }),
  });
}

/**
 * The presentation the folder was last pushed to on the API at `apiUrl`,
 * from its slideless.json (the Slideless CLI's file; PressDrop writes it
 * after each commit): deploy to it to update it. Null when the folder has
 * none, or when that presentation lives on another API (its `baseUrl`: a
 * local peer's id means nothing to Slideless, nor Slideless's to a peer).
 */
export async function readSlidelessJson(folder: string, apiUrl: string): Promise<{ presentationId: string } | null> {
  const json = await readSlidelessJsonFile(folder);
  if (!json || !sameApi(json.baseUrl ?? SLIDELESS_API_URL, apiUrl)) return null;
  return { presentationId: json.presentationId };
}

class SlidelessConnection implements TargetConnection {
  readonly #presentation: SlidelessPresentation;
  readonly #options: SlidelessDeployOptions;
  readonly #client: SlidelessClient;

  constructor(
    account: SlidelessAccount,
    presentation: SlidelessPresentation,
    options: SlidelessDeployOptions,
    connection: TargetConnectionOptions,
  ) {
    this.#presentation = presentation;
    this.#options = options;
    this.#client = new SlidelessClient(account, connection);
  }

  /**
   * The caps, after one precheck that checks the key (and a named
   * presentation's existence and ownership) before the folder is hashed.
   */
  async limits(): Promise<TargetLimits> {
    if ('presentationId' in this.#presentation) {
      await this.#client.precheck([EMPTY_SHA256], { presentationId: this.#presentation.presentationId });
    } else {
      await this.#client.precheck([EMPTY_SHA256], { sessionId: NO_SESSION }).catch((error) => {
        if (!isNotFound(error)) throw error;
      });
    }
    return SLIDELESS_LIMITS;
  }

  planProblem(plan: DeployPlan): DeployFailure | null {
    return slidelessPlanProblem(plan, this.#options);
  }

  async open(plan: DeployPlan, run: TargetRunContext): Promise<TargetSession | CommittedVersion> {
    const committer = new SlidelessCommit(this.#client, run, this.#options);
    let state = jobState(run, this.#presentation);
    const recovered = await committer.recover(plan, run.journal.read<SlidelessJobState>()!);
    if (recovered) return recovered;
    state = run.journal.read<SlidelessJobState>()!;
    let firstCheck: { hashes: string[]; missing: Set<string> } | null = null;
    if (state.exists) {
      if (state.baseVersion === null) {
        // Read once per job: a version someone else makes after this is a 409 conflict at commit.
        state = updateJob(run, { baseVersion: await this.#client.currentVersion(state.presentationId!, run.signal) });
      }
    } else if (state.session && state.session.expiresAt - Date.now() > SESSION_MARGIN_MS) {
      const { id, openedAt, expiresAt } = state.session;
      run.emit({ type: 'session', sessionId: id, createdAt: openedAt, expiresAt, resumed: openedAt < run.startedAt });
    } else {
      // A new session: its first precheck reserves the presentation id, journaled before it is used.
      const hashes = plan.blobs.slice(0, SLIDELESS_LIMITS.maxMissingPerCall).map((blob) => blob.hash);
      const openedAt = Date.now();
      const answer = await this.#client.precheck(hashes, null, run.signal);
      if (!answer.sessionId || !answer.presentationId)
        throw new ServiceError(
          'precheckAssets: Slideless answered a new presentation without sessionId and presentationId.',
          {
            code: 'bad_response',
            status: 200,
          },
        );
      const session = { id: answer.sessionId, openedAt, expiresAt: openedAt + SESSION_TTL_MS };
      state = updateJob(run, { presentationId: answer.presentationId, session, commitSent: null });
      run.emit({
        type: 'session',
        sessionId: session.id,
        createdAt: openedAt,
        expiresAt: session.expiresAt,
        resumed: false,
      });
      firstCheck = { hashes, missing: new Set(answer.missing) };
    }
    const into = intoOf(state);
    return {
      missing: async (blobs) => {
        const hashes = blobs.map((blob) => blob.hash);
        // The session's first precheck already answered for the plan's first batch.
        if (firstCheck && sameHashes(firstCheck.hashes, hashes)) {
          const { missing } = firstCheck;
          firstCheck = null;
          return missing;
        }
        const answer = await this.#scoped(run, into, () => this.#client.precheck(hashes, into, run.signal));
        return new Set(answer.missing);
      },
      units: (missing) => missing.map((blob) => ({ blobs: [blob], size: blob.size })),
      upload: (unit, progress) => this.#scoped(run, into, () => this.#upload(unit, into, progress)),
      commit: (committing) => committer.commit(committing, run.journal.read<SlidelessJobState>()!),
    };
  }

  async #upload(unit: UploadUnit, into: SlidelessInto, progress: UploadProgress): Promise<void> {
    const blob: PlannedBlob = unit.blobs[0]!;
    await this.#client.upload(
      {
        sha256: blob.hash,
        size: blob.size,
        contentType: blob.source.mime,
        open: () => openVerifiedFileBody(blob.source),
      },
      into,
      progress,
    );
  }

  /** Runs a request of the session: a 404 on it means the session is gone (expired), which the run re-plans around. */
  async #scoped<T>(run: TargetRunContext, into: SlidelessInto, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (!('sessionId' in into) || !isNotFound(error)) throw error;
      // Only this session is forgotten: a late answer must not drop a newer one the next plan opened.
      const state = run.journal.read<SlidelessJobState>()!;
      if (state.session?.id === into.sessionId) updateJob(run, { session: null, presentationId: null });
      throw sessionExpired('Slideless', error);
    }
  }

  async forget(): Promise<void> {
    // Nothing kept beside the journal: the API key is the caller's, and Slideless sessions have no token.
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}

/**
 * Slideless's rules for a version that the plan breaks, in words, before
 * anything is sent: the entry page must be an HTML file of the folder, a
 * title at most 255 characters, paths at most 512, HTML files within the
 * largest plan's cap.
 */
export function slidelessPlanProblem(plan: DeployPlan, options: SlidelessDeployOptions): DeployFailure | null {
  const entryPath = entryPathOf(options);
  if (!plan.files.some((file) => file.path === entryPath)) {
    return {
      code: 'invalid-argument',
      message: `The entry page ${JSON.stringify(entryPath)} is not a file of the folder; add it, or name the entry page the deck opens on.`,
    };
  }
  if (!/\.html?$/i.test(entryPath)) {
    return {
      code: 'invalid-argument',
      message: `The entry page ${JSON.stringify(entryPath)} is not an HTML file (.html or .htm); Slideless opens a deck on one.`,
    };
  }
  if (options.title !== undefined && options.title.length > MAX_TITLE_CHARS) {
    return {
      code: 'invalid-argument',
      message: `The title is ${options.title.length} characters; Slideless takes at most ${MAX_TITLE_CHARS}.`,
    };
  }
  const longPaths = plan.files.filter((file) => file.path.length > MAX_PATH_CHARS);
  if (longPaths.length > 0) {
    return {
      code: 'invalid-argument',
      message: `${longPaths.length} path(s) are longer than the ${MAX_PATH_CHARS} characters Slideless takes, e.g. ${longPaths[0]!.path.slice(0, 80)}…`,
      paths: longPaths.map((file) => file.path),
    };
  }
  const bigHtml = plan.files.filter((file) => /\.html?$/i.test(file.path) && file.size > MAX_HTML_BYTES);
  if (bigHtml.length > 0) {
    return {
      code: 'payload-too-large',
      message: `${bigHtml.length} HTML file(s) are over the 50 MB any Slideless plan takes, e.g. ${bigHtml[0]!.path}.`,
      paths: bigHtml.map((file) => file.path),
    };
  }
  return null;
}

/**
 * A refused job left something a later run continues only if it created
 * its presentation (the next deploy of the folder updates it), or holds a
 * session that still lives (a resume uploads into it, to the same reserved
 * id); a reserved id whose session is gone is never used again.
 */
function settleRefusal(
  journal: TargetJournal,
  presentation: SlidelessPresentation,
): { leftSomething: boolean; note?: string } {
  const state = journal.read<SlidelessJobState>();
  if (!state || 'presentationId' in presentation) return { leftSomething: false };
  if (state.exists && state.presentationId) {
    return {
      leftSomething: true,
      note: `Presentation ${state.presentationId} was created on Slideless by this deploy: the next deploy of this folder updates it.`,
    };
  }
  const live = state.session !== null && state.session.expiresAt - Date.now() > SESSION_MARGIN_MS;
  return { leftSomething: live };
}

function sameHashes(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((hash, index) => hash === b[index]);
}
