import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** The config files wrangler reads, in its order; TOML is named only to stop the search (PressDrop reads no TOML). */
const CONFIG_FILES = ['wrangler.json', 'wrangler.jsonc', 'wrangler.toml'] as const;

/**
 * JSON with comments (`//`, `/* *\/`) and trailing commas, as wrangler
 * takes it: both are removed outside strings, then it is JSON.
 */
export function parseJsonc(text: string): unknown {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '"') {
      // A string, escapes and all, copied as it is.
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      out += text.slice(i, end + 1);
      i = end;
    } else if (char === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (char === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 1;
      out += ' ';
    } else {
      out += char;
    }
  }
  // A comma followed only by blanks and a closing bracket (strings are intact, and none ends in such a run here).
  return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
}

/**
 * The Worker a wrangler.json or wrangler.jsonc names for this folder: the
 * nearest config in the folder or above it, taken only if it is the
 * folder's own (in the folder itself, or its `assets.directory` is the
 * folder), so a subfolder of a project never replaces that project's
 * Worker by accident. Null when there is none, when the nearest config is
 * wrangler.toml (not read), or when it names no Worker; an unreadable one
 * throws, naming the file.
 */
export async function readWranglerConfig(
  folder: string,
): Promise<{ scriptName: string; compatibilityDate?: string } | null> {
  const root = resolve(folder);
  for (let dir = root; ; dir = dirname(dir)) {
    for (const name of CONFIG_FILES) {
      const path = join(dir, name);
      const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return null;
        throw error;
      });
      if (text === null) continue;
      if (name === 'wrangler.toml') return null;
      let config: { name?: unknown; compatibility_date?: unknown; assets?: { directory?: unknown } };
      try {
        config = parseJsonc(text) as typeof config;
      } catch (error) {
        throw new Error(`${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
      }
      const directory = config?.assets?.directory;
      const ownsFolder = dir === root || (typeof directory === 'string' && resolve(dir, directory) === root);
      if (!ownsFolder || typeof config.name !== 'string' || config.name === '') return null;
      return {
        scriptName: config.name,
        ...(typeof config.compatibility_date === 'string' && { compatibilityDate: config.compatibility_date }),
      };
    }
    if (dirname(dir) === dir) return null;
  }
}
