import type { DeployVersion } from '../../../src-shared/api-types.ts';
import { ServiceError } from '../../http/service-error.ts';
import type {
  CommittedVersion,
  DeployPlan,
  TargetRunContext,
  TargetSession,
  UploadProgress,
  UploadUnit,
} from '../../ports.ts';
import {
  bucketUnits,
  commitTag,
  jwtFacts,
  jwtNames,
  waitingHashes,
  type CloudflareJobState,
  type JournaledSession,
} from './assets-session.ts';
import { bucketBody } from './bucket-body.ts';
import type { AssetManifest, CloudflareClient, WorkerVersion } from './cloudflare-client.ts';

/** A journaled JWT with less time left than this is not used again: a new session costs one request. */
export const JWT_MARGIN_MS = 60_000;

/** The Worker a job deploys, and what its version is made with. */
export interface WorkerSpec {
  scriptName: string;
  compatibilityDate: string;
  /** The account's workers.dev subdomain, when known (the connection asked before the scan). */
  subdomain: () => string | null;
}

/** The session's JWT in use: an upload JWT while buckets remain, then the completion JWT. */
type Tokens = { upload: string | null; completion: string | null };

/**
 * One run of a Cloudflare job: opens (or takes up again) the job's assets
 * upload session, uploads its buckets, and deploys the assets-only Worker.
 * The journal holds the session's buckets and which ones the service
 * confirmed, written as each answer arrives; the JWTs are in the
 * SecretStore, each written before the journal names it.
 */
export class CloudflareJob {
  readonly #run: TargetRunContext;
  readonly #client: CloudflareClient;
  readonly #worker: WorkerSpec;
  readonly #names: { upload: string; completion: string };
  readonly #units = new WeakMap<UploadUnit, { index: number; whole: boolean }>();

  constructor(run: TargetRunContext, client: CloudflareClient, worker: WorkerSpec) {
    this.#run = run;
    this.#client = client;
    this.#worker = worker;
    this.#names = jwtNames(run.jobId);
  }

  /**
   * The job's session for `plan`, or the version an earlier run's commit of
   * this plan made (its answer lost). A journaled session is taken up while
   * its JWT is good; one whose buckets were all confirmed but whose
   * completion JWT is not known is replaced: the service, holding every
   * asset, answers a new session with no buckets and the completion JWT.
   */
  async open(plan: DeployPlan): Promise<TargetSession | CommittedVersion> {
    const state = this.#state();
    if (state.commit?.manifestDigest === plan.manifestDigest) {
      const landed = await this.#findCommitted(state.commit.tag);
      if (landed) return landed;
    }
    const known = state.session?.manifestDigest === plan.manifestDigest ? state.session : null;
    if (known) {
      const tokens = await this.#journaledTokens(known);
      if (tokens) {
        this.#emitSession(known, jwtFacts((tokens.completion ?? tokens.upload)!).issuedAt, true);
        return this.#session(known, tokens);
      }
    }
    return this.#newSession(plan);
  }

  /** The journaled JWT still good for `session`, or null when a new session is needed. */
  async #journaledTokens(session: JournaledSession): Promise<Tokens | null> {
    const now = Date.now();
    if (session.completedUntil !== null) {
      const completion = session.completedUntil - now > JWT_MARGIN_MS ? await this.#secret('completion') : null;
      return completion ? { upload: null, completion } : null;
    }
    if (waitingHashes(session).size === 0 || session.expiresAt - now <= JWT_MARGIN_MS) return null;
    const upload = await this.#secret('upload');
    return upload ? { upload, completion: null } : null;
  }

  async #newSession(plan: DeployPlan): Promise<TargetSession> {
    const { secrets } = this.#run;
    const { jwt, buckets } = await this.#client.createAssetsSession(this.#worker.scriptName, manifestOf(plan));
    const facts = jwtFacts(jwt);
    const asked = buckets.filter((bucket) => bucket.length > 0);
    const complete = asked.length === 0;
    // The JWT first: killed in between, the journal names no session, and the next run opens another.
    await secrets.set(complete ? this.#names.completion : this.#names.upload, jwt);
    // An earlier session's completion JWT names other assets: it must never complete this one.
    if (!complete) await secrets.delete(this.#names.completion);
    const session: JournaledSession = {
      id: facts.id,
      manifestDigest: plan.manifestDigest,
      expiresAt: facts.expiresAt,
      buckets: asked,
      uploaded: [],
      // No buckets: the JWT is the completion token, and the version can be deployed at once.
      completedUntil: complete ? facts.expiresAt : null,
    };
    this.#update({ session });
    this.#emitSession(session, facts.issuedAt, false);
    return this.#session(session, complete ? { upload: null, completion: jwt } : { upload: jwt, completion: null });
  }

  #session(session: JournaledSession, tokens: Tokens): TargetSession {
    return {
      missing: async (blobs) => {
        const waiting = waitingHashes(this.#current(session) ?? session);
        return new Set(blobs.filter((blob) => waiting.has(blob.hash)).map((blob) => blob.hash));
      },
      units: (missing) =>
        bucketUnits(this.#current(session) ?? session, missing).map(({ index, whole, blobs }) => {
          const unit: UploadUnit = { blobs, size: blobs.reduce((sum, blob) => sum + blob.size, 0) };
          this.#units.set(unit, { index, whole });
          return unit;
        }),
      upload: (unit, progress) => this.#upload(session, tokens, unit, progress),
      commit: (plan) => this.#commit(plan, tokens),
    };
  }

  /**
   * Uploads one bucket. The answer that completes the session (whichever
   * bucket the service finishes last, in any order) carries the completion
   * JWT: kept, then journaled with the bucket.
   */
  async #upload(session: JournaledSession, tokens: Tokens, unit: UploadUnit, progress: UploadProgress): Promise<void> {
    const bucket = this.#units.get(unit);
    if (!bucket || !tokens.upload) throw new Error('A Cloudflare upload unit must come from its session’s units().');
    const body = bucketBody(unit.blobs);
    let completion: string | null;
    try {
      completion = await this.#client.uploadBucket(tokens.upload, body, {
        signal: progress.signal,
        onBytesSent: body.fileProgress(progress.onBytesSent),
        onRetry: progress.onRetry,
      });
    } catch (error) {
      // A JWT the service no longer takes (expired, or its keys rotated) is not taken up again by the next plan.
      if (error instanceof ServiceError && error.code === 'upload_session_expired' && this.#current(session))
        this.#update({ session: null });
      throw error;
    }
    let completedUntil: number | null = null;
    if (completion !== null) {
      tokens.completion = completion;
      await this.#run.secrets.set(this.#names.completion, completion);
      completedUntil = jwtFacts(completion).expiresAt;
    }
    const current = this.#current(session);
    if (!current) return;
    const uploaded = bucket.whole && !current.uploaded.includes(bucket.index) ? [bucket.index] : [];
    this.#update({
      session: {
        ...current,
        uploaded: [...current.uploaded, ...uploaded],
        completedUntil: completedUntil ?? current.completedUntil,
      },
    });
  }

  /**
   * Deploys the assets-only Worker with the completion JWT, its version
   * tagged so that a PUT whose answer was lost is found, not sent twice.
   */
  async #commit(plan: DeployPlan, tokens: Tokens): Promise<CommittedVersion> {
    const completion = tokens.completion;
    if (!completion) {
      // Every bucket confirmed and no answer carried the completion JWT: a new session, with nothing to ask, has it.
      this.#update({ session: null });
      throw new ServiceError(
        'The assets upload ended without a completion token; PressDrop opens a new session, which finds every asset stored.',
        { code: 'upload_session_expired' },
      );
    }
    const tag = commitTag(this.#run.jobId, plan.manifestDigest);
    this.#update({ commit: { manifestDigest: plan.manifestDigest, tag } });
    const metadata = {
      assets: { jwt: completion, config: {} },
      compatibility_date: this.#worker.compatibilityDate,
      annotations: { 'workers/tag': tag, 'workers/message': `PressDrop: ${plan.files.length} files` },
    };
    let answer: { landed: Record<string, unknown> } | { recovered: CommittedVersion };
    try {
      answer = await this.#client.putScript(this.#worker.scriptName, metadata, () => this.#findCommitted(tag));
    } catch (error) {
      // The completion JWT was refused (expired): the next plan's session, finding every asset stored, brings another.
      if (error instanceof ServiceError && error.code === 'upload_session_expired') this.#update({ session: null });
      throw error;
    }
    if ('recovered' in answer) return answer.recovered;
    const versionId = typeof answer.landed.deployment_id === 'string' ? answer.landed.deployment_id : null;
    const version = versionId
      ? await this.#client.getVersion(this.#worker.scriptName, versionId)
      : await this.#liveVersion();
    if (!version)
      throw new ServiceError(`PUT Worker ${this.#worker.scriptName}: no version id came back.`, {
        code: 'bad_response',
      });
    return this.#committed(version);
  }

  /** The live version, if it carries `tag`: the commit of an earlier attempt, whose answer was lost. */
  async #findCommitted(tag: string): Promise<CommittedVersion | null> {
    const version = await this.#liveVersion();
    return version?.annotations?.['workers/tag'] === tag ? this.#committed(version) : null;
  }

  /** The version serving most of the latest deployment's traffic, or null before the first deployment. */
  async #liveVersion(): Promise<WorkerVersion | null> {
    const [latest] = await this.#client.deployments(this.#worker.scriptName);
    const top = latest ? [...latest.versions].sort((a, b) => b.percentage - a.percentage)[0] : undefined;
    return top ? this.#client.getVersion(this.#worker.scriptName, top.version_id) : null;
  }

  /**
   * The version in DeployVersion's shape: the Worker is the deploy, the
   * version's number its versionNo (where the API gives none, the count
   * of the Worker's deployments: each PUT makes one).
   */
  async #committed(version: WorkerVersion): Promise<CommittedVersion> {
    const scriptName = this.#worker.scriptName;
    const versionNo =
      typeof version.number === 'number' ? version.number : (await this.#client.deployments(scriptName)).length;
    const createdAt = Date.parse(version.metadata?.created_on ?? '');
    const deployVersion: DeployVersion = {
      id: version.id,
      displayId: version.id.slice(0, 8),
      deployId: scriptName,
      versionNo,
      route: null,
      title: null,
      status: 'ready',
      createdAt: Number.isNaN(createdAt) ? Date.now() : createdAt,
    };
    return { deployVersion, slug: null, url: await this.#workersDevUrl(versionNo) };
  }

  /**
   * `https://<script>.<subdomain>.workers.dev/` when the Worker answers there.
   * A Worker this deploy created (version 1) gets its workers.dev URL turned
   * on, as wrangler does for a Worker with no routes; an existing one keeps
   * the setting its owner chose. Best effort: the version is deployed anyway.
   */
  async #workersDevUrl(versionNo: number): Promise<string | null> {
    const subdomain = this.#worker.subdomain();
    if (subdomain === null) return null;
    const { scriptName } = this.#worker;
    try {
      let enabled = await this.#client.workersDevEnabled(scriptName);
      if (!enabled && versionNo === 1) {
        await this.#client.enableWorkersDev(scriptName);
        enabled = true;
      }
      return enabled ? `https://${scriptName}.${subdomain}.workers.dev/` : null;
    } catch {
      return null;
    }
  }

  #emitSession(session: JournaledSession, issuedAt: number | null, resumed: boolean): void {
    const expiresAt = session.completedUntil ?? session.expiresAt;
    this.#run.emit({ type: 'session', sessionId: session.id, createdAt: issuedAt ?? Date.now(), expiresAt, resumed });
  }

  async #secret(kind: 'upload' | 'completion'): Promise<string | null> {
    return this.#run.secrets.get(this.#names[kind]);
  }

  /** The journaled session if it is still `session` (not replaced or dropped meanwhile). */
  #current(session: JournaledSession): JournaledSession | null {
    const current = this.#state().session;
    return current?.id === session.id && current.manifestDigest === session.manifestDigest ? current : null;
  }

  #state(): CloudflareJobState {
    return this.#run.journal.read<CloudflareJobState>() ?? { session: null, commit: null };
  }

  #update(change: Partial<CloudflareJobState>): void {
    this.#run.journal.write<CloudflareJobState>({ ...this.#state(), ...change });
  }
}

/** The plan's files as Cloudflare's manifest: `/path` → hash and size. */
export function manifestOf(plan: DeployPlan): AssetManifest {
  const manifest: AssetManifest = {};
  for (const file of plan.files) manifest[`/${file.path}`] = { hash: file.hash, size: file.size };
  return manifest;
}
