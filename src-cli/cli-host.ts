/** How this `pressdrop` process was started: from its sources (src-cli/bin.js) or as the bundle (out/cli/pressdrop.js). */
export interface CliHost {
  /** What --version prints; default: the version in package.json, found beside the sources. */
  version?: string;
  /** The hash worker's module; default: src-core/hash-worker.ts, beside the sources. */
  hashWorkerUrl?: URL;
}

/** This process's host: main() fills it in from its launcher, once, before any command runs. */
export const cliHost: CliHost = {};
