import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SLIDELESS_API_URL } from '../../../src-shared/service-urls.ts';

/**
 * The file the Slideless CLI keeps at a deck folder's root: `slideless push`
 * reads it to decide new vs update, writes it after each push, and never
 * uploads it. PressDrop reads and writes the same file, so the two agree.
 */
export const SLIDELESS_JSON = 'slideless.json';

/**
 * slideless.json as the Slideless CLI writes it (its utils/local-manifest.ts:
 * these fields, this order, two-space JSON and a newline): the presentation,
 * the version the folder was last pushed or pulled as (the CLI's next push
 * sends it as expectedBaseVersion), when, and the key's role on it.
 */
export interface SlidelessJson {
  presentationId: string;
  lastPulledVersion: number;
  lastPulledAt: string;
  role: 'owner' | 'dev';
  /** The API the presentation lives on, when not Slideless's own (a local peer, say); the CLI reads it, never writes it. */
  baseUrl?: string;
}

/** The folder's slideless.json, null when it has none; an unreadable or malformed one is an error that says so. */
export async function readSlidelessJsonFile(folder: string): Promise<SlidelessJson | null> {
  let text: string;
  try {
    text = await readFile(join(folder, SLIDELESS_JSON), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`${SLIDELESS_JSON} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `${SLIDELESS_JSON} is not valid JSON (${(error as Error).message}); fix it, or remove it to deploy as a new presentation.`,
    );
  }
  const json = raw as Partial<Record<keyof SlidelessJson, unknown>> | null;
  if (
    json === null ||
    typeof json !== 'object' ||
    typeof json.presentationId !== 'string' ||
    json.presentationId === ''
  )
    throw new Error(`${SLIDELESS_JSON} names no presentationId; fix it, or remove it to deploy as a new presentation.`);
  return {
    presentationId: json.presentationId,
    // The CLI requires these; a hand-written file with the id alone is still read for the id.
    lastPulledVersion: typeof json.lastPulledVersion === 'number' ? json.lastPulledVersion : 0,
    lastPulledAt: typeof json.lastPulledAt === 'string' ? json.lastPulledAt : '',
    role: json.role === 'dev' ? 'dev' : 'owner',
    ...(typeof json.baseUrl === 'string' && { baseUrl: json.baseUrl }),
  };
}

/**
 * Writes the folder's slideless.json after a commit, as `slideless push`
 * does: the version just made is the one the folder now is. A presentation
 * on another API than Slideless's own (a local peer) is recorded with its
 * `baseUrl`, so a later deploy to the real service does not take its id
 * for one of Slideless's. Written to a temporary file and renamed over, so
 * a crash never leaves half a file.
 */
export async function writeSlidelessJson(
  folder: string,
  committed: { presentationId: string; version: number; role?: 'owner' | 'dev' | undefined },
  apiUrl: string,
): Promise<void> {
  const previous = await readSlidelessJsonFile(folder).catch(() => null);
  const json: SlidelessJson = {
    presentationId: committed.presentationId,
    lastPulledVersion: committed.version,
    lastPulledAt: new Date().toISOString(),
    role: committed.role ?? (previous?.presentationId === committed.presentationId ? previous.role : 'owner'),
    ...(!sameApi(apiUrl, SLIDELESS_API_URL) && { baseUrl: apiUrl }),
  };
  const path = join(folder, SLIDELESS_JSON);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o644 });
  await rename(temporary, path);
}

/** Whether two API base URLs name the same API (a trailing slash aside). */
export function sameApi(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}
