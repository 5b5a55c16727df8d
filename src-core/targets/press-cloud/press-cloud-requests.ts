import { createHash, randomUUID } from 'node:crypto';
import type { DeployVersion, FileDescriptor } from '../../../src-shared/api-types.ts';
import type { DeployPlan, PlannedFile } from '../../ports.ts';
import { ServiceError } from '../../http/service-error.ts';
import { JsonText } from '../../http/http-transport.ts';
import type { TargetRunContext } from '../../ports.ts';
import type { CommitBody, CreateUploadSessionBody, PressCloudClient } from './press-cloud-client.ts';

/** Where a Press Cloud deploy goes: an existing deploy, or one the job creates (POST /v1/deploys) before its first session. */
export type DeployRef = { deployId: string } | { createDeploy: { slug: string; name: string } };

/**
 * An Idempotency-Key and the digest of the exact request (method, path,
 * body) it goes with: the server replays a key's first answer only to the
 * very same request, and answers any other with 409.
 */
export interface KeyedRequest {
  key: string;
  /** Null until the key is first about to be sent. */
  digest: string | null;
}

/** A Press Cloud job's state in the journal (the adapter's opaque JSON). The upload token is in the SecretStore. */
export interface PressCloudJobState {
  /**
   * The deploy's id: the one the user named, or for `createDeploy` the one
   * the server answered to this job's own POST /v1/deploys, never one found
   * by slug (a slug may be someone else's).
   */
  deployId: string | null;
  /** Idempotency-Key of POST /v1/deploys: its body (slug and name) never changes within a job. */
  deployKey: string;
  /** The job's session, with the manifest it was made for: another manifest needs another session. */
  session: { id: string; expiresAt: number; manifestDigest: string } | null;
  sessionRequest: KeyedRequest;
  commitRequest: KeyedRequest;
}

/** An upload session a run can use: its id and its token. */
export interface OpenSession {
  id: string;
  token: string;
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
  readonly #run: TargetRunContext;
  readonly #client: PressCloudClient;
  readonly #deploy: DeployRef;

  constructor(run: TargetRunContext, client: PressCloudClient, deploy: DeployRef) {
    this.#run = run;
    this.#client = client;
    this.#deploy = deploy;
  }

  /**
   * The deploy's id: the one the user named, or the one the server answers
   * to this job's POST /v1/deploys. A slug someone else holds is `409
   * deploy_slug_conflict`, which no resume can fix.
   */
  async deployId(): Promise<string> {
    const state = this.#state();
    if (state.deployId) return state.deployId;
    if (!('createDeploy' in this.#deploy)) throw new Error(`Job ${this.#run.jobId} names no deploy.`);
    const { slug, name } = this.#deploy.createDeploy;
    // The body is the job's slug and name, the same bytes every time: its key is the job's for good.
    const deploy = await this.#client.createDeploy(slug, name, state.deployKey);
    this.#update({ deployId: deploy.id });
    this.#run.emit({ type: 'deploy', deployId: deploy.id, slug: deploy.slug, name: deploy.name });
    return deploy.id;
  }

  /**
   * The job's session for `plan`: the journal's, if the server says it is
   * still open (a committed one ends the run with its version); else the
   * one the job's session request creates, or, sent again unchanged, gets
   * back. Only a session near its end is replaced, under a new key.
   */
  async session(plan: DeployPlan, deployId: string): Promise<OpenSession | { deployVersion: DeployVersion }> {
    const { secrets, jobId } = this.#run;
    const client = this.#client;
    const tokenName = uploadTokenName(jobId);
    const known = this.#state().session;
    if (known && known.manifestDigest === plan.manifestDigest) {
      const token = await secrets.get(tokenName);
      const session = token ? await client.getUploadSession(known.id, token).catch(ignoreGone) : null;
      if (session?.status === 'committed' && session.deployVersionId)
        return { deployVersion: await client.getVersion(session.deployVersionId) };
      if (token && session?.status === 'open' && session.expiresAt - Date.now() > SESSION_MARGIN_MS) {
        this.#run.emit({
          type: 'session',
          sessionId: session.id,
          createdAt: session.createdAt,
          expiresAt: session.expiresAt,
          resumed: true,
        });
        return { id: session.id, token };
      }
      // Expired, unknown, or near its end: the next one under a new key. Without its token (the store
      // lost it) the session was not looked at: the same request again gets it back, token included.
      this.#update({ session: null });
      if (token) this.#forgetRequest('sessionRequest');
    } else if (known) {
      // Made for another manifest (the folder changed): of no use to this plan.
      this.#update({ session: null });
    }
    const body = new JsonText<CreateUploadSessionBody>({ deployId, files: toDescriptors(plan.files) });
    const digest = requestDigest('POST', '/v1/upload-sessions', body);
    for (;;) {
      const { key, repeat } = this.#requestKey('sessionRequest', digest);
      const { uploadSession, uploadToken } = await client.createUploadSession(body, key);
      // A repeated request may be answered with a session an earlier run made long ago.
      if (repeat && uploadSession.expiresAt - Date.now() <= SESSION_MARGIN_MS) {
        this.#forgetRequest('sessionRequest');
        continue;
      }
      // The token first: killed in between, the journal knows no session, and the request repeated gets both back.
      await secrets.set(tokenName, uploadToken);
      this.#update({
        session: { id: uploadSession.id, expiresAt: uploadSession.expiresAt, manifestDigest: plan.manifestDigest },
      });
      const resumed = repeat && uploadSession.createdAt < this.#run.startedAt;
      this.#run.emit({
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
  async commit(session: OpenSession, entries: CommitBody): Promise<DeployVersion> {
    const body = new JsonText(entries);
    const { key } = this.#requestKey(
      'commitRequest',
      requestDigest('POST', `/v1/upload-sessions/${session.id}/commit`, body),
    );
    return this.#client.commit(session.id, session.token, body, key);
  }

  /** The job's state; a job's first run makes it, with its keys, before any request goes out. */
  #state(): PressCloudJobState {
    const state = this.#run.journal.read<PressCloudJobState>();
    if (state) return state;
    const fresh: PressCloudJobState = {
      deployId: 'deployId' in this.#deploy ? this.#deploy.deployId : null,
      deployKey: newKey('deploy'),
      session: null,
      sessionRequest: { key: newKey('session'), digest: null },
      commitRequest: { key: newKey('commit'), digest: null },
    };
    this.#run.journal.write(fresh);
    return fresh;
  }

  #update(change: Partial<PressCloudJobState>): void {
    this.#run.journal.write({ ...this.#state(), ...change });
  }

  /**
   * The Idempotency-Key to send the request whose digest is `digest` with,
   * recorded (durably) before it is sent. The same request as the one last
   * recorded keeps its key, so the server replays its first answer (`repeat`);
   * any other request gets a new key: a key is never sent with other bytes.
   */
  #requestKey(kind: 'sessionRequest' | 'commitRequest', digest: string): { key: string; repeat: boolean } {
    const current = this.#state()[kind];
    if (current.digest === digest) return { key: current.key, repeat: true };
    const key = newKey(kind === 'sessionRequest' ? 'session' : 'commit');
    this.#update({ [kind]: { key, digest } });
    return { key, repeat: false };
  }

  /** Forgets what a request's key was sent with: the next one, even the same bytes, goes under a new key (its session expired). */
  #forgetRequest(kind: 'sessionRequest' | 'commitRequest'): void {
    this.#update({ [kind]: { ...this.#state()[kind], digest: null } });
  }
}

function newKey(kind: 'deploy' | 'session' | 'commit'): string {
  return `pressdrop-${kind}-${randomUUID()}`;
}

/**
 * The files as the session registers them. Keys in code-unit order, as are the body's (deployId,
 * files): the server fingerprints an idempotent request by its canonical JSON (keys sorted), which
 * such a body already is, so it takes the fast way (~50 ms of its CPU per 20,000-file manifest).
 */
export function toDescriptors(files: readonly PlannedFile[]): FileDescriptor[] {
  return files.map((file) => ({ mime: file.mime, path: file.path, sha256: file.hash, size: file.size }));
}

/** The SecretStore name of a job's upload token. */
export function uploadTokenName(jobId: string): string {
  return `upload-token:${jobId}`;
}

/** What names a request for its Idempotency-Key: method, path, and the body as the client serializes it. */
export function requestDigest(method: string, path: string, body: unknown): string {
  // Hashed as the bytes sent: the same digest as of one string "method path\nbody", without building it.
  return createHash('sha256')
    .update(`${method} ${path}\n`)
    .update(body instanceof JsonText ? body.bytes : JSON.stringify(body))
    .digest('hex');
}

/** A session the server no longer knows, or no longer lets us use, is simply replaced. */
function ignoreGone(error: unknown): null {
  if (error instanceof ServiceError && (error.status === 401 || error.status === 404 || error.status === 410))
    return null;
  throw error;
}
