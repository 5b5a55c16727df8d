import type { FastifyRequest } from 'fastify';
import type { FaultDecision, FaultInjector } from '../../faults.ts';
import type { AssetBlobs } from './asset-blobs.ts';
import { SlidelessError } from './slideless-errors.ts';
import type { SlidelessLimits } from './slideless-limits.ts';
import type { Presentation, SlidelessStore, UploadSession } from './slideless-store.ts';

/** What every route of the peer works with. */
export interface PeerContext {
  store: SlidelessStore;
  blobs: AssetBlobs;
  limits: SlidelessLimits;
  faults: FaultInjector | null;
  /** Milliseconds since the epoch; tests may move it on to expire sessions. */
  now(): number;
  /** The peer's own base URL (known once it listens), for share URLs. */
  baseUrl(): string;
  /** Owners (`ownerOf(key)`) of the keys the peer accepts. */
  acceptedOwners: ReadonlySet<string>;
}

// Per-request state lives in WeakMaps rather than Fastify request
// decorations: the main server already augments FastifyRequest, and this
// peer should not depend on (or collide with) its declarations.
const owners = new WeakMap<FastifyRequest, string>();
const faultDecisions = new WeakMap<FastifyRequest, FaultDecision>();

/** Records who sent the request (set by the auth hook). */
export function setRequestOwner(request: FastifyRequest, owner: string): void {
  owners.set(request, owner);
}

/** Who sent the request: the owner id of its API key. */
export function requestOwner(request: FastifyRequest): string {
  const owner = owners.get(request);
  if (owner === undefined) throw new SlidelessError('unauthenticated');
  return owner;
}

/** Records the injected fault drawn for a request. */
export function setRequestFault(request: FastifyRequest, fault: FaultDecision): void {
  faultDecisions.set(request, fault);
}

/** The injected fault drawn for a request (`none` without --faults). */
export function requestFault(request: FastifyRequest): FaultDecision {
  return faultDecisions.get(request) ?? { kind: 'none' };
}

/** The session `sessionId` when it is live and `owner`'s: 404 when unknown, used or expired, 403 when another key's. */
export function liveSession(ctx: PeerContext, sessionId: string, owner: string): UploadSession {
  const session = ctx.store.session(sessionId);
  if (!session) {
    throw new SlidelessError(
      'not-found',
      `No upload session ${JSON.stringify(sessionId)} (unknown, or already committed).`,
    );
  }
  if (session.expiresAt <= ctx.now()) {
    throw new SlidelessError('not-found', `Upload session ${sessionId} has expired (sessions last 1 hour).`, {
      nextAction: 'Start over: call precheckAssets without sessionId or presentationId for a new session.',
    });
  }
  if (session.owner !== owner) {
    throw new SlidelessError('permission-denied', `Upload session ${sessionId} belongs to another API key.`);
  }
  return session;
}

/** The committed presentation `presentationId` when `owner` owns it: 404 when unknown, 403 when another key's. */
export function ownedPresentation(ctx: PeerContext, presentationId: string, owner: string): Presentation {
  const presentation = ctx.store.presentation(presentationId);
  if (!presentation) {
    throw new SlidelessError('not-found', `No presentation ${JSON.stringify(presentationId)}.`);
  }
  if (presentation.owner !== owner) {
    throw new SlidelessError('permission-denied', `Presentation ${presentationId} is owned by another API key.`);
  }
  return presentation;
}

/** The viewer URL of a presentation on this peer (peer-only route `GET /p/{id}/`). */
export function shareUrlOf(ctx: PeerContext, presentation: Presentation): string {
  return `${ctx.baseUrl()}/p/${encodeURIComponent(presentation.id)}/?token=${presentation.token}`;
}
