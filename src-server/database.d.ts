import { DatabaseSync } from 'node:sqlite';
/**
 * Opens (or creates) the metadata database: WAL so readers never wait for
 * the writer, synchronous=FULL so a committed version survives power loss,
 * foreign keys on, and every pending migration applied.
 */
export declare function openDatabase(file: string): DatabaseSync;
/** Runs `work` inside one write transaction (BEGIN IMMEDIATE): all of it lands, or none of it. */
export declare function inTransaction<T>(db: DatabaseSync, work: () => T): T;
