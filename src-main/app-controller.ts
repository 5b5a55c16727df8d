import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { JobRecord } from '../src-core/deploy-journal.ts';
import type { DeployRun } from '../src-core/deploy-run.ts';
import type { DeployTarget } from '../src-core/ports.ts';
import { PressCloudClient } from '../src-core/targets/press-cloud/press-cloud-client.ts';
import { deployRefOf, journaledDeployId } from '../src-core/targets/press-cloud/press-cloud-target.ts';
import type { IpcRequests, LastCommitted, ResumableDeploy, RunStarted, Target } from '../src-shared/ipc-contract.ts';
import type { DeployEvent, PauseReason } from '../src-shared/upload-model.ts';
import { plainHttpProblem } from '../src-shared/api-url.ts';
import { AppError } from './app-error.ts';
import { toIpcError } from './ipc-dispatch.ts';
import { RunEventBatcher } from './run-event-batcher.ts';
import {
  checkTargetKey,
  deployTargetFor,
  folderDestination,
  resumeTargetFor,
  type PlannedDeploy,
} from './service-targets.ts';
import { LOCAL_TARGET_ID, TargetRegistry } from './target-registry.ts';
import { VersionActions } from './version-actions.ts';
import type { AppPorts } from './app-ports.ts';
import { checkFolder, folderConfig } from './folder-checks.ts';

export type { SettingsStore } from './target-registry.ts';

export type { AppPorts, KeyVault } from './app-ports.ts';

type Handlers = {
  [Name in keyof IpcRequests]: (payload: IpcRequests[Name]['payload']) => Promise<IpcRequests[Name]['result']>;
};

/** How long the resume offer waits for a deploy's name before showing its id: it must not hold up the window. */
const DEPLOY_NAME_WAIT_MS = 1_500;

/** The holds the host puts on uploads; 'user' is the renderer's Pause button. */
export type SystemPauseReason = Exclude<PauseReason, 'user'>;

/** Sleep holds every run; going offline does not stop a deploy to the embedded server, which is on this machine. */
function holds(reason: SystemPauseReason, targetId: string): boolean {
  return reason === 'sleep' || targetId !== LOCAL_TARGET_ID;
}

/**
 * Everything the window can ask of main, with no Electron in sight: the app
 * registers these as IPC handlers, and the e2e harness calls the very same
 * functions through Playwright bindings.
 */
export class AppController {
  readonly handlers: Handlers;
  readonly #ports: AppPorts;
  readonly #runs = new Map<string, { run: DeployRun; batcher: RunEventBatcher; targetId: string }>();
  readonly #clients = new Map<string, PressCloudClient>();
  /** What the system holds runs for now (asleep, offline); a new run starts held too. */
  readonly #systemHolds = new Set<SystemPauseReason>();
  /**
   * Folders main handed out: chosen in its dialog, dropped (the preload read the path from the File), or
   * offered for resume. Only these are checked or deployed: a page that names another path gets a refusal.
   */
  readonly #grantedFolders = new Set<string>();
  readonly #versions: VersionActions;
  readonly #targets: TargetRegistry;

  constructor(ports: AppPorts) {
    this.#ports = ports;
    this.#targets = new TargetRegistry(ports.settings, ports.localServer.url);
    this.#versions = new VersionActions({
      client: (targetId) => this.#client(targetId),
      openPath: (path) => ports.openPath(path),
      choosePdfPath: (name) => ports.choosePdfPath(name),
      pdfDir: ports.pdfDir,
      emitRenderProgress: (progress) => ports.emit('render.progress', progress),
    });
    this.handlers = {
      ...this.#versions.handlers,
      'app.info': async () => ({
        appVersion: ports.appVersion,
        localServerUrl: ports.localServer.url,
        localDataDir: ports.localServer.dataDir,
      }),
      'targets.list': async () => ({
        targets: this.#targets.list(),
        selectedId: this.#targets.selectedId(),
        keyStorage: ports.keys.storage(),
      }),
      'targets.add': (payload) => this.#addTarget(payload),
      'targets.remove': async ({ targetId }) => {
        this.#targets.remove(targetId);
        await ports.keys.delete(targetId);
        this.#versions.forgetTarget(targetId);
        await this.#dropClient(targetId);
        return null;
      },
      'targets.select': async ({ targetId }) => (this.#targets.select(targetId), null),
      'targets.openCommitted': async ({ targetId }) => {
        const url = this.#targets.get(targetId).lastCommitted?.url;
        if (!url) throw new AppError('target_unsupported', 'PressDrop knows no address where that version is shown.');
        // Reviewed: the URL is the service's own answer to this app's commit, kept by main; openExternal admits http(s) only.
        await ports.openExternal(url); /* eng-disable OPEN_EXTERNAL_JS_CHECK */
        return null;
      },
      'deploys.list': async ({ targetId, cursor }) => (await this.#client(targetId)).listDeploys(cursor ?? undefined),
      'versions.list': async ({ targetId, deployId, cursor }) => {
        // Opening a deploy's history makes it the one used last; later pages are the same deploy (electron-store writes its file on every set).
        if (cursor === null) ports.settings.set('lastDeploy', { targetId, deployId });
        return (await this.#client(targetId)).listVersions(deployId, cursor ?? undefined);
      },
      'versions.get': async ({ targetId, versionId }) => (await this.#client(targetId)).getVersion(versionId),
      'versions.files': async ({ targetId, versionId, cursor }) =>
        (await this.#client(targetId)).listVersionFiles(versionId, cursor ?? undefined),
      'versions.openPreview': async ({ targetId, deploySlug, versionNo }) => {
        const target = this.#target(targetId);
        if (target.kind !== 'press-cloud') throw new AppError('target_unsupported');
        // Reviewed: the URL is built here from a known target and a checked slug, and the host's openExternal admits http(s) only.
        const preview = `${target.apiUrl}/preview/${encodeURIComponent(deploySlug)}/${versionNo}/`;
        await ports.openExternal(preview); /* eng-disable OPEN_EXTERNAL_JS_CHECK */
        return null;
      },
      'folder.choose': async () => this.#grant(await ports.chooseFolder()),
      'folder.check': async ({ path }) => checkFolder(this.#granted(path)),
      'folder.dropped': async ({ path }) => {
        if (!path) throw new AppError('drop_nothing');
        return checkFolder(this.#grant(path));
      },
      'folder.config': async ({ path }) => folderConfig(this.#granted(path)),
      'folder.destination': async ({ path, targetId }) =>
        folderDestination(this.#target(targetId), this.#granted(path)),
      'deploy.start': (payload) => this.#startDeploy(payload),
      'deploy.pause': async ({ runId }) => (this.#run(runId).pause(), null),
      'deploy.resume': async ({ runId }) => (this.#run(runId).resume(), null),
      'deploy.cancel': async ({ runId }) => (this.#run(runId).cancel(), null),
      'jobs.resumable': () => this.#resumable(),
      'jobs.resume': (payload) => this.#resumeJob(payload.jobId),
      'jobs.abandon': async ({ jobId }) => {
        ports.engine.abandon(jobId);
        this.#targets.forgetJob(jobId);
        return null;
      },
      'settings.lastDeploy': async () =>
        (ports.settings.get('lastDeploy') as { targetId: string; deployId: string } | undefined) ?? null,
    };
  }

  /** Holds every run, and each run started while the hold lasts: the system is going to sleep, or went offline. */
  holdAll(reason: SystemPauseReason): void {
    this.#systemHolds.add(reason);
    for (const { run, targetId } of this.#runs.values()) if (holds(reason, targetId)) run.pause(reason);
  }

  /** Lifts the system's hold; a run the user paused stays paused. */
  releaseAll(reason: SystemPauseReason): void {
    this.#systemHolds.delete(reason);
    for (const { run } of this.#runs.values()) run.resume(reason);
  }

  /** Cancels every run (each stays resumable) and closes the clients. */
  async close(): Promise<void> {
    const running = [...this.#runs.values()];
    for (const { run } of running) run.cancel();
    await Promise.allSettled(running.map(({ run }) => run.result));
    this.#versions.close();
    await Promise.all([...this.#clients.keys()].map((id) => this.#dropClient(id)));
  }

  #target(targetId: string): Target {
    return this.#targets.get(targetId);
  }

  async #apiKey(targetId: string): Promise<string> {
    if (targetId === LOCAL_TARGET_ID) return this.#ports.localServer.apiKey;
    const key = await this.#ports.keys.get(targetId);
    if (!key) throw new AppError('missing_api_key');
    return key;
  }

  async #client(targetId: string): Promise<PressCloudClient> {
    let client = this.#clients.get(targetId);
    if (!client) {
      const target = this.#target(targetId);
      // History, aliases and PDFs speak Press Cloud; the window asks a target's capabilities before offering them.
      if (target.kind !== 'press-cloud') throw new AppError('target_unsupported');
      client = new PressCloudClient({ apiUrl: target.apiUrl, apiKey: await this.#apiKey(targetId) });
      this.#clients.set(targetId, client);
    }
    return client;
  }

  async #dropClient(targetId: string): Promise<void> {
    const client = this.#clients.get(targetId);
    this.#clients.delete(targetId);
    await client?.close();
  }

  async #addTarget(payload: IpcRequests['targets.add']['payload']): Promise<Target> {
    const storage = this.#ports.keys.storage();
    if (storage === 'unavailable') throw new AppError('key_storage_unavailable');
    if (storage === 'basic_text' && !payload.allowBasicText) {
      throw new AppError('key_storage_insecure');
    }
    const apiUrl = payload.apiUrl.replace(/\/+$/, '');
    const { protocol, hostname, origin, host } = new URL(apiUrl);
    const exposure = plainHttpProblem(protocol, hostname);
    if (exposure && !payload.allowInsecureHttp)
      throw new AppError('insecure_http', `${origin} ${exposure}; use https://, or allow plain HTTP on purpose.`);
    // Ask the service before keeping anything: a wrong URL or key is refused now, not at the first deploy.
    await checkTargetKey(payload, apiUrl);
    const target = this.#targets.add({
      name: payload.name.trim() || host,
      apiUrl,
      kind: payload.kind,
      accountId: payload.kind === 'cloudflare' ? payload.accountId : null,
    });
    await this.#ports.keys.set(target.id, payload.apiKey);
    return target;
  }

  /** Remembers a folder main handed out, and passes it on. */
  #grant<Path extends string | null>(path: Path): Path {
    if (path) this.#grantedFolders.add(path);
    return path;
  }

  /** `path` when main handed it out; else a refusal, whatever the page claims. */
  #granted(path: string): string {
    if (!this.#grantedFolders.has(path)) {
      throw new AppError('folder_not_granted');
    }
    return path;
  }

  async #startDeploy(payload: IpcRequests['deploy.start']['payload']): Promise<RunStarted> {
    const checked = await checkFolder(this.#granted(payload.folder));
    if (!checked.ok) throw new AppError('invalid_folder', checked.message);
    const target = this.#target(payload.targetId);
    const planned = await deployTargetFor(target, await this.#apiKey(target.id), checked.path, payload.deploy);
    const run = this.#ports.engine.deploy({ folder: checked.path, target: planned.target });
    return this.#track(run, checked.path, target, planned);
  }

  async #resumeJob(jobId: string): Promise<RunStarted> {
    const found = this.#ports.engine.resumableJobs().find(({ job }) => job.id === jobId);
    if (!found) throw new AppError('job_not_found');
    const target = this.#targets.targetOfJob(found.job);
    if (!target)
      throw new AppError(
        'target_not_found',
        `That deploy went to ${found.job.apiUrl}, which is no longer in your targets; add it again to resume.`,
      );
    const planned = await resumeTargetFor(found.job, await this.#apiKey(target.id));
    const run = this.#ports.engine.resume(jobId, planned.target);
    return this.#track(run, found.job.folder, target, planned);
  }

  #track(run: DeployRun, folder: string, target: Target, planned: PlannedDeploy): RunStarted {
    const runId = `run-${randomUUID()}`;
    const targetId = target.id;
    const config = planned.pressConfig;
    const batcher = new RunEventBatcher((events) => this.#ports.emit('run.events', { runId, events }));
    run.on((event) => {
      // Recorded before the event is passed on, so the window that sees it can open what it names.
      if (event.type === 'committed' && !target.capabilities.versions)
        this.#targets.recordCommitted(targetId, committedRecord(planned.target, event));
      batcher.push(event);
      if (event.type === 'job') {
        this.#ports.settings.set('lastFolder', folder);
        this.#targets.rememberJob(event.jobId, targetId);
      }
      if (event.type === 'progress') this.#reportActivity();
    });
    this.#runs.set(runId, { run, batcher, targetId });
    for (const reason of this.#systemHolds) if (holds(reason, targetId)) run.pause(reason);
    this.#reportActivity();
    void run.result.then(
      async (result) => {
        const version = result.deployVersion;
        this.#targets.forgetJob(result.jobId);
        if (target.capabilities.versions)
          this.#ports.settings.set('lastDeploy', { targetId, deployId: version.deployId });
        const aliases = config?.aliases ?? [];
        let also = '';
        // The version is committed whatever happens here; an alias that could not be pointed is said, and can be pointed by hand.
        if (aliases.length > 0) {
          const { pointed, error } = await this.#versions.pointAliases(targetId, version.deployId, version.id, aliases);
          this.#ports.emit('run.aliases', {
            runId,
            versionId: version.id,
            pointed,
            error: error === null ? null : toIpcError(error),
          });
          also =
            error === null
              ? ` ${aliases.join(', ')} ${aliases.length === 1 ? 'points' : 'point'} to it.`
              : ` Its aliases could not all be pointed to it.`;
        }
        this.#finish(runId, {
          ok: true,
          message: `${basename(folder)} is live as version ${version.displayId}.${also}`,
        });
      },
      (error: unknown) =>
        this.#finish(runId, { ok: false, message: error instanceof Error ? error.message : String(error) }),
    );
    return { runId, folder, targetId, pressConfig: config };
  }

  #finish(runId: string, ended: { ok: boolean; message: string }): void {
    const entry = this.#runs.get(runId);
    entry?.batcher.close();
    this.#runs.delete(runId);
    this.#reportActivity(ended);
  }

  #reportActivity(ended?: { ok: boolean; message: string }): void {
    let sent = 0;
    let total = 0;
    for (const { run } of this.#runs.values()) {
      const totals = run.totals();
      sent += totals.sentBytes;
      total += totals.uploadBytes;
    }
    this.#ports.onRunActivity?.({
      active: this.#runs.size,
      fraction: total > 0 ? sent / total : null,
      ...(ended && { ended }),
    });
  }

  #run(runId: string): DeployRun {
    const entry = this.#runs.get(runId);
    if (!entry) throw new AppError('run_not_found');
    return entry.run;
  }

  async #resumable(): Promise<ResumableDeploy[]> {
    return Promise.all(
      this.#ports.engine.resumableJobs().map(async ({ job, progress }) => {
        // Offered, so the window may start it again ("Deploy again" after the resumed run).
        this.#grant(job.folder);
        const targetId = this.#targets.targetOfJob(job)?.id ?? null;
        return {
          jobId: job.id,
          folder: job.folder,
          targetId,
          targetKind: job.targetKind,
          apiUrl: job.apiUrl,
          deploy: await this.#destinationNamed(job, targetId),
          status: job.status === 'failed' ? 'failed' : 'interrupted',
          error: job.error,
          storedBytes: progress.storedBytes,
          totalBytes: progress.bytes,
          updatedAt: job.updatedAt,
        };
      }),
    );
  }

  /** Where a journaled job goes, as the resume offer names it. */
  async #destinationNamed(job: JobRecord, targetId: string | null): Promise<ResumableDeploy['deploy']> {
    if (job.targetKind !== 'press-cloud')
      return { id: job.destination.id, slug: job.destination.slug, name: job.destination.name };
    const deploy = deployRefOf(job.destination);
    return 'createDeploy' in deploy
      ? { id: journaledDeployId(job), ...deploy.createDeploy }
      : await this.#deployNamed(targetId, deploy.deployId);
  }

  /** An existing deploy's slug and name as its server tells them; its id alone when the server is away or slow. */
  async #deployNamed(targetId: string | null, deployId: string): Promise<ResumableDeploy['deploy']> {
    const unnamed = { id: deployId, slug: null, name: deployId };
    if (!targetId) return unnamed;
    const asked = this.#client(targetId).then((client) => client.getDeploy(deployId));
    asked.catch(() => undefined);
    const deploy = await Promise.race([asked, delay(DEPLOY_NAME_WAIT_MS, null, { ref: false })]).catch(() => null);
    return deploy ? { id: deploy.id, slug: deploy.slug, name: deploy.name } : unnamed;
  }
}

/** What History shows of a version committed to a target that cannot list versions. */
function committedRecord(target: DeployTarget, event: Extract<DeployEvent, { type: 'committed' }>): LastCommitted {
  const version = event.deployVersion;
  return {
    deployId: version.deployId,
    name: version.title ?? target.destination.name,
    versionNo: version.versionNo,
    displayId: version.displayId,
    url: event.previewUrl,
    committedAt: version.createdAt,
  };
}
