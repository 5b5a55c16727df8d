import { z } from 'zod';
import { API_KEY_PATTERN } from '../src-shared/api-key.ts';
import { ALIAS_NAME_PATTERN, DEPLOY_SLUG_PATTERN, MAX_DEPLOY_NAME_LENGTH } from '../src-shared/deploy-names.ts';
import {
  CLOUDFLARE_ACCOUNT_PATTERN,
  CLOUDFLARE_TOKEN_PATTERN,
  SLIDELESS_KEY_PATTERN,
  WORKER_NAME_PATTERN,
  type IpcRequests,
} from '../src-shared/ipc-contract.ts';

const id = z.string().min(1).max(200);
const cursor = z.string().max(2000).nullable();
const none = z.null();
const path = z.string().max(4096);
/** What every kind of target is added with; each kind adds its key's shape (never echoed in the error). */
const addTargetFields = {
  name: z.string().max(100),
  apiUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(500),
  allowBasicText: z.boolean(),
  allowInsecureHttp: z.boolean(),
};
const aliasName = z
  .string()
  .regex(ALIAS_NAME_PATTERN, 'must be 1-63 characters of a-z, 0-9 and -, starting with a letter');

/**
 * The payload schema of every request: main validates what the renderer
 * sends before anything acts on it. The mapped type makes a missing or
 * mistyped schema a compile error.
 */
export const ipcPayloadSchemas: { [Name in keyof IpcRequests]: z.ZodType<IpcRequests[Name]['payload']> } = {
  'app.info': none,
  'targets.list': none,
  'targets.add': z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('press-cloud'),
      ...addTargetFields,
      apiKey: z.string().regex(API_KEY_PATTERN, 'must look like pcak_…'),
    }),
    z.object({
      kind: z.literal('slideless'),
      ...addTargetFields,
      apiKey: z.string().regex(SLIDELESS_KEY_PATTERN, 'must look like cko_… or cka_…'),
    }),
    z.object({
      kind: z.literal('cloudflare'),
      ...addTargetFields,
      apiKey: z.string().regex(CLOUDFLARE_TOKEN_PATTERN, 'must be a Cloudflare API token'),
      accountId: z.string().regex(CLOUDFLARE_ACCOUNT_PATTERN, 'must be 32 hexadecimal characters'),
    }),
  ]),
  'targets.remove': z.object({ targetId: id }),
  'targets.select': z.object({ targetId: id }),
  'targets.openCommitted': z.object({ targetId: id }),
  'deploys.list': z.object({ targetId: id, cursor }),
  'versions.list': z.object({ targetId: id, deployId: id, cursor }),
  'versions.get': z.object({ targetId: id, versionId: id }),
  'versions.files': z.object({ targetId: id, versionId: id, cursor }),
  'versions.openPreview': z.object({
    targetId: id,
    deploySlug: z.string().regex(DEPLOY_SLUG_PATTERN),
    versionNo: z.number().int().positive(),
  }),
  'versions.compare': z.object({ targetId: id, fromVersionId: id, toVersionId: id }),
  'aliases.list': z.object({ targetId: id, deployId: id }),
  'aliases.set': z.object({
    targetId: id,
    deployId: id,
    name: aliasName,
    versionId: id,
    expectedVersionId: id.nullable(),
  }),
  'aliases.remove': z.object({ targetId: id, deployId: id, name: aliasName, expectedVersionId: id }),
  'renders.start': z.object({ targetId: id, versionId: id }),
  'renders.list': z.object({ targetId: id, versionId: id, cursor }),
  'pdf.open': z.object({ targetId: id, pdfId: id }),
  'pdf.save': z.object({ targetId: id, pdfId: id }),
  'folder.choose': none,
  'folder.check': z.object({ path }),
  'folder.dropped': z.object({ path }),
  'folder.config': z.object({ path }),
  'folder.destination': z.object({ path, targetId: id }),
  'deploy.start': z.object({
    targetId: id,
    folder: z.string().min(1).max(4096),
    deploy: z.union([
      z.object({ deployId: id }),
      z.object({
        createDeploy: z.object({
          slug: z.string().regex(DEPLOY_SLUG_PATTERN),
          name: z.string().trim().min(1).max(MAX_DEPLOY_NAME_LENGTH),
        }),
      }),
      z.object({ presentation: z.object({ title: z.string().trim().min(1).max(255).nullable() }) }),
      z.object({ worker: z.object({ scriptName: z.string().regex(WORKER_NAME_PATTERN, 'is not a Worker name') }) }),
    ]),
  }),
  'deploy.pause': z.object({ runId: id }),
  'deploy.resume': z.object({ runId: id }),
  'deploy.cancel': z.object({ runId: id }),
  'jobs.resumable': none,
  'jobs.resume': z.object({ jobId: id }),
  'jobs.abandon': z.object({ jobId: id }),
  'settings.lastDeploy': none,
};
