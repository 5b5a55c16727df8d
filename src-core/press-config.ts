import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z as Z } from 'zod';
import type { RenderConfig } from '../src-shared/api-types.ts';
import { ALIAS_NAME_PATTERN, abbreviate } from '../src-shared/deploy-names.ts';

/** The deploy settings file at a folder's root; read by the CLI and the app, never uploaded. */
export const PRESS_CONFIG = 'press.json';

/** What `press.json` says: how versions of this folder render, and which aliases to point at each new version. */
export interface PressConfig {
  render: RenderConfig | null;
  aliases: string[];
}

/** A `press.json` that cannot be used, in words that name the file, the field and what to write instead. */
export class PressConfigError extends Error {}

/** The longest render timeout Press Cloud accepts (10 minutes). */
export const MAX_RENDER_TIMEOUT_MS = 600_000;

/**
 * The file's schema, built the first time a folder has a press.json: zod is loaded then, not at
 * start-up (it is the largest module a deploy would load, and most folders have no press.json).
 */
function buildSchema(z: typeof Z) {
  const renderSchema = z.strictObject({
    route: z
      .string()
      .min(1, 'must name the page to print, e.g. "/index.html"')
      .max(1024)
      .refine(
        (route) => !/^[a-z][a-z0-9+.-]*:/i.test(route) && !route.includes('?') && !route.includes('#'),
        'must be a path in the folder, e.g. "/report.html", not a URL',
      )
      .optional(),
    title: z.string().max(500, 'must be at most 500 characters').optional(),
    renderTimeoutMs: z
      .number()
      .int('must be a whole number of milliseconds')
      .min(1)
      .max(MAX_RENDER_TIMEOUT_MS, `must be at most ${MAX_RENDER_TIMEOUT_MS} (10 minutes)`)
      .optional(),
    metadata: z.record(z.string(), z.unknown(), 'must be an object of name: value pairs').optional(),
  });

  return z.strictObject({
    render: renderSchema.optional(),
    aliases: z
      .array(z.string().regex(ALIAS_NAME_PATTERN, 'must be 1-63 characters of a-z, 0-9 and -, starting with a letter'))
      .max(20, 'may name at most 20 aliases')
      .optional(),
    $schema: z.string().optional(),
  });
}

let schema: Promise<ReturnType<typeof buildSchema>> | undefined;
const configSchema = () => (schema ??= import('zod').then(({ z }) => buildSchema(z)));

/**
 * Reads and checks `<folder>/press.json`; null when the folder has none.
 * Unknown fields are refused (a typo such as "tilte" would otherwise be
 * silently ignored, and the PDF would carry the wrong title).
 */
export async function readPressConfig(folder: string): Promise<PressConfig | null> {
  let text: string;
  try {
    text = await readFile(join(folder, PRESS_CONFIG), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PressConfigError(
      `${PRESS_CONFIG} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); fix its permissions or remove it.`,
    );
  }
  return await parsePressConfig(text);
}

/** Checks the text of a `press.json`; rejects with a PressConfigError naming the first problem. */
export async function parsePressConfig(text: string): Promise<PressConfig> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PressConfigError(
      `${PRESS_CONFIG} is not valid JSON (${(error as Error).message}); fix it, or remove it to deploy without it.`,
    );
  }
  const parsed = (await configSchema()).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.path.length === 0 && issue.code !== 'unrecognized_keys') {
      throw new PressConfigError(
        `${PRESS_CONFIG} must be a JSON object, e.g. {"render": {"title": "My Document"}, "aliases": ["production"]}.`,
      );
    }
    const where = issue.path.length > 0 ? issue.path.map(String).join('.') : 'the file';
    const problem =
      issue.code === 'unrecognized_keys'
        ? `has a field it does not know, ${issue.keys.map((key) => JSON.stringify(abbreviate(key))).join(', ')} (it knows render.route, render.title, render.renderTimeoutMs, render.metadata and aliases)`
        : issue.message;
    throw new PressConfigError(`${PRESS_CONFIG}: ${abbreviate(where)} ${problem}.`);
  }
  const { render, aliases } = parsed.data;
  return { render: render && Object.keys(render).length > 0 ? render : null, aliases: [...new Set(aliases ?? [])] };
}

/** `press.json`'s render config with the command line's fields over it; null when neither says anything. */
export function mergeRenderConfig(fromFile: RenderConfig | null, overrides: RenderConfig): RenderConfig | null {
  const merged: RenderConfig = { ...fromFile, ...overrides };
  if (fromFile?.metadata || overrides.metadata) merged.metadata = { ...fromFile?.metadata, ...overrides.metadata };
  return Object.keys(merged).length > 0 ? merged : null;
}
