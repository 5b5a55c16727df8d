import { type ReadStream } from 'node:fs';
import { type Readable } from 'node:stream';
/** What an ingest expects the body to be: the session's registered sha256 and size. */
export interface ExpectedBlob {
    sha256: string;
    size: number;
}
/** Why an ingest refused a body; the caller maps it to the API's error. */
export type IngestRefusal = 'size_mismatch' | 'hash_mismatch';
/** Thrown by `ingest` when the body is not the blob it claims to be. Nothing was stored. */
export declare class BlobRefusedError extends Error {
    readonly reason: IngestRefusal;
    readonly receivedBytes: number;
    constructor(reason: IngestRefusal, message: string, receivedBytes: number);
}
/**
 * The content-addressed blob store: each blob is one file named by its
 * SHA-256 under two levels of shard folders (`ab/cd/abcd…`). A blob appears
 * only by rename after its bytes were hashed, checked and fsynced, so a file
 * in the store is always whole; anything cut off is a temp file, and temp
 * files are swept at open.
 */
export declare class BlobStore {
    #private;
    private constructor();
    /** Opens the store under `root`, removing temp files a killed process left behind. */
    static open(root: string): Promise<BlobStore>;
    /** Where the blob lives on disk (whether or not it is there yet). */
    pathOf(sha256: string): string;
    /** The stored blob's size in bytes, or null when it is not stored. */
    sizeOf(sha256: string): Promise<number | null>;
    /** Whether the blob is stored. */
    has(sha256: string): Promise<boolean>;
    /** The blob's bytes, streamed from disk. */
    read(sha256: string): ReadStream;
    /**
     * Streams `body` into the store as blob `expected.sha256`, hashing as it
     * goes. Refuses (BlobRefusedError) as soon as the body runs past
     * `expected.size`, and at the end when the length or hash differs; a
     * refused or broken body leaves nothing behind. `onProgress` sees the
     * byte count after each chunk (the fault injector cuts connections with it).
     * Resolves `alreadyPresent: true` when another upload stored it first.
     */
    ingest(body: Readable, expected: ExpectedBlob, onProgress?: (receivedBytes: number) => void): Promise<{
        alreadyPresent: boolean;
    }>;
}
