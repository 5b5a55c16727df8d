import { basename } from 'node:path';
import type { JobRecord } from '../src-core/deploy-journal.ts';
import { ServiceError } from '../src-core/http/service-error.ts';
import type { DeployTarget, TargetKind as EngineTargetKind } from '../src-core/ports.ts';
import { PressConfigError, readPressConfig } from '../src-core/press-config.ts';
import {
  cloudflareTarget,
  cloudflareTargetFromJob,
  readWranglerConfig,
} from '../src-core/targets/cloudflare/cloudflare-target.ts';
import { deployRefOf, pressCloudTarget } from '../src-core/targets/press-cloud/press-cloud-target.ts';
import {
  readSlidelessJson,
  slidelessTarget,
  slidelessTargetFromJob,
} from '../src-core/targets/slideless/slideless-target.ts';
import type {
  AddTargetPayload,
  DeployChoice,
  FolderDestination,
  PressConfigView,
  Target,
  TargetCapabilities,
  TargetKind,
} from '../src-shared/ipc-contract.ts';
import { AppError } from './app-error.ts';

/** True when A and B are the same set of strings. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** The window's spelling of the engine's kinds: a kind added to one and not the other is a type error here. */
export const KINDS_MATCH: Same<TargetKind, EngineTargetKind> = true;

/** Where a key check or a deploy goes, as main knows a target: its kind, URL, key and (Cloudflare) account. */
export interface TargetAccount {
  kind: TargetKind;
  apiUrl: string;
  apiKey: string;
  accountId: string | null;
}

/** A Worker name that passes the adapter's own check, for asking the account before any Worker is named. */
const KEY_CHECK_WORKER = 'pressdrop-key-check';

/** A target of `account`'s service with a placeholder destination: what the adapter says before anything is sent. */
function probeTarget(account: TargetAccount): DeployTarget {
  const { apiUrl, apiKey } = account;
  switch (account.kind) {
    case 'press-cloud':
      return pressCloudTarget({ apiUrl, apiKey }, { deployId: 'key-check' });
    case 'slideless':
      return slidelessTarget({ apiUrl, apiKey }, { newPresentation: true });
    case 'cloudflare':
      return cloudflareTarget(
        { apiUrl, apiToken: apiKey, accountId: account.accountId ?? '' },
        { scriptName: KEY_CHECK_WORKER },
      );
  }
}

/** What a kind of target offers besides deploying, as its adapter says (History, aliases, PDFs). */
export function capabilitiesOf(kind: TargetKind): TargetCapabilities {
  return probeTarget({ kind, apiUrl: 'https://capabilities.invalid', apiKey: '', accountId: null }).capabilities;
}

/**
 * Proves a key before it is kept, with the adapter's own credential check
 * (`connect().limits()`, what a deploy asks before it hashes anything):
 * Press Cloud's limits, a Slideless precheck on no session, Cloudflare's
 * workers.dev subdomain of the account. Nothing is created. A refused key
 * rejects with the service's code in words.
 */
export async function checkTargetKey(payload: AddTargetPayload, apiUrl: string): Promise<void> {
  const account: TargetAccount = {
    kind: payload.kind,
    apiUrl,
    apiKey: payload.apiKey,
    accountId: payload.kind === 'cloudflare' ? payload.accountId : null,
  };
  const connection = probeTarget(account).connect({
    connections: 1,
    retry: { maxAttempts: 2 },
    onRetry: () => undefined,
  });
  try {
    await connection.limits();
  } catch (error) {
    throw error instanceof ServiceError && error.code === 'unauthorized'
      ? new AppError('unauthorized', 'That Press Cloud refused the API key: check it and try again.')
      : error;
  } finally {
    await connection.close();
  }
}

/** The DeployTarget of a new run, and the press.json it goes with (Press Cloud only). */
export interface PlannedDeploy {
  target: DeployTarget;
  pressConfig: PressConfigView | null;
}

/**
 * The DeployTarget for deploying `folder` to `target` as the window chose:
 * Press Cloud's deploy with the folder's press.json; Slideless's
 * presentation from the folder's slideless.json, else a new one (titled
 * as chosen, or after the folder); Cloudflare's Worker, with the
 * compatibility date of the folder's wrangler.json when it has one.
 */
export async function deployTargetFor(
  target: Target,
  apiKey: string,
  folder: string,
  choice: DeployChoice,
): Promise<PlannedDeploy> {
  const { apiUrl } = target;
  if (target.kind === 'press-cloud' && ('deployId' in choice || 'createDeploy' in choice)) {
    // Read before anything is sent: a press.json that cannot be used refuses the deploy in words.
    const config = await pressConfig(folder);
    return {
      target: pressCloudTarget({ apiUrl, apiKey }, choice, config?.render ? { render: config.render } : {}),
      pressConfig: config,
    };
  }
  if (target.kind === 'slideless' && 'presentation' in choice) {
    const remembered = await readSlidelessJson(folder, apiUrl).catch((error: unknown) => {
      throw new AppError('slideless_json_invalid', error instanceof Error ? error.message : String(error));
    });
    // An update keeps the presentation's title unless one is given; a new one is named after the folder.
    const title = choice.presentation.title ?? (remembered ? undefined : basename(folder));
    return {
      target: slidelessTarget({ apiUrl, apiKey }, remembered ?? { newPresentation: true }, {
        ...(title !== undefined && { title }),
      }),
      pressConfig: null,
    };
  }
  if (target.kind === 'cloudflare' && 'worker' in choice) {
    const config = await readWranglerConfig(folder).catch(() => null);
    return {
      target: cloudflareTarget(
        { apiUrl, apiToken: apiKey, accountId: target.accountId ?? '' },
        {
          scriptName: choice.worker.scriptName,
          ...(config?.compatibilityDate !== undefined && { compatibilityDate: config.compatibilityDate }),
        },
      ),
      pressConfig: null,
    };
  }
  throw new AppError(
    'invalid_payload',
    `deploy.start: that choice of destination is not one a ${target.kind} target takes.`,
  );
}

/** The DeployTarget that continues a journaled job, with the key of the target it went to. */
export async function resumeTargetFor(job: JobRecord, apiKey: string): Promise<PlannedDeploy> {
  switch (job.targetKind) {
    case 'press-cloud': {
      // The folder's press.json as it is now: the journal keeps no render config, and the commit is still to come.
      const config = await pressConfig(job.folder);
      return {
        target: pressCloudTarget(
          { apiUrl: job.apiUrl, apiKey },
          deployRefOf(job.destination),
          config?.render ? { render: config.render } : {},
        ),
        pressConfig: config,
      };
    }
    case 'slideless':
      return { target: slidelessTargetFromJob(job, apiKey), pressConfig: null };
    case 'cloudflare':
      return { target: cloudflareTargetFromJob(job, apiKey), pressConfig: null };
  }
}

/** What `folder` says about where it goes on `target`'s service. */
export async function folderDestination(target: Target, folder: string): Promise<FolderDestination> {
  switch (target.kind) {
    case 'press-cloud':
      return { kind: 'press-cloud' };
    case 'slideless':
      try {
        const remembered = await readSlidelessJson(folder, target.apiUrl);
        return { kind: 'slideless', presentationId: remembered?.presentationId ?? null, problem: null };
      } catch (error) {
        return {
          kind: 'slideless',
          presentationId: null,
          problem: error instanceof Error ? error.message : String(error),
        };
      }
    case 'cloudflare':
      try {
        return {
          kind: 'cloudflare',
          scriptName: (await readWranglerConfig(folder))?.scriptName ?? null,
          problem: null,
        };
      } catch (error) {
        return {
          kind: 'cloudflare',
          scriptName: null,
          problem: error instanceof Error ? error.message : String(error),
        };
      }
  }
}

/** A folder's press.json, or an AppError whose message says what to fix. */
export async function pressConfig(folder: string): Promise<PressConfigView | null> {
  try {
    return await readPressConfig(folder);
  } catch (error) {
    if (error instanceof PressConfigError) throw new AppError('press_config_invalid', error.message);
    throw error;
  }
}
