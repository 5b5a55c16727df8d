import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { HttpService, type HttpServiceOptions } from '../../http/http-service.ts';
import { seg, type Call } from '../../http/http-transport.ts';
import { withRetry, type RetryInfo } from '../../http/retry.ts';
import { badResponseError, ServiceError } from '../../http/service-error.ts';
import { cloudflareError, SERVICE, sessionExpired } from './cloudflare-error.ts';

/** Which Cloudflare account to talk to, and as whom. */
export interface CloudflareAccount {
  /** As CLOUDFLARE_API_BASE_URL: `https://api.cloudflare.com/client/v4` unless pointed elsewhere (a local peer). */
  apiUrl: string;
  /** CLOUDFLARE_API_TOKEN; sent only in the Authorization header, never in a message. */
  apiToken: string;
  /** CLOUDFLARE_ACCOUNT_ID: 32 hex characters. */
  accountId: string;
}

/** An assets manifest: `{"/path": {hash, size}}`, paths with a leading slash, as wrangler sends it. */
export type AssetManifest = Record<string, { hash: string; size: number }>;

/** What an assets-upload-session answers: the JWT, and the buckets of hashes to upload (none: the JWT completes). */
export interface AssetsSession {
  jwt: string;
  buckets: string[][];
}

/** A version of a Worker, as the versions API describes it (the fields we read). */
export interface WorkerVersion {
  id: string;
  number?: number;
  metadata?: { created_on?: string };
  annotations?: Record<string, string>;
}

/** A deployment of a Worker: which versions get what share of traffic. */
export interface WorkerDeployment {
  id: string;
  created_on?: string;
  versions: Array<{ version_id: string; percentage: number }>;
}

/** What one bucket upload reports back. */
export interface BucketUploadOptions {
  signal: AbortSignal;
  onBytesSent: (delta: number) => void;
  onRetry: (info: RetryInfo) => void;
}

/** A streamed request body of known size. */
export interface StreamedBody {
  size: number;
  contentType: string;
  open: () => Readable;
}

/** Cloudflare's code for a path its API does not have. */
const NO_ROUTE = 7000;

/**
 * The calls of Workers static assets' direct upload (Cloudflare's "Direct
 * Uploads" guide, and wrangler's deploy as its reference), and the few
 * Workers API reads around them, in Cloudflare's v4 envelope, over the
 * shared HttpService (pool, stall timer, retries with Retry-After).
 */
export class CloudflareClient {
  readonly #http: HttpService;
  readonly #account: string;

  constructor(account: CloudflareAccount, options: HttpServiceOptions = {}) {
    this.#account = `/accounts/${seg(account.accountId)}`;
    this.#http = new HttpService(
      {
        baseUrl: account.apiUrl,
        service: SERVICE,
        headers: { authorization: `Bearer ${account.apiToken}` },
        secrets: [account.apiToken],
        toError: cloudflareError,
      },
      options,
    );
  }

  /** The account's workers.dev subdomain (null when it has none): also proves the token and the account before a long hash. */
  async accountSubdomain(): Promise<string | null> {
    const request = 'GET workers.dev subdomain';
    try {
      const result = await this.#result<{ subdomain?: unknown }>({
        method: 'GET',
        path: `${this.#account}/workers/subdomain`,
        request,
      });
      return typeof result.subdomain === 'string' && result.subdomain !== '' ? result.subdomain : null;
    } catch (error) {
      // The token and account are good; the account just never registered a workers.dev subdomain. But 7000
      // ("No route for that URI") is a base URL that is not the API's (…/client/v4 left out): not a subdomain answer.
      if (
        error instanceof ServiceError &&
        error.code === 'cloudflare_not_found' &&
        error.details.cloudflareCode !== NO_ROUTE
      )
        return null;
      throw error;
    }
  }

  /** Step 1: the manifest; the answer holds the JWT (a secret) and the buckets of what the account lacks. */
  async createAssetsSession(scriptName: string, manifest: AssetManifest): Promise<AssetsSession> {
    const request = `POST assets-upload-session of ${scriptName}`;
    const result = await this.#result<Partial<AssetsSession>>({
      method: 'POST',
      path: `${this.#account}/workers/scripts/${seg(scriptName)}/assets-upload-session`,
      request,
      json: { manifest },
    });
    const buckets = result.buckets ?? [];
    if (typeof result.jwt !== 'string' || result.jwt === '')
      throw badResponseError(request, 200, '"jwt" is missing', SERVICE);
    if (!Array.isArray(buckets) || !buckets.every((bucket) => Array.isArray(bucket)))
      throw badResponseError(request, 200, '"buckets" is not a list of lists of hashes', SERVICE);
    return { jwt: result.jwt, buckets };
  }

  /**
   * Step 2: one bucket, as multipart with base64 parts, authenticated with
   * the session's JWT instead of the API token. Answers the completion JWT
   * when this was the bucket that completed the session (201), else null
   * (202). A 401 means the JWT is over: `upload_session_expired`.
   */
  async uploadBucket(jwt: string, body: StreamedBody, options: BucketUploadOptions): Promise<string | null> {
    const request = `POST assets upload (${body.size} bytes)`;
    try {
      const answer = await this.#http.call(
        {
          method: 'POST',
          path: `${this.#account}/workers/assets/upload?base64=true`,
          request,
          upload: { ...body, onBytesSent: options.onBytesSent },
          headers: { authorization: `Bearer ${jwt}` },
          secrets: [jwt],
          signal: options.signal,
        },
        options.onRetry,
      );
      const result = envelopeResult<{ jwt?: unknown } | null>(answer, request);
      return typeof result?.jwt === 'string' && result.jwt !== '' ? result.jwt : null;
    } catch (error) {
      if (error instanceof ServiceError && error.status === 401)
        throw sessionExpired(error, 'The upload session is over; PressDrop starts a new one.');
      throw error;
    }
  }

  /**
   * Step 3: uploads the Worker (PUT, which also deploys it). If an answer
   * is lost, each retry first asks `recover` whether the earlier attempt
   * landed, and answers that instead of deploying twice.
   */
  async putScript<T>(
    scriptName: string,
    metadata: Record<string, unknown>,
    recover: () => Promise<T | null>,
  ): Promise<{ landed: Record<string, unknown> } | { recovered: T }> {
    const request = `PUT Worker ${scriptName}`;
    const form = multipartFields({ metadata: JSON.stringify(metadata) });
    const call: Call = {
      method: 'PUT',
      path: `${this.#account}/workers/scripts/${seg(scriptName)}`,
      request,
      upload: { size: form.size, open: form.open, contentType: form.contentType },
    };
    const jwt = (metadata.assets as { jwt?: string } | undefined)?.jwt;
    if (jwt) call.secrets = [jwt];
    return withRetry(async (attempt) => {
      // Only a retry can follow a PUT that landed.
      const recovered = attempt > 1 ? await recover() : null;
      if (recovered !== null) return { recovered };
      // A completion JWT refused (expired, or unknown) is `upload_session_expired` by its code: a new session gives another.
      return { landed: envelopeResult<Record<string, unknown>>(await this.#http.send(call), request) };
    }, this.#http.retryOptions(request));
  }

  /** One version of a Worker. */
  async getVersion(scriptName: string, versionId: string): Promise<WorkerVersion> {
    return this.#result<WorkerVersion>({
      method: 'GET',
      path: `${this.#account}/workers/scripts/${seg(scriptName)}/versions/${seg(versionId)}`,
      request: `GET version ${versionId} of ${scriptName}`,
    });
  }

  /** A Worker's deployments, newest first; none for a Worker that does not exist yet. */
  async deployments(scriptName: string): Promise<WorkerDeployment[]> {
    try {
      const result = await this.#result<{ deployments?: WorkerDeployment[] }>({
        method: 'GET',
        path: `${this.#account}/workers/scripts/${seg(scriptName)}/deployments`,
        request: `GET deployments of ${scriptName}`,
      });
      return Array.isArray(result.deployments) ? result.deployments : [];
    } catch (error) {
      if (error instanceof ServiceError && error.status === 404) return [];
      throw error;
    }
  }

  /** Whether the Worker answers on its workers.dev URL. */
  async workersDevEnabled(scriptName: string): Promise<boolean> {
    const result = await this.#result<{ enabled?: unknown }>({
      method: 'GET',
      path: `${this.#account}/workers/scripts/${seg(scriptName)}/subdomain`,
      request: `GET workers.dev setting of ${scriptName}`,
    });
    return result.enabled === true;
  }

  /** Turns the Worker's workers.dev URL on, as wrangler does by default for a Worker with no routes. */
  async enableWorkersDev(scriptName: string): Promise<void> {
    await this.#result({
      method: 'POST',
      path: `${this.#account}/workers/scripts/${seg(scriptName)}/subdomain`,
      request: `POST workers.dev setting of ${scriptName}`,
      json: { enabled: true },
    });
  }

  /** Closes the connections; requests in flight or waiting to retry end with `aborted`. */
  async close(): Promise<void> {
    await this.#http.close();
  }

  async #result<T>(call: Call): Promise<T> {
    return envelopeResult<T>(await this.#http.call(call), call.request);
  }
}

/** The `result` of a 2xx envelope; a body that is not `{success: true, …}` breaks the API's promise. */
function envelopeResult<T>(body: unknown, request: string): T {
  const envelope = body as { success?: unknown; result?: unknown };
  if (envelope.success !== true) throw badResponseError(request, 200, 'not an envelope with "success": true', SERVICE);
  return (envelope.result ?? null) as T;
}

/** A small multipart/form-data body of plain text fields. */
function multipartFields(fields: Record<string, string>): StreamedBody {
  const boundary = `pressdrop-${randomBytes(12).toString('hex')}`;
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  const bytes = Buffer.from(`${parts.join('')}--${boundary}--\r\n`);
  return {
    size: bytes.length,
    contentType: `multipart/form-data; boundary=${boundary}`,
    open: () => Readable.from([bytes]),
  };
}
