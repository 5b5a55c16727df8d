import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { CloudflareError } from './cloudflare-errors.ts';
import type { CloudflarePeerContext } from './peer-context.ts';
import type { UploadSession } from './upload-sessions.ts';

const ACCOUNT_ID = /^[0-9a-f]{32}$/;

/** The bearer token of the request; no Authorization header is 9106, one not `Bearer <token>` is 6003. */
export function bearerOf(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (header === undefined) throw new CloudflareError('missing_credentials');
  const match = /^Bearer ([\x21-\x7e]{1,4096})$/.exec(header);
  if (!match) {
    throw new CloudflareError('invalid_request_headers', undefined, [
      { code: 6111, message: 'Invalid format for Authorization header' },
    ]);
  }
  return match[1]!;
}

/** Refuses a request that does not carry the peer's API token. */
export function requireApiToken(ctx: CloudflarePeerContext, request: FastifyRequest): void {
  const given = createHash('sha256').update(bearerOf(request)).digest();
  const wanted = createHash('sha256').update(ctx.apiKey).digest();
  if (!timingSafeEqual(given, wanted)) throw new CloudflareError('authentication_error');
}

/** Refuses a request whose `:accountId` is malformed (7003) or not the peer's account (9109). */
export function requireAccount(ctx: CloudflarePeerContext, request: FastifyRequest): void {
  const accountId = (request.params as { accountId?: string }).accountId;
  if (accountId === undefined) return;
  if (!ACCOUNT_ID.test(accountId)) {
    throw new CloudflareError(
      'could_not_route',
      `Could not route to ${request.url.split('?')[0]}, perhaps your object identifier is invalid?`,
    );
  }
  if (accountId !== ctx.accountId) throw new CloudflareError('unauthorized_account');
}

/** The session an upload's JWT (`Authorization: Bearer <upload token>`) opens. */
export function requireUploadSession(ctx: CloudflarePeerContext, request: FastifyRequest): UploadSession {
  const { check, session } = ctx.sessions.check(bearerOf(request), 'upload', ctx.accountId);
  if (!check.ok && check.reason === 'expired') {
    throw new CloudflareError('upload_token_expired', 'Expired JWT: the upload session is over; start a new one.');
  }
  if (!check.ok) {
    throw new CloudflareError(
      'upload_token_invalid',
      check.reason === 'wrong_kind'
        ? 'That is a completion token; upload with the JWT the assets-upload-session call answered.'
        : 'Send the upload JWT of an assets-upload-session as "Authorization: Bearer <jwt>".',
    );
  }
  if (!session) throw new CloudflareError('upload_token_invalid', 'The upload session of that JWT is unknown.');
  return session;
}

/** The complete session a deploy's `assets.jwt` names, for `scriptName`. */
export function requireCompletedSession(ctx: CloudflarePeerContext, jwt: string, scriptName: string): UploadSession {
  const { check, session } = ctx.sessions.check(jwt, 'completion', ctx.accountId);
  if (!check.ok && check.reason === 'expired') {
    throw new CloudflareError('upload_token_expired', 'Expired JWT: the assets completion token is over an hour old.');
  }
  if (!check.ok || !session) {
    throw new CloudflareError(
      'assets_token_invalid',
      !check.ok && check.reason === 'wrong_kind'
        ? 'assets.jwt is an upload token: upload every bucket first, then deploy with the completion token.'
        : 'assets.jwt is not a completion token of this account.',
    );
  }
  if (session.scriptName !== scriptName) {
    throw new CloudflareError(
      'assets_token_invalid',
      `assets.jwt completes an upload for Worker "${session.scriptName}", not "${scriptName}".`,
    );
  }
  return session;
}
