import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { FolderCheck, FolderConfig } from '../src-shared/ipc-contract.ts';
import { toIpcError } from './ipc-dispatch.ts';
import { pressConfig } from './service-targets.ts';

/** The press.json a deploy of `folder` would use, or why it cannot, as the chooser shows it. */
export async function folderConfig(folder: string): Promise<FolderConfig> {
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
