/**
 * The metadata schema, as numbered migrations applied in order at start.
 * Never edit a migration that has shipped: add the next number instead.
 * `PRAGMA user_version` records the last one applied.
 */
export declare const migrations: ReadonlyArray<{
    version: number;
    name: string;
    sql: string;
}>;
