import { isUtf8 } from 'node:buffer';
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './api-error.ts';
import { inTransaction } from './database.ts';
import type { Metadata } from './metadata.ts';

/** How long a key's result is replayed, from the contract. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/** A status and JSON body, as a create-type operation answers and a replay repeats. */
export interface Outcome {
  status: number;
  body: unknown;
}

/** The caller's view of one idempotent request: who, which key, which request. */
export interface IdempotentRequest {
  apiKeyId: string;
  apiKeySecret: string;
  key: string | undefined;
  fingerprint: string;
}

/**
 * Idempotency-Key handling for create-type operations. A 2xx result is saved
 * with the key and replayed for 24 h; the same key with another request is
 * `409 idempotency_key_conflict`. Failures are not saved: they created
 * nothing, so a retry runs again and sees the current state (a commit that
 * failed with blobs_missing can be retried with its key once they are up).
 *
 * A saved body can hold a secret (the upload token), so it is stored
 * encrypted with a key derived from the caller's API key, which the
 * database never holds: the replay can decrypt it, a copy of the file cannot.
 */
export class Idempotency {
  readonly #metadata: Metadata;
  readonly #now: () => number;

  constructor(metadata: Metadata, now: () => number) {
    this.#metadata = metadata;
    this.#now = now;
  }

  /**
   * Answers a create-type request: the saved outcome when this is a replay;
   * otherwise `prepare` validates (and may await, e.g. for disk checks) and
   * returns the write, which runs synchronously in one transaction.
   */
  async answer(
    request: FastifyRequest,
    reply: FastifyReply,
    prepare: () => Promise<() => Outcome> | (() => Outcome),
  ): Promise<FastifyReply> {
    const key = idempotencyKeyOf(request);
    const idempotent: IdempotentRequest = {
      apiKeyId: request.apiKeyId,
      apiKeySecret: request.apiKeySecret,
      key,
      // Only a key's saved result is compared with it, so a request without a key skips walking its body.
      fingerprint: key === undefined ? '' : requestFingerprint(request),
    };
    const outcome = this.replay(idempotent) ?? this.run(idempotent, await prepare());
    return reply.code(outcome.status).send(outcome.body);
  }

  /** The saved outcome of this request, or null when the key is new (or absent). */
  replay(request: IdempotentRequest): Outcome | null {
    if (request.key === undefined) return null;
    const saved = this.#metadata.idempotentResult(request.apiKeyId, request.key, this.#now() - IDEMPOTENCY_WINDOW_MS);
    if (!saved) return null;
    if (saved.fingerprint !== request.fingerprint) {
      throw new ApiError(
        'idempotency_key_conflict',
        `Idempotency-Key "${request.key}" was used within 24 h for a different request; use a new key for a new request.`,
      );
    }
    return { status: saved.status, body: JSON.parse(decrypt(saved.body, sealingKey(request))) };
  }

  /**
   * Runs `write` in one write transaction and saves its 2xx outcome under
   * the key in that same transaction. Checks for a replay again inside it,
   * since a twin request may have finished while this one was awaiting.
   */
  run(request: IdempotentRequest, write: () => Outcome): Outcome {
    return inTransaction(this.#metadata.db, () => {
      const replayed = this.replay(request);
      if (replayed) return replayed;
      const outcome = write();
      if (request.key !== undefined && outcome.status >= 200 && outcome.status < 300) {
        const now = this.#now();
        this.#metadata.purgeIdempotentResults(now - IDEMPOTENCY_WINDOW_MS);
        this.#metadata.saveIdempotentResult(
          request.apiKeyId,
          request.key,
          request.fingerprint,
          outcome.status,
          encrypt(JSON.stringify(outcome.body), sealingKey(request)),
          now,
        );
      }
      return outcome;
    });
  }
}

/** The Idempotency-Key header, checked: 1-255 visible ASCII characters. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['idempotency-key'];
  if (header === undefined) return undefined;
  if (typeof header !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(header)) {
    throw new ApiError('invalid_request', 'Idempotency-Key: must be 1-255 visible ASCII characters, e.g. a UUID.');
  }
  return header;
}

/**
 * What makes two requests "the same": method, path and the JSON body with
 * its keys sorted. The path is the route's pattern with its decoded
 * parameters put back, so every spelling of one URL is the same request.
 */
export function requestFingerprint(request: FastifyRequest): string {
  const params = request.params as Record<string, string>;
  const path = (request.routeOptions.url ?? '').replace(/:(\w+)/g, (_, name: string) => params[name] ?? '');
  // Two updates, not one template string: joined, a 3 MB body became a rope that V8 flattened first (~20 ms).
  const hash = createHash('sha256').update(`${request.method} ${path}\n`);
  // A body sent in the canonical form already (PressDrop's client sends it so) is hashed as it came:
  // checking its bytes takes a few ms of a 3 MB body, writing the form again ~20.
  const bytes = request.jsonBytes;
  if (bytes !== null && isCanonicalJson(bytes)) return hash.update(bytes).digest('hex');
  return hash.update(stableJson(request.body)).digest('hex');
}

/**
 * JSON with every object's keys in UTF-16 code-unit order (the default sort). Saved fingerprints are
 * compared with new ones, so this form must not change.
 *
 * Given a property list, JSON.stringify writes each object's keys in the list's order and skips those
 * it lacks: with every key of the body, sorted, it builds this form natively, in half the time of a
 * walk for a 20,000-file body. But it reads every listed key of every object, so only for a few keys;
 * and `__proto__` would read an inherited value, so not with that one.
 */
export function stableJson(value: unknown): string {
  // A body whose every object already lists its keys in order (PressDrop's client sends them so) is its
  // own canonical form: JSON.stringify writes it on V8's fast path, ~5× quicker than with a key list.
  if (keysInOrder(value)) return JSON.stringify(value) ?? 'null';
  const keys = new Set<string>();
  if (collectKeys(value, keys, MAX_LISTED_KEYS) && !keys.has('__proto__')) {
    return JSON.stringify(value, [...keys].sort()) ?? 'null';
  }
  return stableJsonWalk(value);
}

const MAX_LISTED_KEYS = 64;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/**
 * Whether `bytes`, a JSON text that parsed, are exactly the UTF-8 of `stableJson` of the value they
 * parse to: valid UTF-8, no space between tokens, no escape in any string (false for any backslash:
 * only some escapes are canonical, and it is rare), numbers as JSON.stringify writes them, and each
 * object's keys in strictly ascending order (so none repeats; only ASCII keys, whose byte order is
 * their UTF-16 order). False means only "not shown to be": the caller then writes the form.
 */
export function isCanonicalJson(bytes: Buffer): boolean {
  if (bytes.indexOf(BACKSLASH) !== -1 || !isUtf8(bytes)) return false;
  // Per open array or object: -1 for an array, 0 for an object before its first key, else the
  // previous key's end; keyStarts holds its start.
  const keyEnds: number[] = [];
  const keyStarts: number[] = [];
  const length = bytes.length;
  let i = 0;
  while (i < length) {
    const c = bytes[i]!;
    if (c === QUOTE) {
      let end = i + 1;
      let high = 0;
      for (; end < length; end++) {
        const b = bytes[end]!;
        if (b === QUOTE) break;
        if (b < 0x20) return false;
        high |= b & 0x80;
      }
      if (end >= length) return false;
      if (bytes[end + 1] === COLON) {
        const top = keyEnds.length - 1;
        const previousEnd = keyEnds[top];
        if (previousEnd === undefined || previousEnd < 0 || high !== 0) return false;
        if (previousEnd > 0 && !bytesAscend(bytes, keyStarts[top]!, previousEnd, i + 1, end)) return false;
        keyStarts[top] = i + 1;
        keyEnds[top] = end;
        i = end + 2;
      } else {
        i = end + 1;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      keyEnds.push(c === 0x7b ? 0 : -1);
      keyStarts.push(0);
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (keyEnds.pop() === undefined) return false;
      keyStarts.pop();
      i++;
    } else if (c === 0x2c /* , */) {
      i++;
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      let end = i + 1;
      while (end < length && isNumberByte(bytes[end]!)) end++;
      if (!isCanonicalNumber(bytes, i, end)) return false;
      i = end;
    } else if (c === 0x74 /* t */ || c === 0x6e /* n */) {
      i += 4;
    } else if (c === 0x66 /* f */) {
      i += 5;
    } else {
      return false;
    }
  }
  return keyEnds.length === 0;
}

/** Whether bytes [aStart, aEnd) sort strictly before [bStart, bEnd). */
function bytesAscend(bytes: Uint8Array, aStart: number, aEnd: number, bStart: number, bEnd: number): boolean {
  const common = Math.min(aEnd - aStart, bEnd - bStart);
  for (let k = 0; k < common; k++) {
    const a = bytes[aStart + k]!;
    const b = bytes[bStart + k]!;
    if (a !== b) return a < b;
  }
  return aEnd - aStart < bEnd - bStart;
}

function isNumberByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2b || b === 0x2e || b === 0x45 || b === 0x65;
}

/** Whether the number token [start, end) is written as JSON.stringify writes its value. */
function isCanonicalNumber(bytes: Buffer, start: number, end: number): boolean {
  const digits = bytes[start] === 0x2d ? start + 1 : start;
  // An integer of up to 15 digits without a leading zero is its own form (not -0, which is written 0).
  let plain = end > digits && end - digits <= 15 && (bytes[digits] !== 0x30 || end - digits === 1);
  for (let k = digits; plain && k < end; k++) plain = bytes[k]! >= 0x30 && bytes[k]! <= 0x39;
  if (plain) return !(digits > start && bytes[digits] === 0x30);
  const text = bytes.toString('latin1', start, end);
  return JSON.stringify(Number(text)) === text;
}

/** Whether every object in `value` has its own keys in ascending order, as JSON.stringify will write them. */
function keysInOrder(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) {
    for (const item of value) if (!keysInOrder(item)) return false;
    return true;
  }
  // for…in walks the keys in Object.keys order without building an array of them: 20,000 files in
  // ~1 ms instead of 3-40 ms (mostly the garbage). A parsed body inherits no enumerable key.
  let previous: string | undefined;
  for (const key in value) {
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    if (!keysInOrder((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** Adds the object keys found in `value` to `keys`; false as soon as there are more than `max`. */
function collectKeys(value: unknown, keys: Set<string>, max: number): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every((item) => collectKeys(item, keys, max));
  for (const key of Object.keys(value)) {
    keys.add(key);
    if (keys.size > max || !collectKeys((value as Record<string, unknown>)[key], keys, max)) return false;
  }
  return true;
}

/** `stableJson` for any body, as one string built left to right. */
function stableJsonWalk(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + stableJsonWalk(value[i]);
    return out + ']';
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    out += (i === 0 ? '' : ',') + JSON.stringify(keys[i]) + ':' + stableJsonWalk(record[keys[i]!]);
  }
  return out + '}';
}

function sealingKey(request: IdempotentRequest): Buffer {
  return createHmac('sha256', request.apiKeySecret).update(`idempotency:${request.key}`).digest();
}

function encrypt(plaintext: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64');
}

function decrypt(stored: string, key: Buffer): string {
  const raw = Buffer.from(stored, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
}
