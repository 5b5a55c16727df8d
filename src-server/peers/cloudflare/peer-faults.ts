import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FaultDecision, FaultInjector } from '../../faults.ts';
import { CloudflareError } from './cloudflare-errors.ts';
import { discardUnreadBody } from './request-body.ts';

const NO_FAULT: FaultDecision = { kind: 'none' };
const decisions = new WeakMap<FastifyRequest, FaultDecision>();

/** What the injector decided for this request (`none` when faults are off). */
export function faultOf(request: FastifyRequest): FaultDecision {
  return decisions.get(request) ?? NO_FAULT;
}

/**
 * Applies `--faults` to one API request before it is handled, as the local
 * Press Cloud does: latency first, then 503 or 429 (with Retry-After)
 * answered in Cloudflare's envelope instead of handling it. A mid-body
 * reset is allowed only where the handler streams the body (`streamed`);
 * "drop" is applied in onSend by `dropIfFaulted`.
 */
export async function injectFaults(
  faults: FaultInjector | null,
  request: FastifyRequest,
  reply: FastifyReply,
  streamed: boolean,
): Promise<void> {
  if (!faults) return;
  const delay = faults.latencyMs();
  if (delay > 0) await sleep(delay);
  const decision = faults.decide(streamed);
  decisions.set(request, decision);
  if (decision.kind === 'unavailable') {
    discardUnreadBody(request);
    const error = new CloudflareError('service_unavailable', 'Injected fault: service temporarily unavailable.');
    reply.code(error.status).send(error.toBody());
  } else if (decision.kind === 'rate_limited') {
    discardUnreadBody(request);
    const error = new CloudflareError(
      'rate_limited',
      `Injected fault: rate limited; retry after ${decision.retryAfterSeconds} s.`,
    );
    reply.code(error.status).header('retry-after', String(decision.retryAfterSeconds)).send(error.toBody());
  } else if (decision.kind === 'stall') {
    reply.hijack(); // never answered (see src-server/app.ts)
  }
}

/** A "drop" fault: the work is done, then the connection is cut before the answer leaves. */
export function dropIfFaulted(request: FastifyRequest): void {
  if (faultOf(request).kind === 'drop') request.raw.socket?.destroy();
}
