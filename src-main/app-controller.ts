import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { DeployEngine } from '../src-core/deploy-engine.ts';
import type { DeployRun } from '../src-core/deploy-run.ts';
import type { SecretStore } from '../src-core/ports.ts';
import { ServiceError } from '../src-core/http/service-error.ts';
import { PressCloudClient } from '../src-core/targets/press-cloud/press-cloud-client.ts';
import {
  deployRefOf,
  journaledDeployId,
  pressCloudTarget,
} from '../src-core/targets/press-cloud/press-cloud-target.ts';
import { PressConfigError, readPressConfig } from '../src-core/press-config.ts';
import type {
  FolderCheck,
  FolderConfig,
  IpcEvents,
  IpcRequests,
  KeyStorage,
  PressConfigView,
  ResumableDeploy,
  RunStarted,
  Target,
} from '../src-shared/ipc-contract.ts';
import type { PauseReason } from '../src-shared/upload-model.ts';
import { plainHttpProblem } from '../src-shared/api-url.ts';
import { AppError } from './app-error.ts';
import { toIpcError } from './ipc-dispatch.ts';
import { RunEventBatcher } from './run-event-batcher.ts';
import { VersionActions } from './version-actions.ts';

/** Non-secret settings (electron-store in the app, a Map in tests). */
export interface SettingsStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

/** API keys of remote targets, named by target id, kept encrypted by the OS (safeStorage in the app). */
export interface KeyVault extends SecretStore {
  /** How well this system can keep them. */
  storage(): KeyStorage;
}

/** What the controller needs from its host; everything Electron-specific comes in here. */
export interface AppPorts {
  appVersion: string;
  engine: DeployEngine;
  localServer: { url: string; apiKey: string; dataDir: string };
  settings: SettingsStore;
  keys: KeyVault;
  openExternal(url: string): Promise<void>;
  chooseFolder(): Promise<string | null>;
  /** Opens a file (a PDF) with the system's default app; rejects with the OS's reason. */
  openPath(path: string): Promise<void>;
  /** Main's own save dialog for a PDF, starting at `suggestedName`: the chosen path, or null when cancelled. */
  choosePdfPath(suggestedName: string): Promise<string | null>;
  /** A private folder where main keeps the PDFs it opens with the system viewer (the host may empty it at launch). */
  pdfDir: string;
  emit<Name extends keyof IpcEvents>(name: Name, payload: IpcEvents[Name]): void;
  /** A deploy started, ended or changed pace: the host shows taskbar progress, notifications, keeps the system awake. */
  onRunActivity?(activity: { active: number; fraction: number | null; ended?: { ok: boolean; message: string } }): void;
}

type Handlers = {
  [Name in keyof IpcRequests]: (payload: IpcRequests[Name]['payload']) => Promise<IpcRequests[Name]['result']>;
};

const LOCAL_TARGET_ID = 'local';

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

  constructor(ports: AppPorts) {
    this.#ports = ports;
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
        targets: this.#targets(),
        selectedId: this.#selectedTargetId(),
        keyStorage: ports.keys.storage(),
      }),
      'targets.add': (payload) => this.#addTarget(payload),
      'targets.remove': async ({ targetId }) => {
        if (targetId === LOCAL_TARGET_ID)
          throw new AppError('invalid_request', 'The local Press Cloud is built in and cannot be removed.');
        ports.settings.set(
          'targets',
          this.#remoteTargets().filter((target) => target.id !== targetId),
        );
        await ports.keys.delete(targetId);
        this.#versions.forgetTarget(targetId);
        await this.#dropClient(targetId);
        if (this.#selectedTargetId() === targetId) ports.settings.set('selectedTargetId', LOCAL_TARGET_ID);
        return null;
      },
      'targets.select': async ({ targetId }) => {
        this.#target(targetId);
        ports.settings.set('selectedTargetId', targetId);
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
      'deploy.start': (payload) => this.#startDeploy(payload),
      'deploy.pause': async ({ runId }) => (this.#run(runId).pause(), null),
      'deploy.resume': async ({ runId }) => (this.#run(runId).resume(), null),
      'deploy.cancel': async ({ runId }) => (this.#run(runId).cancel(), null),
      'jobs.resumable': () => this.#resumable(),
      'jobs.resume': (payload) => this.#resumeJob(payload.jobId),
      'jobs.abandon': async ({ jobId }) => (ports.engine.abandon(jobId), null),
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

  #remoteTargets(): Target[] {
    return ((this.#ports.settings.get('targets') as Target[] | undefined) ?? []).map((target) => ({
      ...target,
      kind: 'remote' as const,
    }));
  }

  #targets(): Target[] {
    return [
      {
        id: LOCAL_TARGET_ID,
        name: 'This computer (local Press Cloud)',
        apiUrl: this.#ports.localServer.url,
        kind: 'local',
      },
      ...this.#remoteTargets(),
    ];
  }

  #target(targetId: string): Target {
    const target = this.#targets().find((candidate) => candidate.id === targetId);
    if (!target) throw new AppError('target_not_found');
    return target;
  }

  #selectedTargetId(): string {
    const selected = this.#ports.settings.get('selectedTargetId') as string | undefined;
    return selected && this.#targets().some((target) => target.id === selected) ? selected : LOCAL_TARGET_ID;
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
      client = new PressCloudClient({ apiUrl: this.#target(targetId).apiUrl, apiKey: await this.#apiKey(targetId) });
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
    const { protocol, hostname, origin } = new URL(apiUrl);
    const exposure = plainHttpProblem(protocol, hostname);
    if (exposure && !payload.allowInsecureHttp)
      throw new AppError('insecure_http', `${origin} ${exposure}; use https://, or allow plain HTTP on purpose.`);
    // Ask the server before keeping anything: a wrong URL or key is refused now, not at the first deploy.
    const probe = new PressCloudClient({ apiUrl, apiKey: payload.apiKey }, { retry: { maxAttempts: 2 } });
    try {
      await probe.limits();
    } catch (error) {
      throw error instanceof ServiceError && error.code === 'unauthorized'
        ? new AppError('unauthorized', 'That Press Cloud refused the API key: check it and try again.')
        : error;
    } finally {
      await probe.close();
    }
    const target: Target = {
      id: `target-${randomUUID()}`,
      name: payload.name.trim() || new URL(apiUrl).host,
      apiUrl,
      kind: 'remote',
    };
    await this.#ports.keys.set(target.id, payload.apiKey);
    this.#ports.settings.set('targets', [...this.#remoteTargets(), target]);
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
    // Read before anything is sent: a press.json that cannot be used refuses the deploy in words.
    const config = await pressConfig(checked.path);
    const run = this.#ports.engine.deploy({
      folder: checked.path,
      target: pressCloudTarget(
        { apiUrl: target.apiUrl, apiKey: await this.#apiKey(target.id) },
        payload.deploy,
        config?.render ? { render: config.render } : {},
      ),
    });
    return this.#track(run, checked.path, target.id, config);
  }

  async #resumeJob(jobId: string): Promise<RunStarted> {
    const found = this.#ports.engine.resumableJobs().find(({ job }) => job.id === jobId);
    if (!found) throw new AppError('job_not_found');
    const target = this.#targets().find((candidate) => candidate.apiUrl === found.job.apiUrl);
    if (!target)
      throw new AppError(
        'target_not_found',
        `That deploy went to ${found.job.apiUrl}, which is no longer in your targets; add it again to resume.`,
      );
    // The folder's press.json as it is now: the journal keeps no render config, and the commit is still to come.
    const config = await pressConfig(found.job.folder);
    const run = this.#ports.engine.resume(
      jobId,
      pressCloudTarget(
        { apiUrl: found.job.apiUrl, apiKey: await this.#apiKey(target.id) },
        deployRefOf(found.job.destination),
        config?.render ? { render: config.render } : {},
      ),
    );
    return this.#track(run, found.job.folder, target.id, config);
  }

  #track(run: DeployRun, folder: string, targetId: string, config: PressConfigView | null): RunStarted {
    const runId = `run-${randomUUID()}`;
    const batcher = new RunEventBatcher((events) => this.#ports.emit('run.events', { runId, events }));
    run.on((event) => {
      batcher.push(event);
      if (event.type === 'job') this.#ports.settings.set('lastFolder', folder);
      if (event.type === 'progress') this.#reportActivity();
    });
    this.#runs.set(runId, { run, batcher, targetId });
    for (const reason of this.#systemHolds) if (holds(reason, targetId)) run.pause(reason);
    this.#reportActivity();
    void run.result.then(
      async (result) => {
        const version = result.deployVersion;
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
        const targetId = this.#targets().find((target) => target.apiUrl === job.apiUrl)?.id ?? null;
        const deploy = deployRefOf(job.destination);
        return {
          jobId: job.id,
          folder: job.folder,
          targetId,
          apiUrl: job.apiUrl,
          deploy:
            'createDeploy' in deploy
              ? { id: journaledDeployId(job), ...deploy.createDeploy }
              : await this.#deployNamed(targetId, deploy.deployId),
          status: job.status === 'failed' ? 'failed' : 'interrupted',
          error: job.error,
          storedBytes: progress.storedBytes,
          totalBytes: progress.bytes,
          updatedAt: job.updatedAt,
        };
      }),
    );
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

/** A folder's press.json, or an AppError whose message says what to fix. */
async function pressConfig(folder: string): Promise<PressConfigView | null> {
  try {
    return await readPressConfig(folder);
  } catch (error) {
    if (error instanceof PressConfigError) throw new AppError('press_config_invalid', error.message);
    throw error;
  }
}

/** The press.json a deploy of `folder` would use, or why it cannot, as the chooser shows it. */
async function folderConfig(folder: string): Promise<FolderConfig> {
  try {
    return { ok: true, config: await pressConfig(folder) };
  } catch (error) {
    return { ok: false, error: toIpcError(error) };
  }
}

/** Whether `path` is a folder PressDrop can deploy, in words when it is not. */
export async function checkFolder(path: string): Promise<FolderCheck> {
  if (!path) return { ok: false, message: 'That item has no place on disk; drop a folder from your file manager.' };
  try {
    const info = await stat(path);
    if (!info.isDirectory())
      return { ok: false, message: `${basename(path)} is a file. Drop the folder that holds your site instead.` };
    return { ok: true, path };
  } catch {
    return { ok: false, message: `${path} cannot be opened; check that it still exists and that you may read it.` };
  }
}
