import { CLOUDFLARE_API_URL } from '../../../src-shared/service-urls.ts';
import type { DeployFailure } from '../../../src-shared/upload-model.ts';
import { ServiceError } from '../../http/service-error.ts';
import type {
  CommittedVersion,
  DeployPlan,
  DeployTarget,
  SecretStore,
  TargetConnection,
  TargetConnectionOptions,
  TargetDestination,
  TargetLimits,
  TargetRunContext,
  TargetSession,
} from '../../ports.ts';
import { jwtNames } from './assets-session.ts';
import { CloudflareClient, type CloudflareAccount } from './cloudflare-client.ts';
import { wordsFor } from './cloudflare-error.ts';
import { CloudflareJob } from './cloudflare-job.ts';

/** Which account, and as whom (defined beside the client that sends it). */
export type { CloudflareAccount } from './cloudflare-client.ts';
/** The Worker a wrangler.json(c) beside the folder names (see wrangler-config.ts). */
export { readWranglerConfig } from './wrangler-config.ts';

/** An assets-only Worker: its name, and the compatibility date its versions are made with. */
export interface CloudflareWorker {
  scriptName: string;
  /** YYYY-MM-DD; today's (UTC) when not given, as wrangler suggests. Journaled with the job, so a resume keeps it. */
  compatibilityDate?: string;
}

/** Cloudflare's documented limits: 25 MiB an asset, 20,000 assets a Worker version (free plan; paid: 100,000). */
export const CLOUDFLARE_LIMITS: TargetLimits = {
  maxFileBytes: 25 * 1024 * 1024,
  maxFiles: 20_000,
  // No limit on the sum beyond the two above.
  maxTotalBytes: 20_000 * 25 * 1024 * 1024,
  // The whole manifest goes in the one session call, which answers what is missing.
  maxMissingPerCall: 20_000,
};

/** Worker names as the Workers API takes them. */
const SCRIPT_NAME = /^[a-z0-9_][a-z0-9_-]{0,62}$/;

/** A Worker of a Cloudflare account, deployed as an assets-only Worker with the folder as its static assets. */
export function cloudflareTarget(account: CloudflareAccount, worker: CloudflareWorker): DeployTarget {
  const apiUrl = (account.apiUrl || CLOUDFLARE_API_URL).replace(/\/+$/, '');
  const { accountId } = account;
  const { scriptName } = worker;
  const compatibilityDate = worker.compatibilityDate ?? new Date().toISOString().slice(0, 10);
  const destination: TargetDestination = {
    key: `script:${accountId}/${scriptName}`,
    name: scriptName,
    id: scriptName,
    slug: null,
    details: { accountId, scriptName, compatibilityDate },
  };
  return {
    kind: 'cloudflare',
    hashKind: 'cloudflare-asset',
    endpoint: apiUrl,
    destination,
    // The Workers API does list versions and deployments cheaply (GET …/versions, …/deployments), but
    // History, aliases and render speak Press Cloud's shapes; none of them is offered for Cloudflare yet.
    capabilities: { versions: false, aliases: false, render: false },
    // Its upload session answers which assets are missing: there is no check to save.
    storedBlobsScope: null,
    connect: (options) => new CloudflareConnection({ ...account, apiUrl }, { scriptName, compatibilityDate }, options),
    settleRefusal,
  };
}

/** The target of a journaled Cloudflare job, for resume: its URL and Worker from the journal, the token from the caller. */
export function cloudflareTargetFromJob(
  job: { apiUrl: string; destination: TargetDestination },
  apiToken: string,
): DeployTarget {
  const { accountId, scriptName, compatibilityDate } = job.destination.details as {
    accountId: string;
    scriptName: string;
    compatibilityDate?: string;
  };
  return cloudflareTarget(
    { apiUrl: job.apiUrl, apiToken, accountId },
    { scriptName, ...(compatibilityDate !== undefined && { compatibilityDate }) },
  );
}

class CloudflareConnection implements TargetConnection {
  readonly #client: CloudflareClient;
  readonly #worker: Required<CloudflareWorker>;
  /** The account's workers.dev subdomain, from the credential check before the scan. */
  #subdomain: string | null = null;

  constructor(account: CloudflareAccount, worker: Required<CloudflareWorker>, options: TargetConnectionOptions) {
    this.#worker = worker;
    this.#client = new CloudflareClient(account, options);
  }

  /** Cloudflare's limits are documented, not asked; the one request proves the token and the account before the scan. */
  async limits(): Promise<TargetLimits> {
    if (!SCRIPT_NAME.test(this.#worker.scriptName)) {
      throw new ServiceError(
        `${JSON.stringify(this.#worker.scriptName)} is not a Worker name. ${wordsFor('cloudflare_script_name_invalid')}`,
        { code: 'cloudflare_script_name_invalid' },
      );
    }
    this.#subdomain = await this.#client.accountSubdomain();
    return CLOUDFLARE_LIMITS;
  }

  /** Nothing beyond the limits: the scan already refuses every path a manifest could not hold (backslashes, controls). */
  planProblem(): DeployFailure | null {
    return null;
  }

  async open(plan: DeployPlan, run: TargetRunContext): Promise<TargetSession | CommittedVersion> {
    const job = new CloudflareJob(run, this.#client, { ...this.#worker, subdomain: () => this.#subdomain });
    return job.open(plan);
  }

  async forget(jobId: string, secrets: SecretStore): Promise<void> {
    const names = jwtNames(jobId);
    await secrets.delete(names.upload);
    await secrets.delete(names.completion);
  }

  async close(): Promise<void> {
    await this.#client.close();
  }
}

/**
 * A refused job leaves nothing a later run continues: the assets it
 * uploaded stay on the account, where any later session finds them, and
 * a Worker version PUT is found by its tag on resume, not sent twice.
 */
function settleRefusal(): { leftSomething: boolean; note?: string } {
  return { leftSomething: false };
}
