import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeployEngine } from '../../src-core/deploy-engine.ts';
import { FileSecretStore } from '../../src-core/file-secret-store.ts';
import { parseFaultSpec } from '../../src-server/faults.ts';
import { startCloudflarePeer } from '../../src-server/peers/cloudflare/cloudflare-peer.ts';
import { startSlidelessPeer } from '../../src-server/peers/slideless/slideless-peer.ts';
import type { ServerOptions } from '../../src-server/server.ts';
import { startTestServer, waitFor } from '../../src-server/testing/test-server.ts';
import type { DeployChoice, IpcEvents, KeyStorage } from '../../src-shared/ipc-contract.ts';
import type { DeployEvent } from '../../src-shared/upload-model.ts';
import { AppController, type KeyVault } from '../app-controller.ts';

/** The controller with plain ports: a Map for settings, a Map for keys, a list for what it opened and sent. */
export async function harness(
  t: { after: (fn: () => Promise<void>) => void },
  keyStorage: KeyStorage = 'keychain',
  serverOptions: Partial<ServerOptions> = {},
) {
  const scratch = mkdtempSync(join(tmpdir(), 'pressdrop-app-'));
  const server = await startTestServer(serverOptions);
  const engine = new DeployEngine({
    stateDir: join(scratch, 'state'),
    secrets: new FileSecretStore(join(scratch, 'state', 'secrets.json')),
  });
  const settings = new Map<string, unknown>();
  const keys = new Map<string, string>();
  const vault: KeyVault = {
    storage: () => keyStorage,
    get: async (id) => keys.get(id) ?? null,
    set: async (id, key) => void keys.set(id, key),
    delete: async (id) => void keys.delete(id),
  };
  const opened: string[] = [];
  /** Files handed to the system viewer. */
  const openedPaths: string[] = [];
  /** What the folder dialog answers next; what the PDF save dialog answers next, and the names it was offered. */
  const dialog = { answer: null as string | null, pdfAnswer: null as string | null, pdfOffered: [] as string[] };
  const batches: Array<IpcEvents['run.events']> = [];
  const renders: Array<IpcEvents['render.progress']> = [];
  const aliasEvents: Array<IpcEvents['run.aliases']> = [];
  const controller = new AppController({
    appVersion: '0.0.0-test',
    engine,
    localServer: { url: server.url, apiKey: server.apiKey, dataDir: server.dataDir },
    settings: { get: (key) => settings.get(key), set: (key, value) => void settings.set(key, value) },
    keys: vault,
    openExternal: async (url) => void opened.push(url),
    chooseFolder: async () => dialog.answer,
    openPath: async (path) => void openedPaths.push(path),
    choosePdfPath: async (name) => {
      dialog.pdfOffered.push(name);
      return dialog.pdfAnswer;
    },
    pdfDir: join(scratch, 'opened-pdfs'),
    emit: (name, payload) => {
      if (name === 'run.events') batches.push(payload as IpcEvents['run.events']);
      if (name === 'render.progress') renders.push(payload as IpcEvents['render.progress']);
      if (name === 'run.aliases') aliasEvents.push(payload as IpcEvents['run.aliases']);
    },
  });
  t.after(async () => {
    await controller.close();
    await engine.close();
    await server.close();
    rmSync(scratch, { recursive: true, force: true });
  });
  /** Hands main a dropped folder as the preload does (the path read from the File), so it may be deployed. */
  const drop = async (path: string): Promise<string> => {
    await controller.handlers['folder.dropped']({ path });
    return path;
  };
  /** Deploys `folder` (dropped first) as a new deploy and waits for its commit; the committed version. */
  const deployed = async (folder: string, deploy: DeployChoice) => {
    const started = await controller.handlers['deploy.start']({
      targetId: 'local',
      folder: await drop(folder),
      deploy,
    });
    await waitFor(() => events(started.runId).some((e) => e.type === 'committed'), 30_000, 'the commit');
    const committed = events(started.runId).find(
      (e): e is Extract<DeployEvent, { type: 'committed' }> => e.type === 'committed',
    )!;
    return { ...started, version: committed.deployVersion };
  };
  const events = (runId: string): DeployEvent[] => batches.filter((b) => b.runId === runId).flatMap((b) => b.events);
  return {
    controller,
    engine,
    server,
    scratch,
    keys,
    settings,
    opened,
    openedPaths,
    batches,
    renders,
    aliasEvents,
    dialog,
    drop,
    deployed,
    events,
  };
}

/** A site of index.html and `files` small text files under assets/, in the scratch folder. */
export function site(scratch: string, files: number): string {
  const folder = join(scratch, 'site');
  mkdirSync(join(folder, 'assets'), { recursive: true });
  writeFileSync(join(folder, 'index.html'), '<h1>Hello</h1>');
  for (let i = 0; i < files; i++) writeFileSync(join(folder, 'assets', `f${i}.txt`), `file ${i}`);
  return folder;
}

/** The strict local peers of Slideless and Cloudflare, in this process, each with the one key it accepts. */
export async function startPeers(
  t: { after: (fn: () => Promise<void>) => void },
  scratch: string,
  options: { faults?: string } = {},
) {
  const faults = options.faults === undefined ? {} : { faults: parseFaultSpec(options.faults) };
  const slidelessKey = `cko_${randomBytes(12).toString('hex')}`;
  const cloudflareToken = `cf-app-${randomBytes(16).toString('hex')}`;
  const slideless = await startSlidelessPeer({
    dataDir: join(scratch, 'slideless-peer'),
    apiKey: slidelessKey,
    ...faults,
  });
  const cloudflare = await startCloudflarePeer({
    dataDir: join(scratch, 'cloudflare-peer'),
    apiKey: cloudflareToken,
    // Small buckets, so a site of a few dozen files goes up in several requests (and can stop between them).
    limits: { maxBucketFiles: 10 },
    ...faults,
  });
  t.after(async () => {
    await slideless.close();
    await cloudflare.close();
  });
  return {
    slideless: {
      url: slideless.url,
      apiKey: slidelessKey,
      requests: slideless.requests,
      stalledUploads: () => slideless.stalledUploads(),
    },
    cloudflare: {
      url: cloudflare.url,
      apiKey: cloudflareToken,
      accountId: cloudflare.accountId,
      requests: cloudflare.requests,
      stalledUploads: () => cloudflare.stalledUploads(),
    },
  };
}
