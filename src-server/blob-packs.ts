import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  fdatasync,
  fstatSync,
  fsync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
  writevSync,
  type ReadStream,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { syncDir } from './sync-rounds.ts';

const fdatasyncAsync = promisify(fdatasync);
const fsyncAsync = promisify(fsync);

/** A pack takes records until it holds this many bytes; then it is sealed and the next one starts. */
const PACK_MAX_BYTES = 32 * 1024 * 1024;
/** Before each record: the magic, the blob's SHA-256 (raw) and its size (uint32 LE). */
const MAGIC = Buffer.from('PDB1');
const HEADER_BYTES = MAGIC.length + 32 + 4;
/** A sealed pack's index entry: SHA-256 (raw), the data's offset and its size (uint32 LE each). */
const INDEX_ENTRY_BYTES = 32 + 4 + 4;
const PACK_NAME = /^(\d{6})\.pack$/;

/** Where a packed blob's bytes are. */
interface Packed {
  pack: string;
  offset: number;
  size: number;
}

/** One record as read back from a pack. */
export interface PackRecord {
  sha256: string;
  offset: number;
  size: number;
}

/** A checked blob waiting for the next round to write it to a pack and sync it. */
interface Arrival {
  sha256: string;
  chunks: Buffer[];
  size: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** A pack this process writes to, or wrote to and has not sealed yet. */
interface OpenPack {
  path: string;
  fd: number;
  /** Where the next record goes: the end of the records written so far. */
  tail: number;
  /** Its records that are durable, in order: what its index will list. */
  records: PackRecord[];
  /** Whether its own entry in the packs folder is durable (a new pack's is synced before its first answer). */
  nameDurable: boolean;
}

/**
 * Small blobs, appended to pack files: one fdatasync makes a whole round of
 * arrivals durable, where a file per blob costs a file creation, a data sync,
 * a rename and a folder sync each (on this project's test VM, ~0.7 ms of a
 * core per blob, which was most of a 20,000-file first deploy).
 *
 * `packs/000001.pack` holds records back to back: header (`PDB1`, SHA-256,
 * size) and bytes. One round runs at a time (group commit): it takes every
 * blob checked since the last one, writes their records with one writev
 * (to the page cache, on this thread: cheaper than a thread-pool trip, and
 * one call for many records), syncs the pack's data once, and answers
 * them all.
 *
 * A pack past PACK_MAX_BYTES is retired: new records go to a new pack, and
 * once its last records are durable it is sealed with an index
 * (`000001.idx`: entries, then the SHA-256 of the entries), synced and
 * renamed in. At open, a sealed pack is known from its index; a pack
 * without one is read through and each record checked against its name.
 * The first one that is not whole is where a kill cut the writing (nothing
 * from there on was answered), and the pack is truncated there. Blobs are
 * never deleted, so the whole index lives in memory.
 */
export class BlobPacks {
  readonly #dir: string;
  /** Durable records, by SHA-256. */
  readonly #entries = new Map<string, Packed>();
  /** Blobs on their way into a pack, by SHA-256: a twin waits for the same round. */
  readonly #writing = new Map<string, Promise<void>>();
  #active: OpenPack | null = null;
  /** Packs full or broken, to be sealed once nothing in them waits for a sync. */
  #retired: OpenPack[] = [];
  #nextNumber = 1;
  #arrivals: Arrival[] = [];
  /** Whether the loop that writes, syncs and seals runs; `#idle` settles when it stops. */
  #running = false;
  #idle: Promise<void> = Promise.resolve();
  #closed = false;

  private constructor(dir: string) {
    this.#dir = dir;
  }

  /** Opens the packs under `dir`: reads sealed indexes, checks the growing pack and cuts a torn tail. */
  static async open(dir: string): Promise<BlobPacks> {
    const packs = new BlobPacks(dir);
    mkdirSync(dir, { recursive: true });
    const names = readdirSync(dir);
    for (const name of names) if (name.endsWith('.tmp')) rmSync(join(dir, name), { force: true });
    const numbers = names
      .map((name) => PACK_NAME.exec(name)?.[1])
      .filter((number): number is string => number !== undefined)
      .sort();
    for (const [i, number] of numbers.entries()) {
      const path = join(dir, `${number}.pack`);
      const sealed = readIndex(join(dir, `${number}.idx`));
      if (sealed !== null) {
        for (const record of sealed) packs.#entries.set(record.sha256, { pack: path, ...record });
        continue;
      }
      const { records, end } = readPackRecords(path, { verify: true });
      const fd = openSync(path, 'r+');
      if (fstatSync(fd).size > end) {
        ftruncateSync(fd, end);
        fsyncSync(fd);
      }
      for (const record of records) packs.#entries.set(record.sha256, { pack: path, ...record });
      const pack: OpenPack = { path, fd, tail: end, records, nameDurable: true };
      // Only the last pack still grows; one that lost its index (a seal cut short) is sealed again.
      if (i === numbers.length - 1) packs.#active = pack;
      else await packs.#seal(pack);
    }
    packs.#nextNumber = numbers.length > 0 ? Number(numbers.at(-1)) + 1 : 1;
    return packs;
  }

  /** The packed blob's size, or undefined when it is not durably in a pack. */
  sizeOf(sha256: string): number | undefined {
    return this.#entries.get(sha256)?.size;
  }

  /** The packed blob's bytes (or the inclusive range asked for); only for a blob `sizeOf` knows. */
  read(sha256: string, range?: { start: number; end: number }): ReadStream {
    const packed = this.#entries.get(sha256);
    if (packed === undefined) throw new Error(`blob ${sha256} is not in a pack`);
    return createReadStream(packed.pack, {
      start: packed.offset + (range?.start ?? 0),
      end: packed.offset + (range?.end ?? packed.size - 1),
    });
  }

  /**
   * Appends a checked blob (`chunks`, `size` bytes, more than none) and
   * resolves once it is durable: false when it was written, true when a pack
   * had it already or a twin's record, written first, became durable.
   */
  async append(sha256: string, chunks: Buffer[], size: number): Promise<boolean> {
    if (this.#entries.has(sha256)) return true;
    if (this.#closed) throw new Error('the blob packs are closed');
    const twin = this.#writing.get(sha256);
    if (twin !== undefined) {
      await twin;
      return true;
    }
    const durable = new Promise<void>((resolve, reject) => {
      this.#arrivals.push({ sha256, chunks, size, resolve, reject });
      this.#kick();
    });
    this.#writing.set(sha256, durable);
    try {
      await durable;
      return false;
    } finally {
      this.#writing.delete(sha256);
    }
  }

  /** The pack the next record goes into: the active one, unless it is full; then it is retired and a new one made. */
  #packWithRoom(bytes: number): OpenPack {
    const current = this.#active;
    if (current !== null && (current.tail === 0 || current.tail + bytes <= PACK_MAX_BYTES)) return current;
    if (current !== null) this.#retire(current);
    const path = join(this.#dir, `${String(this.#nextNumber++).padStart(6, '0')}.pack`);
    const fd = openSync(path, 'wx', 0o600);
    this.#active = { path, fd, tail: 0, records: [], nameDurable: false };
    return this.#active;
  }

  #retire(pack: OpenPack): void {
    if (this.#active === pack) this.#active = null;
    if (!this.#retired.includes(pack)) this.#retired.push(pack);
    this.#kick();
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = true;
    this.#idle = this.#run();
  }

  async #run(): Promise<void> {
    try {
      while (this.#arrivals.length > 0 || this.#retired.length > 0) {
        const round = this.#arrivals;
        this.#arrivals = [];
        if (round.length > 0) await this.#runRound(round);
        await this.#sealRetired();
      }
    } finally {
      // In the same step as the last look at the queue: an arrival after it starts a new loop.
      this.#running = false;
    }
  }

  /** Waits for the records written to be answered and full packs sealed, then closes the growing pack. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#running) await this.#idle;
    if (this.#active !== null) closeSync(this.#active.fd);
    this.#active = null;
  }

  /**
   * Writes a round of arrivals (one writev per pack: a round that fills the
   * active pack goes on in a new one), syncs each pack's data once, and
   * answers them.
   */
  async #runRound(round: Arrival[]): Promise<void> {
    const batches = new Map<
      OpenPack,
      { arrivals: Arrival[]; records: PackRecord[]; buffers: Buffer[]; bytes: number }
    >();
    for (const arrival of round) {
      let pack: OpenPack;
      try {
        pack = this.#packWithRoom(HEADER_BYTES + arrival.size);
      } catch (cause) {
        arrival.reject(asError(cause));
        continue;
      }
      let batch = batches.get(pack);
      if (batch === undefined) batches.set(pack, (batch = { arrivals: [], records: [], buffers: [], bytes: 0 }));
      batch.arrivals.push(arrival);
      batch.records.push({ sha256: arrival.sha256, offset: pack.tail + HEADER_BYTES, size: arrival.size });
      batch.buffers.push(recordHeader(arrival.sha256, arrival.size), ...arrival.chunks);
      batch.bytes += HEADER_BYTES + arrival.size;
      pack.tail += HEADER_BYTES + arrival.size;
    }
    await Promise.all(
      Array.from(batches, async ([pack, batch]) => {
        try {
          const at = pack.tail - batch.bytes;
          const written = writevSync(pack.fd, batch.buffers, at);
          if (written !== batch.bytes) throw new Error(`wrote ${written} of ${batch.bytes} bytes to ${pack.path}`);
          if (!pack.nameDurable) {
            await syncDir(this.#dir);
            pack.nameDurable = true;
          }
          await fdatasyncAsync(pack.fd);
        } catch (cause) {
          // What follows a torn record is never read back, and a later sync may not report the same lost
          // pages: this pack takes nothing more, and is sealed with the records that were durable.
          const error = asError(cause);
          this.#retire(pack);
          for (const arrival of batch.arrivals) arrival.reject(error);
          return;
        }
        for (const [i, record] of batch.records.entries()) {
          this.#entries.set(record.sha256, { pack: pack.path, ...record });
          pack.records.push(record);
          batch.arrivals[i]!.resolve();
        }
      }),
    );
  }

  /** Seals the packs retired in the rounds so far (a round ends with every record it wrote answered). */
  async #sealRetired(): Promise<void> {
    const ready = this.#retired;
    this.#retired = [];
    for (const pack of ready) {
      // A seal that fails leaves a pack without an index, which the next open reads through and seals.
      await this.#seal(pack).catch(() => undefined);
    }
  }

  /**
   * Writes the pack's index (synced, then renamed in) and closes it: from now on it is known by its index.
   * A pack with no whole record answered nothing: it is removed instead (a disk that refuses every write
   * would otherwise gather a pack and an index per refused round, each retry of each blob).
   */
  async #seal(pack: OpenPack): Promise<void> {
    if (pack.records.length === 0) {
      closeSync(pack.fd);
      rmSync(pack.path, { force: true });
      return;
    }
    try {
      const entries = Buffer.alloc(pack.records.length * INDEX_ENTRY_BYTES);
      for (const [i, { sha256, offset, size }] of pack.records.entries()) {
        const at = i * INDEX_ENTRY_BYTES;
        entries.write(sha256, at, 'hex');
        entries.writeUInt32LE(offset, at + 32);
        entries.writeUInt32LE(size, at + 36);
      }
      const indexPath = pack.path.replace(/\.pack$/, '.idx');
      const temp = `${indexPath}.tmp`;
      const fd = openSync(temp, 'wx', 0o600);
      try {
        const index = Buffer.concat([entries, createHash('sha256').update(entries).digest()]);
        const written = writeSync(fd, index);
        if (written !== index.length) throw new Error(`wrote ${written} of ${index.length} bytes of ${temp}`);
        await fsyncAsync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temp, indexPath);
      await syncDir(this.#dir);
    } finally {
      closeSync(pack.fd);
    }
  }
}

function recordHeader(sha256: string, size: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.write(sha256, MAGIC.length, 'hex');
  header.writeUInt32LE(size, MAGIC.length + 32);
  return header;
}

/**
 * The records of a pack, in order, up to the first that is cut short (or,
 * with `verify`, does not hash to its name), and where the whole ones end.
 */
export function readPackRecords(path: string, options: { verify: boolean }): { records: PackRecord[]; end: number } {
  const bytes = readFileSync(path);
  const records: PackRecord[] = [];
  let at = 0;
  while (at + HEADER_BYTES <= bytes.length && bytes.subarray(at, at + MAGIC.length).equals(MAGIC)) {
    const sha256 = bytes.toString('hex', at + MAGIC.length, at + MAGIC.length + 32);
    const size = bytes.readUInt32LE(at + MAGIC.length + 32);
    const offset = at + HEADER_BYTES;
    if (size === 0 || offset + size > bytes.length) break;
    if (
      options.verify &&
      createHash('sha256')
        .update(bytes.subarray(offset, offset + size))
        .digest('hex') !== sha256
    ) {
      break;
    }
    records.push({ sha256, offset, size });
    at = offset + size;
  }
  return { records, end: at };
}

/** A sealed pack's records from its index, or null when it has none or it is not whole. */
function readIndex(path: string): PackRecord[] | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const entriesBytes = bytes.length - 32;
  if (entriesBytes < 0 || entriesBytes % INDEX_ENTRY_BYTES !== 0) return null;
  const entries = bytes.subarray(0, entriesBytes);
  if (!createHash('sha256').update(entries).digest().equals(bytes.subarray(entriesBytes))) return null;
  const records: PackRecord[] = [];
  for (let at = 0; at < entriesBytes; at += INDEX_ENTRY_BYTES) {
    records.push({
      sha256: entries.toString('hex', at, at + 32),
      offset: entries.readUInt32LE(at + 32),
      size: entries.readUInt32LE(at + 36),
    });
  }
  return records;
}

function asError(cause: unknown): Error {
  return cause instanceof Error ? cause : new Error(String(cause));
}
