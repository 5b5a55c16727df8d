/** Where the server keeps what, under its data folder. */
export declare function dataDirLayout(dataDir: string): {
    database: string;
    apiKeyFile: string;
    lockFile: string;
};
/**
 * Takes the data folder for this process: one server per folder, since a
 * second would sweep the first one's temp files. A lock left by a killed
 * process (its pid is gone) is taken over. Returns the release function.
 */
export declare function lockDataDir(dataDir: string): () => void;
/** The API key this data folder generated for its owner, if it did. */
export declare function readGeneratedApiKey(dataDir: string): string | null;
/** Keeps a generated API key for the folder's owner only (mode 0600). */
export declare function writeGeneratedApiKey(dataDir: string, apiKey: string): void;
