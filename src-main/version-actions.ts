import { createHash, randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { PressCloudClient } from '../src-core/targets/press-cloud/press-cloud-client.ts';
import { ensurePrivateDir } from '../src-core/private-files.ts';
import { diffVersions } from '../src-core/version-diff.ts';
import type { Alias } from '../src-shared/api-types.ts';
import { DEPLOY_SLUG_PATTERN } from '../src-shared/deploy-names.ts';
import type { AliasView, RenderProgress, SavedPdf } from '../src-shared/ipc-contract.ts';
import { AppError } from './app-error.ts';
import type { IpcHandlers } from './ipc-dispatch.ts';
import { RenderWatcher, renderJobView } from './render-watcher.ts';

/** The requests of what comes after a commit: aliases, PDFs, comparing versions. */
export type VersionActionHandlers = Pick<
  IpcHandlers,
  | 'versions.compare'
  | 'aliases.list'
  | 'aliases.set'
  | 'aliases.remove'
  | 'renders.start'
  | 'renders.list'
  | 'pdf.open'
  | 'pdf.save'
>;

/** What the actions need from the controller and its host. */
export interface VersionActionPorts {
  client(targetId: string): Promise<PressCloudClient>;
  /** Opens a file with the system's default app; rejects with the OS's reason. */
  openPath(path: string): Promise<void>;
  /** Main's save dialog for a PDF, starting at `suggestedName`: the chosen path, or null when cancelled. */
  choosePdfPath(suggestedName: string): Promise<string | null>;
  /** A folder of main's own for PDFs it opens with the system viewer. */
  pdfDir: string;
  emitRenderProgress(progress: RenderProgress): void;
}

/**
 * Aliases (list, point, remove), render jobs (start, list, followed live),
 * PDFs (opened with the system viewer, saved where the user says in main's
 * dialog) and version diffs, for the window. No Electron: the host's
 * dialog and viewer come in as ports.
 */
export class VersionActions {
  readonly handlers: VersionActionHandlers;
  readonly #ports: VersionActionPorts;
  readonly #watcher: RenderWatcher;

  constructor(ports: VersionActionPorts) {
    this.#ports = ports;
    this.#watcher = new RenderWatcher(
      (targetId) => ports.client(targetId),
      (progress) => ports.emitRenderProgress(progress),
    );
    const client = (targetId: string) => ports.client(targetId);
    this.handlers = {
      'versions.compare': async ({ targetId, fromVersionId, toVersionId }) =>
        diffVersions(await client(targetId), fromVersionId, toVersionId),
      'aliases.list': async ({ targetId, deployId }) => {
        const connection = await client(targetId);
        return this.#views(connection, await connection.listAliases(deployId));
      },
      'aliases.set': (payload) => this.#setAlias(payload),
      'aliases.remove': async ({ targetId, deployId, name, expectedVersionId }) => {
        const connection = await client(targetId);
        await this.#expectAlias(connection, deployId, name, expectedVersionId);
        await connection.deleteAlias(deployId, name);
        return null;
      },
      'renders.start': async ({ targetId, versionId }) => {
        const connection = await client(targetId);
        // A key of its own per press: pressing again renders again, while a retry of this very request (a lost answer) does not.
        const job = await connection.createRenderJob({ deployVersionId: versionId }, `render-${randomUUID()}`);
        this.#watcher.watch(targetId, job);
        return renderJobView(connection, job);
      },
      'renders.list': async ({ targetId, versionId, cursor }) => {
        const connection = await client(targetId);
        const page = await connection.listRenderJobs(versionId, cursor ?? undefined);
        // Unfinished jobs on the list (started before a relaunch, or elsewhere) are shown live too.
        for (const job of page.items) this.#watcher.watch(targetId, job);
        return {
          items: await Promise.all(page.items.map((job) => renderJobView(connection, job))),
          nextCursor: page.nextCursor,
        };
      },
      'pdf.open': (payload) => this.#openPdf(payload.targetId, payload.pdfId),
      'pdf.save': (payload) => this.#savePdf(payload.targetId, payload.pdfId),
    };
  }

  /**
   * Points `names` at a version just committed (press.json's aliases), one
   * after another; resolves with those it pointed, and the error that stopped
   * it, if any.
   */
  async pointAliases(
    targetId: string,
    deployId: string,
    versionId: string,
    names: readonly string[],
  ): Promise<{ pointed: string[]; error: unknown }> {
    const pointed: string[] = [];
    try {
      const connection = await this.#ports.client(targetId);
      for (const name of names) {
        await connection.setAlias(deployId, name, versionId);
        pointed.push(name);
      }
      return { pointed, error: null };
    } catch (error) {
      return { pointed, error };
    }
  }

  /** Stops following the render jobs of a target that was removed. */
  forgetTarget(targetId: string): void {
    this.#watcher.forgetTarget(targetId);
  }

  close(): void {
    this.#watcher.close();
  }

  async #setAlias({
    targetId,
    deployId,
    name,
    versionId,
    expectedVersionId,
  }: Parameters<VersionActionHandlers['aliases.set']>[0]): Promise<AliasView> {
    const connection = await this.#ports.client(targetId);
    await this.#expectAlias(connection, deployId, name, expectedVersionId);
    const alias = await connection.setAlias(deployId, name, versionId);
    const [view] = await this.#views(connection, [alias]);
    return view!;
  }

  /**
   * Refuses when the alias no longer points where the window showed it when
   * the user confirmed: "Move production from #3 to #1?" must not move it from
   * #4, where someone else put it meanwhile.
   */
  async #expectAlias(
    connection: PressCloudClient,
    deployId: string,
    name: string,
    expectedVersionId: string | null,
  ): Promise<void> {
    const current = (await connection.listAliases(deployId)).find((alias) => alias.name === name) ?? null;
    if ((current?.deployVersionId ?? null) === expectedVersionId) return;
    const now = current ? (await this.#views(connection, [current]))[0]! : null;
    const where = now
      ? `now points to ${now.versionNo === null ? 'another version' : `#${now.versionNo}`}`
      : 'was removed';
    throw new AppError('alias_moved', `${name} ${where} since you looked; nothing was changed.`);
  }

  /** Aliases with the numbers of their versions (one request per version they point at, not per alias). */
  async #views(connection: PressCloudClient, aliases: readonly Alias[]): Promise<AliasView[]> {
    const numbers = new Map<string, Promise<number | null>>();
    for (const { deployVersionId } of aliases) {
      if (!numbers.has(deployVersionId))
        numbers.set(
          deployVersionId,
          connection.getVersion(deployVersionId).then(
            (version) => version.versionNo,
            () => null,
          ),
        );
    }
    return Promise.all(
      aliases.map(async (alias) => ({
        name: alias.name,
        deployVersionId: alias.deployVersionId,
        versionNo: await numbers.get(alias.deployVersionId)!,
        updatedAt: alias.updatedAt,
      })),
    );
  }

  /** `<slug>-<versionNo>.pdf`, the name the server's Content-Disposition gives it; built from checked parts only, since it becomes a file name. */
  async #pdfName(connection: PressCloudClient, pdfId: string): Promise<string> {
    const pdf = await connection.getPdf(pdfId);
    const version = await connection.getVersion(pdf.deployVersionId);
    const { slug } = await connection.getDeploy(version.deployId);
    return `${DEPLOY_SLUG_PATTERN.test(slug) ? slug : 'document'}-${Number.isSafeInteger(version.versionNo) ? version.versionNo : 'version'}.pdf`;
  }

  async #openPdf(targetId: string, pdfId: string): Promise<null> {
    const connection = await this.#ports.client(targetId);
    const name = await this.#pdfName(connection, pdfId);
    // One folder per PDF (named by a digest, never by what the page sent), so the viewer shows the PDF's own name.
    const dir = join(
      this.#ports.pdfDir,
      createHash('sha256').update(`${targetId}\0${pdfId}`).digest('hex').slice(0, 32),
    );
    ensurePrivateDir(dir);
    const path = join(dir, name);
    // A PDF never changes: one downloaded before is opened again as it is.
    if (!existsSync(path)) await connection.savePdf(pdfId, path);
    try {
      await this.#ports.openPath(path);
    } catch (error) {
      throw new AppError(
        'open_failed',
        `No app opened ${path}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    return null;
  }

  async #savePdf(targetId: string, pdfId: string): Promise<SavedPdf | null> {
    const connection = await this.#ports.client(targetId);
    const path = await this.#ports.choosePdfPath(await this.#pdfName(connection, pdfId));
    if (path === null) return null;
    // The dialog's answer is still checked: a full path, and not a folder (the PDF is renamed over what is there).
    if (!isAbsolute(path) || statSync(path, { throwIfNoEntry: false })?.isDirectory())
      throw new AppError('save_path_invalid', `${path} is not a place a file can be saved.`);
    try {
      return { path, bytes: await connection.savePdf(pdfId, path) };
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      // Errors of the server keep their codes; the disk's (EACCES, ENOSPC, …) are said with the path.
      if (typeof code === 'string' && /^E[A-Z]+$/.test(code))
        throw new AppError('save_failed', `${path} could not be written (${code}).`);
      throw error;
    }
  }
}
