import type { Readable } from 'node:stream';
import { HttpService, type HttpServiceOptions } from '../../http/http-service.ts';
import { expectFields, field, seg } from '../../http/http-transport.ts';
import type { RetryInfo } from '../../http/retry.ts';
import { isNotFound, slidelessError } from './slideless-error.ts';
import { multipartBody } from './slideless-multipart.ts';

/** Where a Slideless request goes: an existing presentation, or a new-presentation session. */
export type SlidelessInto = { presentationId: string } | { sessionId: string };

/** One file of a commit's manifest, as commitPresentationVersion takes it. */
export interface ManifestFile {
  path: string;
  sha256: string;
  size: number;
  contentType: string;
}

/** `POST /commitPresentationVersion`'s body (api-reference/commit-presentation-version). */
export type CommitBody = SlidelessInto & {
  title?: string;
  entryPath: string;
  files: ManifestFile[];
  expectedBaseVersion?: number;
};

/** The commit's answer: the presentation, its new version, and the share URL the API returns. */
export interface CommitAnswer {
  presentationId: string;
  version: number;
  shareUrl?: string;
  role?: 'owner' | 'dev';
}

/** One version's manifest, as getPresentationVersion answers it. */
export interface VersionManifest {
  version: number;
  title: string;
  entryPath: string;
  files: ManifestFile[];
  createdAt: string;
}

/** The peer-only read-back `GET /presentations/{id}`: the latest version's manifest, with currentVersion and shareUrl. */
type PeerReadBack = VersionManifest & { currentVersion: number; shareUrl?: string };

const SERVICE = 'Slideless';

/**
 * Slideless's presentation upload API (precheckAssets, uploadPresentationAsset,
 * commitPresentationVersion) and the reads a commit whose answer was lost
 * needs, over one HttpService: `Authorization: Bearer cko_…`, the
 * `{success, data}` envelope unwrapped, errors in Slideless's words.
 */
export class SlidelessClient {
  /** The API's base URL, as the presentations this client makes are recorded with (slideless.json's baseUrl). */
  readonly apiUrl: string;
  readonly #http: HttpService;

  constructor(account: { apiUrl: string; apiKey: string }, options: HttpServiceOptions = {}) {
    this.apiUrl = account.apiUrl;
    this.#http = new HttpService(
      {
        baseUrl: account.apiUrl,
        service: SERVICE,
        headers: { authorization: `Bearer ${account.apiKey}` },
        secrets: [account.apiKey],
        toError: slidelessError,
      },
      options,
    );
  }

  /**
   * `POST /precheckAssets`: which of `hashes` (at most 2,000) the target
   * lacks. Without a target it opens a new-presentation session and
   * reserves the presentation id, both in the answer.
   */
  async precheck(
    hashes: readonly string[],
    into: SlidelessInto | null,
    signal?: AbortSignal,
  ): Promise<{ missing: string[]; sessionId?: string; presentationId?: string }> {
    const request = `precheckAssets (${hashes.length} hashes)`;
    const data = await this.#data(
      { method: 'POST', path: '/precheckAssets', request, json: { hashes, ...into }, signal },
      ['missing'],
    );
    return data as { missing: string[]; sessionId?: string; presentationId?: string };
  }

  /**
   * `POST /uploadPresentationAsset`: one blob as multipart/form-data
   * (sha256, contentType, the target, the file), streamed; `onBytesSent`
   * counts the file's bytes, not the framing's. Retried on its own.
   */
  async upload(
    blob: { sha256: string; size: number; contentType: string; open: () => Readable },
    into: SlidelessInto,
    progress: { signal: AbortSignal; onBytesSent: (delta: number) => void; onRetry: (info: RetryInfo) => void },
  ): Promise<void> {
    const target =
      'sessionId' in into
        ? (['sessionId', into.sessionId] as const)
        : (['presentationId', into.presentationId] as const);
    const body = multipartBody([target, ['sha256', blob.sha256], ['contentType', blob.contentType]], {
      name: 'file',
      fileName: blob.sha256,
      size: blob.size,
      open: blob.open,
    });
    let bodySent = 0;
    const request = `uploadPresentationAsset ${blob.sha256.slice(0, 12)}…`;
    const answer = await this.#http.call(
      {
        method: 'POST',
        path: '/uploadPresentationAsset',
        request,
        signal: progress.signal,
        upload: {
          size: body.size,
          contentType: body.contentType,
          open: body.open,
          onBytesSent: (delta) => {
            const before = body.fileBytesWithin(bodySent);
            bodySent += delta;
            const change = body.fileBytesWithin(bodySent) - before;
            if (change !== 0) progress.onBytesSent(change);
          },
        },
      },
      progress.onRetry,
    );
    field(answer, 'data', request, SERVICE);
  }

  /** `POST /commitPresentationVersion`, one attempt: the caller retries, as it must first know whether a lost answer's commit landed. */
  async commitOnce(body: CommitBody, signal?: AbortSignal): Promise<CommitAnswer> {
    const data = await this.#dataOnce(
      { method: 'POST', path: '/commitPresentationVersion', request: 'commitPresentationVersion', json: body, signal },
      ['presentationId', 'version'],
    );
    return data as CommitAnswer;
  }

  /**
   * Version `version` of the presentation: `GET /getPresentationVersion/{id}/{n}`;
   * where that route is not served (the local peer), the peer's read-back of
   * the latest version when it is that one. Null when neither can tell.
   */
  async version(presentationId: string, version: number, signal?: AbortSignal): Promise<VersionManifest | null> {
    try {
      return (await this.#data(
        {
          method: 'GET',
          path: `/getPresentationVersion/${seg(presentationId)}/${version}`,
          request: `getPresentationVersion ${presentationId} v${version}`,
          signal,
        },
        ['version', 'entryPath', 'files'],
      )) as VersionManifest;
    } catch (error) {
      if (!isNotFound(error)) throw error;
      const latest = await this.#peerReadBack(presentationId, signal);
      return latest?.currentVersion === version ? latest : null;
    }
  }

  /**
   * The presentation's current version: `GET /listPresentationVersions/{id}`;
   * where that route is not served (the local peer), the peer's read-back.
   * A presentation that does not exist is Slideless's 404 not-found.
   */
  async currentVersion(presentationId: string, signal?: AbortSignal): Promise<number> {
    try {
      const data = await this.#data(
        {
          method: 'GET',
          path: `/listPresentationVersions/${seg(presentationId)}`,
          request: `listPresentationVersions ${presentationId}`,
          signal,
        },
        ['currentVersion'],
      );
      return (data as { currentVersion: number }).currentVersion;
    } catch (error) {
      if (!isNotFound(error)) throw error;
      const latest = await this.#peerReadBack(presentationId, signal);
      if (!latest) throw error;
      return latest.currentVersion;
    }
  }

  /**
   * The presentation's share URL: `GET /getSharedPresentationInfo/{id}`'s
   * primaryShareUrl, else the peer's read-back's; null when neither says.
   */
  async shareUrl(presentationId: string, signal?: AbortSignal): Promise<string | null> {
    try {
      const data = await this.#data(
        {
          method: 'GET',
          path: `/getSharedPresentationInfo/${seg(presentationId)}`,
          request: `getSharedPresentationInfo ${presentationId}`,
          signal,
        },
        [],
      );
      return (data as { primaryShareUrl?: string | null }).primaryShareUrl ?? null;
    } catch (error) {
      if (!isNotFound(error)) throw error;
      return (await this.#peerReadBack(presentationId, signal))?.shareUrl ?? null;
    }
  }

  /** Retry options for a loop of the caller's own (the commit). */
  retryOptions(request: string, signal?: AbortSignal): ReturnType<HttpService['retryOptions']> {
    return this.#http.retryOptions(request, signal);
  }

  async close(): Promise<void> {
    await this.#http.close();
  }

  /** The local peer's `GET /presentations/{id}` (not Slideless's API: its stand-in for the reads above); null on 404. */
  async #peerReadBack(presentationId: string, signal?: AbortSignal): Promise<PeerReadBack | null> {
    try {
      return (await this.#data(
        {
          method: 'GET',
          path: `/presentations/${seg(presentationId)}`,
          request: `read back ${presentationId}`,
          signal,
        },
        ['currentVersion', 'version', 'entryPath', 'files'],
      )) as PeerReadBack;
    } catch (error) {
      if (isNotFound(error)) return null;
      throw error;
    }
  }

  /** Sends with retries and unwraps `{success: true, data}`, checking `data` has `names`. */
  async #data(call: Parameters<HttpService['call']>[0], names: string[]): Promise<unknown> {
    return dataOf(await this.#http.call(call), names, call.request);
  }

  async #dataOnce(call: Parameters<HttpService['send']>[0], names: string[]): Promise<unknown> {
    return dataOf(await this.#http.send(call), names, call.request);
  }
}

function dataOf(answer: unknown, names: string[], request: string): unknown {
  return expectFields(field(answer, 'data', request, SERVICE), names, request, SERVICE);
}
