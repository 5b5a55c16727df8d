import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { FaultInjector } from '../../faults.ts';
import type { PeerOptions, PeerRequest, RunningPeer } from '../peer-options.ts';
import { AssetBlobs } from './asset-blobs.ts';
import { registerCommitRoute } from './commit-route.ts';
import type { PeerContext } from './peer-context.ts';
import { authenticate, dropIfFaulted, injectFaults, isSlidelessKeyShape, sendError } from './peer-hooks.ts';
import { registerPrecheckRoute } from './precheck-route.ts';
import { registerManifestRoute, registerViewerRoute } from './read-back-routes.ts';
import { SlidelessError } from './slideless-errors.ts';
import { ownerOf } from './slideless-ids.ts';
import { PLAN_LIMITS, type SlidelessLimits, type SlidelessPlan } from './slideless-limits.ts';
import { SlidelessStore } from './slideless-store.ts';
import { registerUploadRoute } from './upload-route.ts';

/** PeerOptions plus what only the Slideless peer knows about; every extra is optional. */
export interface SlidelessPeerOptions extends PeerOptions {
  /** The plan whose caps apply (default "free", the smallest). */
  plan?: SlidelessPlan;
  /** Overrides of single caps, e.g. a small `maxFileBytes` to test payload-too-large cheaply. */
  limits?: Partial<SlidelessLimits>;
  /** Keys of OTHER accounts the peer also accepts, so a test can see 403 on a presentation another key owns. */
  otherApiKeys?: readonly string[];
  /** The clock (ms since the epoch) sessions expire by; tests move it past the hour. */
  now?: () => number;
}

/** The three Slideless routes: what fault injection applies to. */
const API_ROUTES = ['/precheckAssets', '/uploadPresentationAsset', '/commitPresentationVersion'] as const;

/**
 * Starts a strict local peer of Slideless's presentation upload API
 * (precheckAssets, uploadPresentationAsset, commitPresentationVersion) on
 * loopback, with its metadata in SQLite and its blobs on disk under
 * `dataDir`, plus peer-only read-back routes. See README.md.
 */
export async function startSlidelessPeer(options: SlidelessPeerOptions): Promise<RunningPeer> {
  for (const key of [options.apiKey, ...(options.otherApiKeys ?? [])]) {
    if (!isSlidelessKeyShape(key))
      throw new Error('A Slideless peer key must look like cko_… or cka_… ([A-Za-z0-9_-]).');
  }
  await mkdir(options.dataDir, { recursive: true });
  const blobs = await AssetBlobs.open(options.dataDir);
  const store = new SlidelessStore(join(options.dataDir, 'slideless.sqlite'));
  let baseUrl = '';
  const ctx: PeerContext = {
    store,
    blobs,
    limits: { ...PLAN_LIMITS[options.plan ?? 'free'], ...options.limits },
    faults: options.faults ? new FaultInjector(options.faults, options.faultsSeed ?? 1) : null,
    now: options.now ?? Date.now,
    baseUrl: () => baseUrl,
    acceptedOwners: new Set([options.apiKey, ...(options.otherApiKeys ?? [])].map(ownerOf)),
  };
  const requests: PeerRequest[] = [];
  const app = buildPeerApp(ctx, requests, options.logRequests ?? false);
  try {
    await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  } catch (error) {
    store.close();
    throw error;
  }
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('The Slideless peer did not get a TCP port.');
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}`;
  let closing: Promise<void> | undefined;
  return {
    url: baseUrl,
    port: address.port,
    requests,
    stalledUploads: () => ctx.faults?.stalledUploads ?? 0,
    // Idempotent: a test may close a peer early to reopen its data folder, and close it again on teardown.
    close() {
      closing ??= app.close().then(() => store.close());
      return closing;
    },
  };
}

function buildPeerApp(ctx: PeerContext, requests: PeerRequest[], logRequests: boolean): FastifyInstance {
  const app = Fastify({
    logger: logRequests ? { level: 'info' } : false,
    // 'idle' would leave a keep-alive connection whose last answer is still flushing open for Fastify's 72 s keep-alive.
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 2048 },
  });
  app.addHook('onSend', async (request, reply, payload) => {
    requests.push({ method: request.method, path: request.url.split('?')[0]!, status: reply.statusCode });
    return payload;
  });
  app.setErrorHandler((error: FastifyError | SlidelessError, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) => {
    const error = new SlidelessError('not-found', `No endpoint ${request.method} ${request.url.split('?')[0]}.`);
    void reply.code(error.status).send(error.toBody());
  });

  // The Slideless API: faults first (as src-server/app.ts does), then the key, before any body is read.
  void app.register(async (api) => {
    api.addHook('onRequest', async (request, reply) => {
      await injectFaults(ctx, request, reply, request.routeOptions.url === '/uploadPresentationAsset');
      if (!reply.sent) authenticate(ctx, request);
    });
    api.addHook('onSend', async (request, _reply, payload) => {
      dropIfFaulted(request);
      return payload;
    });
    registerPrecheckRoute(api, ctx);
    registerUploadRoute(api, ctx);
    registerCommitRoute(api, ctx);
    // Cloud Functions answer a wrong method with 405 (api-reference/overview, status codes).
    for (const url of API_ROUTES) {
      api.route({
        method: ['GET', 'PUT', 'PATCH', 'DELETE'],
        url,
        handler: async () => {
          throw new SlidelessError('method-not-allowed', `${url} takes POST.`);
        },
      });
    }
  });
  // Peer-only read-back: the key for the manifest, the viewer token for the bytes; never faulted.
  void app.register(async (readBack) => {
    readBack.addHook('onRequest', async (request) => authenticate(ctx, request));
    registerManifestRoute(readBack, ctx);
  });
  void app.register(async (viewer) => registerViewerRoute(viewer, ctx));
  return app;
}
