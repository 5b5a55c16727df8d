import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CloudflareError, ok } from './cloudflare-errors.ts';
import { scriptNameOf, uploadSource, type CloudflarePeerContext } from './peer-context.ts';
import { deploymentBody, scriptBody, serviceBody, settingsBody, versionBody } from './script-bodies.ts';
import type { ScriptRecord } from './script-store.ts';
import { readScriptUpload } from './script-upload.ts';
import { leaveBodiesUnread } from './request-body.ts';

const SCRIPT = '/accounts/:accountId/workers/scripts/:scriptName';

const deploymentSchema = z.strictObject({
  strategy: z.literal('percentage'),
  versions: z
    .array(z.strictObject({ version_id: z.string(), percentage: z.number().min(0).max(100) }))
    .min(1)
    .max(2),
  annotations: z.record(z.string(), z.string()).optional(),
});

const subdomainSchema = z.strictObject({ enabled: z.boolean(), previews_enabled: z.boolean().optional() });

/** The script `:scriptName` of the URL; 10007 when the account has none by that name. */
function existingScript(ctx: CloudflarePeerContext, request: FastifyRequest): ScriptRecord {
  const script = ctx.scripts.script(scriptNameOf(request));
  if (!script) throw new CloudflareError('worker_not_found');
  return script;
}

/** Zod-checks a JSON body; the first problem is a 10021 validation error. */
function parseJson<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CloudflareError('validation_error', `${issue.path.map(String).join('.') || 'body'}: ${issue.message}.`);
  }
  return parsed.data;
}

/**
 * What wrangler calls to deploy a Worker around the assets upload: the
 * script upload (PUT, which also deploys it), the versions and deployments
 * APIs it uses for a Worker that exists, and the reads and settings it
 * checks first and after (services, settings, subdomains).
 */
export function registerScriptRoutes(api: FastifyInstance, ctx: CloudflarePeerContext): void {
  api.register(async (multipart) => {
    // Multipart bodies are read by the handler itself.
    leaveBodiesUnread(multipart);

    multipart.put(SCRIPT, async (request) => {
      const name = scriptNameOf(request);
      const upload = await readScriptUpload(ctx, request, name);
      const version = ctx.scripts.addVersion(name, { ...upload, source: uploadSource(request) });
      ctx.scripts.deploy(name, {
        versions: [{ version_id: version.id, percentage: 100 }],
        annotations: upload.metadata.annotations ?? {},
        source: version.source,
      });
      return ok(scriptBody(ctx.scripts.script(name)!, version));
    });

    multipart.post(`${SCRIPT}/versions`, async (request) => {
      const { name } = existingScript(ctx, request);
      const upload = await readScriptUpload(ctx, request, name);
      const version = ctx.scripts.addVersion(name, { ...upload, source: uploadSource(request) });
      return ok(versionBody(ctx.scripts.script(name)!, version));
    });
  });

  api.get(`${SCRIPT}/versions/:versionId`, async (request) => {
    const script = existingScript(ctx, request);
    const version = ctx.scripts.version(script.name, (request.params as { versionId: string }).versionId);
    if (!version) throw new CloudflareError('worker_not_found', 'This version does not exist on the Worker.');
    return ok(versionBody(script, version));
  });

  api.get(`${SCRIPT}/deployments`, async (request) => {
    const script = existingScript(ctx, request);
    return ok({ deployments: ctx.scripts.deployments(script.name).map(deploymentBody) });
  });

  api.post(`${SCRIPT}/deployments`, async (request) => {
    const script = existingScript(ctx, request);
    const body = parseJson(deploymentSchema, request.body);
    const total = body.versions.reduce((sum, version) => sum + version.percentage, 0);
    if (Math.abs(total - 100) > 1e-9) {
      throw new CloudflareError('validation_error', `The percentages add up to ${total}, not 100.`);
    }
    for (const { version_id } of body.versions) {
      if (!ctx.scripts.version(script.name, version_id)) {
        throw new CloudflareError('validation_error', `Version ${version_id} is not a version of this Worker.`);
      }
    }
    const deployment = ctx.scripts.deploy(script.name, {
      versions: body.versions,
      annotations: body.annotations ?? {},
      source: uploadSource(request),
    });
    return ok(deploymentBody(deployment));
  });

  api.get('/accounts/:accountId/workers/services/:scriptName', async (request) => {
    const script = ctx.scripts.script(scriptNameOf(request));
    if (!script) throw new CloudflareError('service_not_found');
    return ok(serviceBody(script));
  });

  for (const path of [`${SCRIPT}/settings`, `${SCRIPT}/script-settings`]) {
    api.get(path, async (request) => ok(settingsBody(existingScript(ctx, request))));
  }
  api.patch(`${SCRIPT}/script-settings`, async (request) => {
    const script = existingScript(ctx, request);
    const patch = parseJson(z.record(z.string(), z.unknown()), request.body);
    ctx.scripts.patchSettings(script.name, patch);
    return ok(settingsBody(ctx.scripts.script(script.name)!));
  });

  api.get('/accounts/:accountId/workers/subdomain', async () => ok({ subdomain: ctx.subdomain }));

  api.get(`${SCRIPT}/subdomain`, async (request) => {
    const script = existingScript(ctx, request);
    return ok({ enabled: script.workersDev, previews_enabled: script.previewsEnabled });
  });
  api.post(`${SCRIPT}/subdomain`, async (request) => {
    const script = existingScript(ctx, request);
    const body = parseJson(subdomainSchema, request.body);
    // The API's default: preview URLs follow workers.dev.
    const previews = body.previews_enabled ?? body.enabled;
    ctx.scripts.setSubdomain(script.name, body.enabled, previews);
    return ok({ enabled: body.enabled, previews_enabled: previews });
  });
}
