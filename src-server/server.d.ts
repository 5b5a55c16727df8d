import type { Limits } from '../src-shared/api-types.ts';
import { type FaultSpec } from './faults.ts';
/** The local server's limits when no flag changes them: generous, since it is your own disk. */
export declare const DEFAULT_LIMITS: Limits;
/** How to start a local Press Cloud. */
export interface ServerOptions {
    /** Folder for the SQLite file and the blobs; created if absent. */
    dataDir: string;
    /** 0 (the default) takes a free port. */
    port?: number;
    /** Loopback unless told otherwise. */
    host?: string;
    /** An API key (`pcak_…`) to accept. Without one, the folder's generated key is used, made on first start. */
    apiKey?: string;
    limits?: Partial<Limits>;
    /** FOR CLIENT TESTS ONLY: inject faults (see faults.ts). */
    faults?: FaultSpec;
    faultsSeed?: number;
    logRequests?: boolean;
}
/** A running local Press Cloud. */
export interface RunningServer {
    url: string;
    port: number;
    limits: Limits;
    /** The key made for this folder when none was passed; null when one was passed. */
    generatedApiKey: {
        key: string;
        createdNow: boolean;
    } | null;
    /** Stops taking requests, lets running ones finish (5 s at most), then closes storage. */
    close(): Promise<void>;
}
/** Starts a local Press Cloud on loopback; resolves once it accepts requests. */
export declare function startServer(options: ServerOptions): Promise<RunningServer>;
