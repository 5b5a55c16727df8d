import type { DatabaseSync } from 'node:sqlite';
import type { Alias, Deploy, DeployVersion, DeployVersionDetail, UploadSession, VersionEntry } from '../src-shared/api-types.ts';
/** A `deploys` row. */
export interface DeployRow {
    seq: number;
    id: string;
    slug: string;
    name: string;
    created_at: number;
    updated_at: number;
    version_count: number;
}
/** A `deploy_versions` row. */
export interface VersionRow {
    id: string;
    deploy_id: string;
    version_no: number;
    upload_session_id: string;
    route: string | null;
    title: string | null;
    render_json: string | null;
    file_count: number;
    total_bytes: number;
    created_at: number;
}
/** An `upload_sessions` row. */
export interface SessionRow {
    id: string;
    deploy_id: string;
    token_hash: Uint8Array;
    requested_file_count: number;
    requested_bytes: number;
    created_at: number;
    expires_at: number;
    deploy_version_id: string | null;
}
/** A `version_files` row. */
export interface VersionFileRow {
    path: string;
    blob_sha256: string;
    size: number;
    mime: string;
}
/** An `aliases` row. */
export interface AliasRow {
    deploy_id: string;
    name: string;
    deploy_version_id: string;
    updated_at: number;
}
/**
 * The SQL of the metadata database, one method per question or change, and
 * the mapping from rows to the contract's JSON shapes. Write methods expect
 * to run inside `inTransaction`.
 */
export declare class Metadata {
    #private;
    readonly db: DatabaseSync;
    constructor(db: DatabaseSync);
    apiKeyIdByHash(keyHash: Uint8Array): string | undefined;
    insertApiKey(id: string, keyHash: Uint8Array, now: number): void;
    apiKeyCount(): number;
    deployById(id: string): DeployRow | undefined;
    deployBySlug(slug: string): DeployRow | undefined;
    insertDeploy(id: string, slug: string, name: string, now: number): DeployRow;
    /** Newest first; `beforeSeq` is the cursor key. Fetches `limit` rows. */
    listDeploys(beforeSeq: number | null, limit: number): DeployRow[];
    toDeploy(row: DeployRow): Deploy;
    versionById(id: string): VersionRow | undefined;
    versionByNumber(deployId: string, versionNo: number): VersionRow | undefined;
    /** Newest first; `beforeVersionNo` is the cursor key. */
    listVersions(deployId: string, beforeVersionNo: number | null, limit: number): VersionRow[];
    /**
     * Adds the deploy's next version: its number is the deploy's version count
     * plus one, read and bumped in the caller's write transaction, so
     * concurrent commits get 1, 2, 3… with no gap and no repeat.
     */
    insertVersion(fields: Omit<VersionRow, 'version_no'>, entries: readonly VersionEntry[]): VersionRow;
    /** By path (code-point order); `afterPath` is the cursor key. */
    listVersionFiles(versionId: string, afterPath: string | null, limit: number): VersionFileRow[];
    versionFile(versionId: string, path: string): VersionFileRow | undefined;
    toVersionDetail(row: VersionRow): DeployVersionDetail;
    insertSession(row: SessionRow, files: ReadonlyArray<{
        path: string;
        sha256: string;
        size: number;
        mime: string;
    }>): void;
    sessionById(id: string): SessionRow | undefined;
    /** The size and MIME type the session registered for a sha256, or undefined when it registered none. */
    sessionBlob(sessionId: string, sha256: string): {
        size: number;
        mime: string;
    } | undefined;
    /** Marks the session committed; its file list is now the version's and is dropped. */
    markSessionCommitted(sessionId: string, versionId: string): void;
    /** Drops the file lists of sessions that expired uncommitted; the session rows stay, so GET still says "expired". */
    sweepExpiredSessionFiles(now: number): void;
    upsertAlias(deployId: string, name: string, versionId: string, now: number): AliasRow;
    aliasByName(deployId: string, name: string): AliasRow | undefined;
    listAliases(deployId: string): AliasRow[];
    /** True when an alias was deleted. */
    deleteAlias(deployId: string, name: string): boolean;
    idempotentResult(apiKeyId: string, key: string, notBefore: number): {
        fingerprint: string;
        status: number;
        body: string;
    } | undefined;
    saveIdempotentResult(apiKeyId: string, key: string, fingerprint: string, status: number, body: string, now: number): void;
    purgeIdempotentResults(before: number): void;
}
/** A version row in the contract's `deployVersion` shape. */
export declare function toDeployVersion(row: VersionRow): DeployVersion;
/** A session row in the contract's `uploadSession` shape; the status is derived, never stored. */
export declare function toUploadSession(row: SessionRow, now: number): UploadSession;
/** A version file row in the contract's entry shape. */
export declare function toVersionEntry(row: VersionFileRow): VersionEntry;
/** An alias row in the contract's `alias` shape. */
export declare function toAlias(row: AliasRow): Alias;
