/**
 * The renderer-facing API of the desktop app, typed once. Main registers a
 * handler per request name, the preload builds `window.pressdrop` from the
 * channel maps, and the renderer calls it; all three read this file, and
 * nothing here imports either side.
 */
import type {
  Deploy,
  DeployVersionDetail,
  DeployVersionSummary,
  Page,
  Pdf,
  RenderConfig,
  RenderJob,
  VersionDiff,
  VersionEntry,
} from './api-types.ts';
import type { ErrorCode, UnlistedErrorCode } from './app-errors.ts';
import type { DeployEvent, DeployTotals, FileUpdate } from './upload-model.ts';

/** What the window shows about the running app and its embedded server. */
export interface AppInfo {
  appVersion: string;
  /** The embedded local Press Cloud, e.g. `http://127.0.0.1:51234`. */
  localServerUrl: string;
  /** Where the embedded server keeps its data. */
  localDataDir: string;
}

/** The services PressDrop deploys to (the engine's `TargetKind`, spelled here for the window). */
export type TargetKind = 'press-cloud' | 'slideless' | 'cloudflare';

/** What a target's service offers besides deploying, as its adapter says: History (versions), aliases, PDFs. */
export interface TargetCapabilities {
  versions: boolean;
  aliases: boolean;
  render: boolean;
}

/** The version PressDrop committed last to a target whose versions the window cannot list: what History shows instead. */
export interface LastCommitted {
  /** The presentation's or the Worker's id on the service. */
  deployId: string;
  /** A presentation's title (its id when none is known), a Worker's name. */
  name: string;
  versionNo: number;
  displayId: string;
  /** Where it can be seen (main opens it: `targets.openCommitted`), when the service said. */
  url: string | null;
  committedAt: number;
}

/** A service and place the app deploys to. The key stays in main; the renderer only learns whether there is one. */
export interface Target {
  id: string;
  name: string;
  apiUrl: string;
  kind: TargetKind;
  /** The embedded local Press Cloud: always there, never removed. */
  builtIn: boolean;
  capabilities: TargetCapabilities;
  /** Cloudflare's account id (not a secret); null for the other kinds. */
  accountId: string | null;
  /** Null where History lists versions (capabilities.versions), or nothing was committed yet. */
  lastCommitted: LastCommitted | null;
}

/** A Slideless key: `cko_…` (organisation) or `cka_…` (admin). */
export const SLIDELESS_KEY_PATTERN = /^ck[oa]_[A-Za-z0-9_-]{1,256}$/;
/** A Cloudflare API token: printable, no spaces (it travels in an Authorization header). */
export const CLOUDFLARE_TOKEN_PATTERN = /^[\x21-\x7e]{8,400}$/;
/** A Cloudflare account id: 32 hexadecimal characters, as the dashboard shows it. */
export const CLOUDFLARE_ACCOUNT_PATTERN = /^[0-9a-f]{32}$/;
/** A Worker name as the Workers API takes it. */
export const WORKER_NAME_PATTERN = /^[a-z0-9_][a-z0-9_-]{0,62}$/;

/**
 * "Add a target": the fields of one kind. `allowBasicText`: the user agreed to an obfuscated key store;
 * `allowInsecureHttp`: to plain http:// off this machine. `apiKey` is a Press Cloud key (`pcak_…`), a Slideless
 * key (`cko_…`/`cka_…`) or a Cloudflare API token; main checks it with one request before keeping it.
 */
export type AddTargetPayload = {
  name: string;
  apiUrl: string;
  apiKey: string;
  allowBasicText: boolean;
  allowInsecureHttp: boolean;
} & ({ kind: 'press-cloud' } | { kind: 'slideless' } | { kind: 'cloudflare'; accountId: string });

/** How the OS keeps secrets: `basic_text` means no real keychain, and the user must agree before a key is stored. */
export type KeyStorage = 'keychain' | 'basic_text' | 'unavailable';

/**
 * Where a deploy goes. Press Cloud: an existing deploy, or a new one created with its first version.
 * Slideless: the presentation the folder's slideless.json names, else a new one titled `title` (null: the
 * folder's name for a new one; an update keeps its title). Cloudflare: the Worker whose assets the folder becomes.
 */
export type DeployChoice =
  | { deployId: string }
  | { createDeploy: { slug: string; name: string } }
  | { presentation: { title: string | null } }
  | { worker: { scriptName: string } };

/** What a folder says about where it goes on a target's service, as main reads it. */
export type FolderDestination =
  | { kind: 'press-cloud' }
  /** The presentation its slideless.json names (an update), or null (a new presentation); or why that file cannot be read. */
  | { kind: 'slideless'; presentationId: string | null; problem: string | null }
  /** The Worker its wrangler.json names (null: none), or why that file cannot be read. */
  | { kind: 'cloudflare'; scriptName: string | null; problem: string | null };

/** An interrupted deploy offered for resume, with how far it got. */
export interface ResumableDeploy {
  jobId: string;
  folder: string;
  targetId: string | null;
  targetKind: TargetKind;
  apiUrl: string;
  /**
   * Where it goes (a deploy, a presentation, a Worker): a deploy or presentation it creates has no id until the
   * service made it; a name the server could not tell is its id.
   */
  deploy: { id: string | null; slug: string | null; name: string };
  status: 'interrupted' | 'failed';
  error: string | null;
  storedBytes: number;
  totalBytes: number;
  updatedAt: number;
}

/** What a folder's `press.json` says: how its versions render, and which aliases each new version gets. */
export interface PressConfigView {
  render: RenderConfig | null;
  aliases: string[];
}

/** The `press.json` a deploy of a folder will use: its settings, none (null), or why it cannot be used, in words. */
export type FolderConfig = { ok: true; config: PressConfigView | null } | { ok: false; error: IpcError };

/** One deploy in progress, as the session view starts drawing it. */
export interface RunStarted {
  runId: string;
  folder: string;
  targetId: string;
  /** The folder's `press.json` as the run uses it: its render settings go with the commit, its aliases are pointed after it. */
  pressConfig: PressConfigView | null;
}

/** After a run committed, the aliases its `press.json` names were pointed at the new version, or not (why, in words). */
export interface RunAliases {
  runId: string;
  versionId: string;
  /** The aliases that point at the new version now. */
  pointed: string[];
  error: IpcError | null;
}

/** An alias as the window shows it: with the number of the version it points at. */
export interface AliasView {
  name: string;
  deployVersionId: string;
  /** Null when the version could not be read (removed meanwhile). */
  versionNo: number | null;
  updatedAt: number;
}

/** A render job as the window shows it: the job, and its PDF's facts once it succeeded. */
export interface RenderJobView extends RenderJob {
  pdf: Pdf | null;
}

/** A render job moved on (main follows the jobs the window started or listed, twice a second, until each ends). */
export interface RenderProgress {
  targetId: string;
  job: RenderJobView;
}

/** Where "Save PDF…" wrote the PDF: the path the user chose in main's save dialog, and its size. */
export interface SavedPdf {
  path: string;
  bytes: number;
}

/** The events of runs, batched by main (10–20 a second), never one message per chunk. */
export interface RunEvents {
  runId: string;
  events: DeployEvent[];
}

/** Whether a folder can be deployed: its path, or why not in words. */
export type FolderCheck = { ok: true; path: string } | { ok: false; message: string };

/** Request name → its payload and its result. */
export interface IpcRequests {
  'app.info': { payload: null; result: AppInfo };
  'targets.list': { payload: null; result: { targets: Target[]; selectedId: string; keyStorage: KeyStorage } };
  /** Checks the key with one request to the service, then keeps it in main's key storage. */
  'targets.add': { payload: AddTargetPayload; result: Target };
  'targets.remove': { payload: { targetId: string }; result: null };
  'targets.select': { payload: { targetId: string }; result: null };
  /** Opens, in the browser, where the target's last committed version can be seen (main's own record of its URL). */
  'targets.openCommitted': { payload: { targetId: string }; result: null };
  'deploys.list': { payload: { targetId: string; cursor: string | null }; result: Page<Deploy> };
  'versions.list': {
    payload: { targetId: string; deployId: string; cursor: string | null };
    result: Page<DeployVersionSummary>;
  };
  'versions.get': { payload: { targetId: string; versionId: string }; result: DeployVersionDetail };
  'versions.files': {
    payload: { targetId: string; versionId: string; cursor: string | null };
    result: Page<VersionEntry>;
  };
  'versions.openPreview': { payload: { targetId: string; deploySlug: string; versionNo: number }; result: null };
  /** How `to` differs from `from`: added, removed and changed files, each sorted by path. */
  'versions.compare': {
    payload: { targetId: string; fromVersionId: string; toVersionId: string };
    result: VersionDiff;
  };
  'aliases.list': { payload: { targetId: string; deployId: string }; result: AliasView[] };
  /**
   * Points an alias at a version (a new alias, a promotion, a roll back). `expectedVersionId` is where the
   * window saw it point when the user confirmed (null: no such alias yet); if it moved meanwhile, nothing changes.
   */
  'aliases.set': {
    payload: { targetId: string; deployId: string; name: string; versionId: string; expectedVersionId: string | null };
    result: AliasView;
  };
  /** Removes an alias, if it still points where the user saw it point. */
  'aliases.remove': {
    payload: { targetId: string; deployId: string; name: string; expectedVersionId: string };
    result: null;
  };
  /** Queues a PDF of a version; main then reports the job's changes as `render.progress`. */
  'renders.start': { payload: { targetId: string; versionId: string }; result: RenderJobView };
  /** A version's render jobs, newest first, each succeeded one with its PDF's facts. */
  'renders.list': {
    payload: { targetId: string; versionId: string; cursor: string | null };
    result: Page<RenderJobView>;
  };
  /** Opens a PDF with the system's viewer (main downloads it to a private folder first). */
  'pdf.open': { payload: { targetId: string; pdfId: string }; result: null };
  /** Main asks where to save in its own dialog, then writes the PDF there; null when the user cancelled. */
  'pdf.save': { payload: { targetId: string; pdfId: string }; result: SavedPdf | null };
  'folder.choose': { payload: null; result: string | null };
  'folder.check': { payload: { path: string }; result: FolderCheck };
  /** Sent by the preload only (see PRELOAD_ONLY_REQUESTS): the path of a File the user dropped, read there from the File itself. */
  'folder.dropped': { payload: { path: string }; result: FolderCheck };
  /** The `press.json` a deploy of this folder (one main handed out) will use. */
  'folder.config': { payload: { path: string }; result: FolderConfig };
  /** What the folder (one main handed out) says about where it goes on the target's service. */
  'folder.destination': { payload: { path: string; targetId: string }; result: FolderDestination };
  'deploy.start': { payload: { targetId: string; folder: string; deploy: DeployChoice }; result: RunStarted };
  'deploy.pause': { payload: { runId: string }; result: null };
  'deploy.resume': { payload: { runId: string }; result: null };
  'deploy.cancel': { payload: { runId: string }; result: null };
  'jobs.resumable': { payload: null; result: ResumableDeploy[] };
  'jobs.resume': { payload: { jobId: string }; result: RunStarted };
  'jobs.abandon': { payload: { jobId: string }; result: null };
  'settings.lastDeploy': { payload: null; result: { targetId: string; deployId: string } | null };
}

/** Every request name and the IPC channel it travels on; `satisfies` makes a missing one a type error. */
export const ipcChannels = {
  'app.info': 'pressdrop:app.info',
  'targets.list': 'pressdrop:targets.list',
  'targets.add': 'pressdrop:targets.add',
  'targets.remove': 'pressdrop:targets.remove',
  'targets.select': 'pressdrop:targets.select',
  'targets.openCommitted': 'pressdrop:targets.openCommitted',
  'deploys.list': 'pressdrop:deploys.list',
  'versions.list': 'pressdrop:versions.list',
  'versions.get': 'pressdrop:versions.get',
  'versions.files': 'pressdrop:versions.files',
  'versions.openPreview': 'pressdrop:versions.openPreview',
  'versions.compare': 'pressdrop:versions.compare',
  'aliases.list': 'pressdrop:aliases.list',
  'aliases.set': 'pressdrop:aliases.set',
  'aliases.remove': 'pressdrop:aliases.remove',
  'renders.start': 'pressdrop:renders.start',
  'renders.list': 'pressdrop:renders.list',
  'pdf.open': 'pressdrop:pdf.open',
  'pdf.save': 'pressdrop:pdf.save',
  'folder.choose': 'pressdrop:folder.choose',
  'folder.check': 'pressdrop:folder.check',
  'folder.dropped': 'pressdrop:folder.dropped',
  'folder.config': 'pressdrop:folder.config',
  'folder.destination': 'pressdrop:folder.destination',
  'deploy.start': 'pressdrop:deploy.start',
  'deploy.pause': 'pressdrop:deploy.pause',
  'deploy.resume': 'pressdrop:deploy.resume',
  'deploy.cancel': 'pressdrop:deploy.cancel',
  'jobs.resumable': 'pressdrop:jobs.resumable',
  'jobs.resume': 'pressdrop:jobs.resume',
  'jobs.abandon': 'pressdrop:jobs.abandon',
  'settings.lastDeploy': 'pressdrop:settings.lastDeploy',
} as const satisfies Record<keyof IpcRequests, string>;

/** Events main pushes to the renderer, and their channels. */
export interface IpcEvents {
  'run.events': RunEvents;
  'run.aliases': RunAliases;
  'render.progress': RenderProgress;
  /** A menu item the renderer carries out (File › Deploy a Folder… opens its folder picker). */
  'menu.command': { command: 'chooseFolder' };
}

export const ipcEventChannels = {
  'run.events': 'pressdrop:run.events',
  'run.aliases': 'pressdrop:run.aliases',
  'render.progress': 'pressdrop:render.progress',
  'menu.command': 'pressdrop:menu.command',
} as const satisfies Record<keyof IpcEvents, string>;

/** An error as it crosses IPC: a stable code and a sentence for people. */
export interface IpcError {
  /** Any code PressDrop has words for; or one from outside its tables (a newer server's, the OS's), shown by its message. */
  code: ErrorCode | UnlistedErrorCode;
  message: string;
}

/** What every handler answers: main never throws across IPC, so the code survives the trip. */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

/**
 * Requests the page cannot make with a payload of its own choosing. Main
 * deploys only folders it handed out (chosen in its dialog, dropped, or
 * offered for resume); a dropped folder's path is read from the dropped
 * File by the preload, so a page cannot claim a path the user never dropped.
 */
export const PRELOAD_ONLY_REQUESTS = ['folder.dropped'] as const satisfies ReadonlyArray<keyof IpcRequests>;

/** The requests `window.pressdrop` offers the page as methods. */
export type PageRequests = Exclude<keyof IpcRequests, (typeof PRELOAD_ONLY_REQUESTS)[number]>;

/** `window.pressdrop`: one method per page request, one subscription per event, and the drop hand-over. */
export type PressdropApi = {
  [Name in PageRequests]: (payload: IpcRequests[Name]['payload']) => Promise<IpcResult<IpcRequests[Name]['result']>>;
} & {
  on<Name extends keyof IpcEvents>(name: Name, listener: (payload: IpcEvents[Name]) => void): () => void;
  /** Hands main a dropped File's folder (its path read by the preload, never by the page); answers as `folder.check` does. */
  dropFolder(file: unknown): Promise<IpcResult<FolderCheck>>;
};

/** Re-exported for renderer code that draws runs. */
export type { DeployEvent, DeployTotals, FileUpdate };
