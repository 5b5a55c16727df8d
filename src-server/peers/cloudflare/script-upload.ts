import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CloudflareError } from './cloudflare-errors.ts';
import { requireCompletedSession } from './peer-auth.ts';
import type { CloudflarePeerContext } from './peer-context.ts';
import { readForm } from './request-body.ts';
import type { VersionMetadata } from './script-store.ts';

/** Largest script upload (metadata plus any modules) the peer takes. */
const SCRIPT_BODY_LIMIT = 64 * 1024 * 1024;

// The Workers API takes many more metadata fields (bindings, limits, …): those are let through unchecked;
// what the peer acts on is checked strictly.
const metadataSchema = z.looseObject({
  main_module: z.string().min(1).optional(),
  body_part: z.string().min(1).optional(),
  compatibility_date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')
    .optional(),
  compatibility_flags: z.array(z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  keep_assets: z.boolean().optional(),
  assets: z
    .strictObject({
      jwt: z.string().min(1).optional(),
      config: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
});

/** A script or version upload, checked: what the version records. */
export interface ScriptUpload {
  metadata: VersionMetadata;
  manifest: Record<string, string>;
}

/**
 * Reads a script upload (multipart with a `metadata` part, as wrangler
 * sends for PUT …/scripts/:name and POST …/versions) and resolves its
 * assets: `assets.jwt` must be a completion token of an upload for this
 * script; `keep_assets` reuses the live version's assets.
 */
export async function readScriptUpload(
  ctx: CloudflarePeerContext,
  request: FastifyRequest,
  scriptName: string,
): Promise<ScriptUpload> {
  // Module parts are not kept (the peer runs no code): only their names, to check the main module is one.
  const names = new Set<string>();
  let metadataText: string | null = null;
  await readForm(request, {
    limit: SCRIPT_BODY_LIMIT,
    onPart({ name, pieces }) {
      names.add(name);
      if (name === 'metadata' && metadataText === null) metadataText = Buffer.concat(pieces).toString('utf8');
    },
  });
  if (metadataText === null) throw new CloudflareError('validation_error', 'The upload has no "metadata" part.');
  let json: unknown;
  try {
    json = JSON.parse(metadataText);
  } catch {
    throw new CloudflareError('validation_error', 'The "metadata" part is not valid JSON.');
  }
  const parsed = metadataSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CloudflareError(
      'validation_error',
      `metadata.${issue.path.map(String).join('.') || '(root)'}: ${issue.message}.`,
    );
  }
  const metadata = parsed.data;
  const entry = metadata.main_module ?? metadata.body_part;
  if (entry !== undefined && !names.has(entry)) {
    throw new CloudflareError('validation_error', `The main module "${entry}" is not a part of the upload.`);
  }

  let manifest: Record<string, string> = {};
  if (metadata.assets?.jwt !== undefined) {
    const session = requireCompletedSession(ctx, metadata.assets.jwt, scriptName);
    manifest = Object.fromEntries(Object.entries(session.manifest).map(([path, { hash }]) => [path, hash]));
  } else if (metadata.keep_assets === true) {
    const live = ctx.scripts.liveVersion(scriptName);
    if (!live) throw new CloudflareError('validation_error', 'keep_assets: the Worker has no deployed version yet.');
    manifest = live.manifest;
  } else if (entry === undefined) {
    throw new CloudflareError(
      'validation_error',
      'An assets-only Worker needs metadata.assets.jwt (the completion token of an assets upload).',
    );
  }
  return {
    metadata: {
      ...(metadata.compatibility_date !== undefined && { compatibility_date: metadata.compatibility_date }),
      ...(metadata.compatibility_flags !== undefined && { compatibility_flags: metadata.compatibility_flags }),
      ...(metadata.annotations !== undefined && { annotations: metadata.annotations }),
      ...(entry !== undefined && { main_module: entry }),
      ...(metadata.assets?.config !== undefined && { assets_config: metadata.assets.config }),
    },
    manifest,
  };
}
