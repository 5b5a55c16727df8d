import { createHash } from 'node:crypto';
import type { DeployVersion } from '../../../src-shared/api-types.ts';
import type { DeployEvent } from '../../../src-shared/upload-model.ts';
import type { DeployJournal, JobRecord } from '../../deploy-journal.ts';
import { toDescriptors, type DeployPlan } from '../../deploy-plan.ts';
import type { SecretStore } from '../../ports.ts';
import {
  ServiceError,
  type CommitBody,
  type CreateUploadSessionBody,
  type PressCloudClient,
} from './press-cloud-client.ts';

/** An upload session a run can use: its id and its token. */
export interface OpenSession {
  id: string;
  token: string;
}

/** What a job's requests need from its run. */
export interface JobRequestsContext {
  journal: DeployJournal;
  secrets: SecretStore;
  client: PressCloudClient;
  jobId: string;
  /** When the run started: a session created before it is an earlier run's. */
  startedAt: number;
  emit: (event: DeployEvent) => void;
}

/** A session got back from the journal or by a replay, with less time left than this, is replaced rather than raced against its expiry. */
export const SESSION_MARGIN_MS = 60_000;

/**
 * The create-type requests of one job (its deploy, its session, its
 * commit), sent so that a run after a kill at any moment ends up with what
 * the server already did, never with a second one. Each is sent under an
 * Idempotency-Key the journal recorded, with the digest of the exact request,
 * before it was sent: the same request again keeps its key (the server
 * replays its first answer, token included), and a key never goes out with
 * other bytes (which the server refuses with 409 idempotency_key_conflict).
 * The deploy a job creates is the one the server answered to the job's own
 * request, never one found by its slug.
 */
export class JobRequests {
  readonly #ctx: JobRequestsContext;

  constructor(ctx: JobRequestsContext) {
    this.#ctx = ctx;
  }

  /**
   * The deploy's id: the one the user named, or the one the server answers
   * to this job's POST /v1/deploys. A slug someone else holds is `409
   * deploy_slug_conflict`, which no resume can fix.
   */
  async deployId(): Promise<string> {
    const { journal, client, jobId, emit } = this.#ctx;
    const job = this.#job();
    if (job.deployId) return job.deployId;
    if (!('createDeploy' in job.deploy)) throw new Error(`Job ${jobId} names no deploy.`);
    const { slug, name } = job.deploy.createDeploy;
    // The body is the job's slug and name, the same bytes every time: its key is the job's for good.
    const deploy = await client.createDeploy(slug, name, job.deployKey);
    journal.setDeployId(jobId, deploy.id);
    emit({ type: 'deploy', deployId: deploy.id, slug: deploy.slug, name: deploy.name });
    return deploy.id;
  }

  /**
   * The job's session for `plan`: the journal's, if the server says it is
   * still open (a committed one ends the run with its version); else the
   * one the job's session request creates, or, sent again unchanged, gets
   * back. Only a session near its end is replaced, under a new key.
   */
  async session(plan: DeployPlan, deployId: string): Promise<OpenSession | { deployVersion: DeployVersion }> {
    const { journal, secrets, client, jobId } = this.#ctx;
    const tokenName = uploadTokenName(jobId);
    const job = this.#job();
    if (job.sessionId && job.manifestDigest === plan.manifestDigest) {
      const token = await secrets.get(tokenName);
      const session = token ? await client.getUploadSession(job.sessionId, token).catch(ignoreGone) : null;
      if (session?.status === 'committed' && session.deployVersionId)
        return { deployVersion: await client.getVersion(session.deployVersionId) };
      if (token && session?.status === 'open' && session.expiresAt - Date.now() > SESSION_MARGIN_MS) {
        this.#ctx.emit({
          type: 'session',
          sessionId: session.id,
          createdAt: session.createdAt,
          expiresAt: session.expiresAt,
          resumed: true,
        });
        return { id: session.id, token };
      }
      journal.forgetSession(jobId);
      // Expired, unknown, or near its end: the next one under a new key. Without its token (the store
      // lost it) the session was not looked at: the same request again gets it back, token included.
      if (token) journal.forgetRequest(jobId, 'session');
    }
    const body: CreateUploadSessionBody = { deployId, files: toDescriptors(plan.files) };
    const digest = requestDigest('POST', '/v1/upload-sessions', body);
    for (;;) {
      const { key, repeat } = journal.requestKey(jobId, 'session', digest);
      const { uploadSession, uploadToken } = await client.createUploadSession(body, key);
      // A repeated request may be answered with a session an earlier run made long ago.
      if (repeat && uploadSession.expiresAt - Date.now() <= SESSION_MARGIN_MS) {
        journal.forgetRequest(jobId, 'session');
        continue;
      }
      // The token first: killed in between, the journal knows no session, and the request repeated gets both back.
      await secrets.set(tokenName, uploadToken);
      journal.recordSession(jobId, uploadSession.id, uploadSession.expiresAt);
      const resumed = repeat && uploadSession.createdAt < this.#ctx.startedAt;
      this.#ctx.emit({
        type: 'session',
        sessionId: uploadSession.id,
        createdAt: uploadSession.createdAt,
        expiresAt: uploadSession.expiresAt,
        resumed,
      });
      return { id: uploadSession.id, token: uploadToken };
    }
  }

  /** Commits `session` as the deploy's next version; a commit an earlier run sent (and whose answer it lost) is not made twice. */
  async commit(session: OpenSession, body: CommitBody): Promise<DeployVersion> {
    const { key } = this.#ctx.journal.requestKey(
      this.#ctx.jobId,
      'commit',
      requestDigest('POST', `/v1/upload-sessions/${session.id}/commit`, body),
    );
    return this.#ctx.client.commit(session.id, session.token, body, key);
  }

  #job(): JobRecord {
    return this.#ctx.journal.job(this.#ctx.jobId)!;
  }
}

/** The SecretStore name of a job's upload token. */
export function uploadTokenName(jobId: string): string {
  return `upload-token:${jobId}`;
}

/** What names a request for its Idempotency-Key: method, path, and the body as the client serializes it. */
export function requestDigest(method: string, path: string, body: unknown): string {
  return createHash('sha256')
    .update(`${method} ${path}\n${JSON.stringify(body)}`)
    .digest('hex');
}

/** A session the server no longer knows, or no longer lets us use, is simply replaced. */
function ignoreGone(error: unknown): null {
  if (error instanceof ServiceError && (error.status === 401 || error.status === 404 || error.status === 410))
    return null;
  throw error;
}
