/** The prefixes the contract gives each kind of identifier and secret. */
export type IdPrefix = 'dpl' | 'dv' | 'us' | 'ustk' | 'pcak' | 'key';
/** A new random identifier or secret with its prefix, e.g. `dpl_3fZ…`. Secrets get 192 bits, ids 120. */
export declare function newId(prefix: IdPrefix): string;
/** The SHA-256 of a secret: what the database keeps instead of the secret itself. */
export declare function hashSecret(secret: string): Buffer;
/** Whether `secret` hashes to `storedHash`, compared in constant time. */
export declare function secretMatches(secret: string, storedHash: Uint8Array): boolean;
