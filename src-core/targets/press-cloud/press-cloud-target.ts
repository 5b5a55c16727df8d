import type { DeployVersion, RenderConfig, VersionEntry } from '../../../src-shared/api-types.ts';
import type { DeployFailure } from '../../../src-shared/upload-model.ts';
import type {
  CommittedVersion,
  DeployPlan,
  DeployTarget,
  PlannedBlob,
  PlannedFile,
  SecretStore,
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
import { verifiedFileBody } from '../../verified-file-body.ts';
import { PressCloudClient, type PressCloudTarget } from './press-cloud-client.ts';
import {
  JobRequests,
  toDescriptors,
  uploadTokenName,
  type DeployRef,
  type OpenSession,
  type PressCloudJobState,
} from './press-cloud-requests.ts';

/** What a Press Cloud version is committed with besides its files. */
export interface PressCloudDeployOptions {
  render?: RenderConfig;
}

/** A Press Cloud, a deploy on it (existing, or one the job creates) and what the version is committed with. */
export function pressCloudTarget(
  account: PressCloudTarget,
  deploy: DeployRef,
  options: PressCloudDeployOptions = {},
): DeployTarget {
  const apiUrl = account.apiUrl.replace(/\/+$/, '');
  const destination: TargetDestination =
    'deployId' in deploy
      ? {
          key: `deploy:${deploy.deployId}`,
          name: deploy.deployId,
          id: deploy.deployId,
          slug: null,
          details: { deploy },
        }
      : {
          key: `create:${deploy.createDeploy.slug}`,
          name: deploy.createDeploy.name,
          id: null,
          slug: deploy.createDeploy.slug,
          details: { deploy },
        };
  return {
    kind: 'press-cloud',
    hashKind: 'sha256',
    endpoint: apiUrl,
    destination,
    capabilities: { versions: true, aliases: true, render: true },
    // Content-addressed storage, one per server, whatever the deploy.
    storedBlobsScope: apiUrl,
    connect: (connection) => new PressCloudConnection({ ...account, apiUrl }, deploy, options, connection),
    settleRefusal: (journal, failure) => settleRefusal(journal, deploy, failure),
  };
}

/** The deploy a journaled Press Cloud job goes to. */
export function deployRefOf(destination: TargetDestination): DeployRef {
  return destination.details.deploy as DeployRef;
}

/** The id of the deploy a journaled Press Cloud job goes to: named by the user, or created by the job; null before that. */
export function journaledDeployId(job: { destination: TargetDestination; targetState: unknown }): string | null {
  return (job.targetState as PressCloudJobState | null)?.deployId ?? job.destination.id;
}

/** Press Cloud's limits in the pipeline's terms. */
function targetLimits(limits: Awaited<ReturnType<PressCloudClient['limits']>>): TargetLimits {
  return {
    maxFileBytes: limits.maxBlobBytes,
    maxFiles: limits.maxFilesPerVersion,
    maxTotalBytes: limits.maxSessionBytes,
    maxMissingPerCall: limits.maxMissingBlobsPerCall,
  };
}

class PressCloudConnection implements TargetConnection {
  readonly #account: PressCloudTarget;
  readonly #deploy: DeployRef;
  readonly #options: PressCloudDeployOptions;
  readonly #client: PressCloudClient;

  constructor(
    account: PressCloudTarget,
    deploy: DeployRef,
    options: PressCloudDeployOptions,
    connection: TargetConnectionOptions,
  ) {
    this.#account = account;
    this.#deploy = deploy;
    this.#options = options;
    this.#client = new PressCloudClient(account, connection);
  }

  async limits(): Promise<TargetLimits> {
    return targetLimits(await this.#client.limits());
  }

  planProblem(plan: DeployPlan): DeployFailure | null {
    return renderRouteProblem(plan, this.#options.render?.route);
  }

  async open(plan: DeployPlan, run: TargetRunContext): Promise<TargetSession | CommittedVersion> {
    const requests = new JobRequests(run, this.#client, this.#deploy);
    const deployId = await requests.deployId();
    const session = await requests.session(plan, deployId);
    if ('deployVersion' in session) return this.#committed(session.deployVersion);
    return {
      missing: async (blobs) =>
        new Set(
          await this.#client.missingBlobs(session.id, session.token, toDescriptors(blobs.map((blob) => blob.source))),
        ),
      units: (missing) => missing.map((blob) => ({ blobs: [blob], size: blob.size })),
      upload: (unit, progress) => this.#upload(session, unit, progress),
      commit: async (committing) =>
        this.#committed(
          await requests.commit(session, {
            entries: toEntries(committing.files),
            ...(this.#options.render && { render: this.#options.render }),
          }),
        ),
    };
  }

  async #upload(session: OpenSession, unit: UploadUnit, progress: UploadProgress): Promise<void> {
    const blob: PlannedBlob = unit.blobs[0]!;
    await this.#client.putBlob(
      session.id,
      session.token,
      { sha256: blob.hash, size: blob.size },
      () => verifiedFileBody(blob.source),
      { signal: progress.signal, onBytesSent: progress.onBytesSent, onRetry: progress.onRetry },
    );
  }

  /** The version, with its deploy's slug (the job's own, else the server's) and its preview URL. */
  async #committed(deployVersion: DeployVersion): Promise<CommittedVersion> {
    const slug =
      'createDeploy' in this.#deploy
        ? this.#deploy.createDeploy.slug
        : ((await this.#client.getDeploy(deployVersion.deployId).catch(() => null))?.slug ?? null);
    const url = slug ? `${this.#account.apiUrl}/preview/${encodeURIComponent(slug)}/${deployVersion.versionNo}/` : null;
    return { deployVersion, slug, url };
  }

  async forget(jobId: string, secrets: SecretStore): Promise<void> {
    await secrets.delete(uploadTokenName(jobId));
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}

/**
 * A refused job left something to continue if it created its deploy, or
 * got (or asked for) a session; never when the slug is someone else's. A
 * deploy it created and never filled is named, with what will fill it.
 */
function settleRefusal(
  journal: TargetJournal,
  deploy: DeployRef,
  failure: { code: string },
): { leftSomething: boolean; note?: string } {
  if (failure.code === 'deploy_slug_conflict') return { leftSomething: false };
  const state = journal.read<PressCloudJobState>();
  const created = 'createDeploy' in deploy && !!state?.deployId;
  const leftSomething = created || !!state?.session || !!state?.sessionRequest.digest;
  if (!created || !('createDeploy' in deploy)) return { leftSomething };
  const { slug } = deploy.createDeploy;
  return {
    leftSomething,
    note: `Deploy "${slug}" (${state?.deployId}) was created on the server and has no version yet: the next deploy of this folder (or any deploy to "${slug}") goes into it.`,
  };
}

/** The files as the commit maps them; keys in code-unit order, as toDescriptors says why. */
function toEntries(files: readonly PlannedFile[]): VersionEntry[] {
  return files.map((file) => ({ blobHash: file.hash, mime: file.mime, path: file.path, size: file.size }));
}

/** Why the version's render route would be refused at commit (it names no file of the folder), before anything is uploaded; null when fine. */
export function renderRouteProblem(plan: DeployPlan, route: string | undefined): DeployFailure | null {
  if (route === undefined) return null;
  const path = route.startsWith('/') ? route.slice(1) : route;
  if (plan.files.some((file) => file.path === path)) return null;
  return {
    code: 'render_route_not_found',
    message: `The render route ${JSON.stringify(route)} names no file of the folder; point it (--route, or render.route in press.json) at the page to print, e.g. /index.html.`,
  };
}
