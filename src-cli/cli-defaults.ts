import envPaths from 'env-paths';
import { join } from 'node:path';

const paths = envPaths('pressdrop', { suffix: '' });

/**
 * Where `pressdrop serve` keeps its data unless told otherwise, and where the
 * other commands look for the running local server's record.
 * `PRESSDROP_SERVER_DATA` moves both (tests, or a server kept elsewhere).
 */
export const DEFAULT_SERVER_DATA_DIR = process.env.PRESSDROP_SERVER_DATA || join(paths.data, 'server');
/** Where `pressdrop serve` listens unless told otherwise. */
export const DEFAULT_SERVER_PORT = 5480;
/** Where the journal, the hash cache and upload tokens live unless --state-dir says otherwise. */
export const DEFAULT_STATE_DIR = join(paths.data, 'state');
