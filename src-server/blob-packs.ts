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
  writev,
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

interface Waiting {
  sha256: string;
  chunks: Buffer[];
  size: number;
  resolve: (alreadyPresent: boolean) => void;
  reject: (error: unknown) => void;
}

/** The pack that takes new records: its descriptor, how far its whole records go, and what they are. */
interface ActivePack {
  path: string;
  fd: number;
  end: number;
  records: PackRecord[];
  /** A write or sync failed: nothing more goes in; the next round seals it at `end`. */
  broken: boolean;
}

/**
 * Small blobs, appended to pack files: one fdatasync makes a whole round of
 * arrivals durable, where a file per blob costs a file creation, a data sync,
 * a rename and a folder sync each (on this project's test VM, ~0.7 ms of a
 * core per blob, which is most of a 20,000-file first deploy).
 *
 * `packs/000001.pack` holds records back to back: header (`PDB1`, SHA-256,
 * size) and bytes. A round writes every waiting record with one writev at
 * the pack's end, syncs the data once, and only then answers. A pack past
 * PACK_MAX_BYTES is sealed: its index (`000001.idx`: entries, then the
 * SHA-256 of the entries) is written, synced and renamed in. At open, a
 * sealed pack is known from its index; the pack that was still growing is
 * read through and each record is checked against its name. The first one
 * that is not whole is where a kill cut the last round (nothing from there
 * on was answered), and the pack is truncated there. Blobs are never
 * deleted, so the whole index lives in memory.
 */
export class BlobPacks {
  readonly #dir: string;
  readonly #entries = new Map<string, Packed>();
  #active: ActivePack | null = null;
  #nextNumber = 1;
  #waiting: Waiting[] = [];
  #running = false;

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
      const active: ActivePack = { path, fd, end, records, broken: false };
      // Only the last pack still grows; one that lost its index (a seal cut short) is sealed again.
      if (i === numbers.length - 1) packs.#active = active;
      else await packs.#seal(active);
    }
    packs.#nextNumber = numbers.length > 0 ? Number(numbers.at(-1)) + 1 : 1;
    return packs;
  }

  /** The packed blob's size, or undefined when it is not in a pack. */
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
   * resolves once it is durable: false when it was written, true when the
   * pack had it already (or a twin in the same round wrote it).
   */
  append(sha256: string, chunks: Buffer[], size: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ sha256, chunks, size, resolve, reject });
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    while (this.#waiting.length > 0) {
      const round = this.#waiting;
      this.#waiting = [];
      await this.#runRound(round);
    }
    this.#running = false;
  }

  async #runRound(round: Waiting[]): Promise<void> {
    const fresh = new Map<string, Waiting>();
    const twins: Waiting[] = [];
    for (const item of round) {
      if (this.#entries.has(item.sha256)) item.resolve(true);
      else if (fresh.has(item.sha256)) twins.push(item);
      else fresh.set(item.sha256, item);
    }
    if (fresh.size === 0) return;
    let error: unknown = null;
    try {
      const roundBytes = Array.from(fresh.values()).reduce((sum, item) => sum + HEADER_BYTES + item.size, 0);
      const pack = await this.#packWithRoom(roundBytes);
      const buffers: Buffer[] = [];
      const placed: Array<[Waiting, number]> = [];
      let offset = pack.end;
      for (const item of fresh.values()) {
        buffers.push(recordHeader(item.sha256, item.size), ...item.chunks);
        placed.push([item, offset + HEADER_BYTES]);
        offset += HEADER_BYTES + item.size;
      }
      try {
        await writeAllAt(pack.fd, buffers, roundBytes, pack.end);
        await fdatasyncAsync(pack.fd);
      } catch (cause) {
        pack.broken = true;
        throw cause;
      }
      for (const [item, dataOffset] of placed) {
        this.#entries.set(item.sha256, { pack: pack.path, offset: dataOffset, size: item.size });
        pack.records.push({ sha256: item.sha256, offset: dataOffset, size: item.size });
      }
      pack.end = offset;
    } catch (cause) {
      error = cause;
    }
    for (const [items, alreadyPresent] of [
      [fresh.values(), false],
      [twins, true],
    ] as const) {
      for (const item of items) {
        if (error !== null) item.reject(error);
        else item.resolve(alreadyPresent);
      }
    }
  }

  /** The pack this round goes into: the growing one, unless it is full or broken; then it is sealed and a new one made. */
  async #packWithRoom(bytes: number): Promise<ActivePack> {
    const current = this.#active;
    if (current !== null && !current.broken && (current.end === 0 || current.end + bytes <= PACK_MAX_BYTES)) {
      return current;
    }
    if (current !== null) {
      this.#active = null;
      await this.#seal(current);
    }
    const path = join(this.#dir, `${String(this.#nextNumber++).padStart(6, '0')}.pack`);
    const fd = openSync(path, 'wx', 0o600);
    // The pack's own name must be durable before any record in it is answered.
    await syncDir(this.#dir);
    this.#active = { path, fd, end: 0, records: [], broken: false };
    return this.#active;
  }

  /** Writes the pack's index (synced, then renamed in) and closes it: from now on it is known by its index. */
  async #seal(pack: ActivePack): Promise<void> {
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

/** Writes `buffers` (`bytes` in all) at `position`. */
function writeAllAt(fd: number, buffers: Buffer[], bytes: number, position: number): Promise<void> {
  return new Promise((resolve, reject) =>
    // libuv goes on after a short write and splits past IOV_MAX, so fewer bytes than asked means something is wrong.
    writev(fd, buffers, position, (error, written) => {
      if (error) reject(error);
      else if (written !== bytes) reject(new Error(`wrote ${written} of ${bytes} bytes`));
      else resolve();
    }),
  );
}
