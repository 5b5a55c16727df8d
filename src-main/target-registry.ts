import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { JobRecord } from '../src-core/deploy-journal.ts';
import type { LastCommitted, Target, TargetKind } from '../src-shared/ipc-contract.ts';
import { AppError } from './app-error.ts';
import { capabilitiesOf } from './service-targets.ts';

/** The id of the embedded local Press Cloud. */
export const LOCAL_TARGET_ID = 'local';

/** Non-secret settings (electron-store in the app, a Map in tests). */
export interface SettingsStore {
  get(key: string): unknown;
  set(key: string, value: unknown): void;
}

/** A target as settings keep it: never its key. */
export interface StoredTarget {
  id: string;
  name: string;
  apiUrl: string;
  kind: TargetKind;
  accountId: string | null;
}

/**
 * A stored target, as any version of PressDrop wrote it. The previous one
 * kept Press Cloud targets only, with `kind: 'remote'` (or none): they load
 * as Press Cloud targets. A record that cannot be read is left out.
 */
const storedTargetSchema = z
  .object({
    id: z.string().min(1),
    name: z.string(),
    apiUrl: z.string().min(1),
    kind: z.enum(['press-cloud', 'slideless', 'cloudflare', 'remote', 'local']).optional(),
    accountId: z.string().nullable().optional(),
  })
  .transform((stored): StoredTarget => ({
    id: stored.id,
    name: stored.name,
    apiUrl: stored.apiUrl,
    kind: stored.kind === 'slideless' || stored.kind === 'cloudflare' ? stored.kind : 'press-cloud',
    accountId: stored.kind === 'cloudflare' ? (stored.accountId ?? null) : null,
  }));

const lastCommittedSchema = z.record(
  z.string(),
  z.object({
    deployId: z.string(),
    name: z.string(),
    versionNo: z.number(),
    displayId: z.string(),
    url: z.string().nullable(),
    committedAt: z.number(),
  }),
);

/** How many jobs' targets are remembered: the resumable ones are a handful; old entries go first. */
const MAX_JOB_TARGETS = 200;

/**
 * The targets the window offers: the built-in local Press Cloud, then those
 * the user added (settings `targets`), each with its service's capabilities
 * and, where History cannot list versions, the version committed last
 * (settings `lastCommitted`). Also remembers which target each deploy job
 * went to (settings `jobTargets`), so a resume finds it even when two
 * targets share a URL.
 */
export class TargetRegistry {
  readonly #settings: SettingsStore;
  readonly #localUrl: string;

  constructor(settings: SettingsStore, localUrl: string) {
    this.#settings = settings;
    this.#localUrl = localUrl;
  }

  /** Every target, the local one first. */
  list(): Target[] {
    const committed = this.#lastCommitted();
    const local: StoredTarget = {
      id: LOCAL_TARGET_ID,
      name: 'This computer (local Press Cloud)',
      apiUrl: this.#localUrl,
      kind: 'press-cloud',
      accountId: null,
    };
    return [local, ...this.added()].map((stored) => {
      const capabilities = capabilitiesOf(stored.kind);
      return {
        ...stored,
        builtIn: stored.id === LOCAL_TARGET_ID,
        capabilities,
        lastCommitted: capabilities.versions ? null : (committed[stored.id] ?? null),
      };
    });
  }

  /** The targets the user added, as stored. */
  added(): StoredTarget[] {
    const raw = this.#settings.get('targets');
    if (!Array.isArray(raw)) return [];
    return raw.flatMap((record) => {
      const parsed = storedTargetSchema.safeParse(record);
      return parsed.success ? [parsed.data] : [];
    });
  }

  /** One target, or a refusal in words. */
  get(targetId: string): Target {
    const target = this.list().find((candidate) => candidate.id === targetId);
    if (!target) throw new AppError('target_not_found');
    return target;
  }

  /** Keeps a new target (its key is the caller's to keep) and returns it. */
  add(fields: Omit<StoredTarget, 'id'>): Target {
    const stored: StoredTarget = { id: `target-${randomUUID()}`, ...fields };
    this.#settings.set('targets', [...this.added(), stored]);
    return this.get(stored.id);
  }

  /** Forgets a target the user added, and what was remembered of it. */
  remove(targetId: string): void {
    if (targetId === LOCAL_TARGET_ID)
      throw new AppError('invalid_request', 'The local Press Cloud is built in and cannot be removed.');
    this.#settings.set(
      'targets',
      this.added().filter((target) => target.id !== targetId),
    );
    const { [targetId]: _gone, ...rest } = this.#lastCommitted();
    this.#settings.set('lastCommitted', rest);
    if (this.selectedId() === targetId) this.#settings.set('selectedTargetId', LOCAL_TARGET_ID);
  }

  /** The selected target's id (the local one when the saved choice is gone). */
  selectedId(): string {
    const selected = this.#settings.get('selectedTargetId');
    return typeof selected === 'string' && this.list().some((target) => target.id === selected)
      ? selected
      : LOCAL_TARGET_ID;
  }

  select(targetId: string): void {
    this.get(targetId);
    this.#settings.set('selectedTargetId', targetId);
  }

  /** Records what History shows for a target that cannot list versions. */
  recordCommitted(targetId: string, committed: LastCommitted): void {
    const known = this.#lastCommitted();
    const before = known[targetId];
    // An update that named no title keeps the one the same presentation was shown with.
    const name =
      committed.name === committed.deployId && before?.deployId === committed.deployId ? before.name : committed.name;
    this.#settings.set('lastCommitted', { ...known, [targetId]: { ...committed, name } });
  }

  /** Remembers that `jobId` deploys to `targetId`. */
  rememberJob(jobId: string, targetId: string): void {
    const known = Object.entries(this.#jobTargets()).filter(([id]) => id !== jobId);
    this.#settings.set('jobTargets', Object.fromEntries([...known, [jobId, targetId]].slice(-MAX_JOB_TARGETS)));
  }

  /** The job ended (committed, abandoned): its target need not be remembered. */
  forgetJob(jobId: string): void {
    const known = this.#jobTargets();
    if (!(jobId in known)) return;
    const { [jobId]: _gone, ...rest } = known;
    this.#settings.set('jobTargets', rest);
  }

  /**
   * The target a journaled job goes to: the one it was started on, if it is
   * still there; else one of the same service, URL (and Cloudflare account).
   * Null when there is none, e.g. it was removed.
   */
  targetOfJob(job: Pick<JobRecord, 'id' | 'targetKind' | 'apiUrl' | 'destination'>): Target | null {
    const targets = this.list();
    const remembered = this.#jobTargets()[job.id];
    const matches = (target: Target) =>
      target.kind === job.targetKind &&
      target.apiUrl === job.apiUrl &&
      (target.kind !== 'cloudflare' || target.accountId === job.destination.details.accountId);
    const named = targets.find((target) => target.id === remembered);
    if (named && matches(named)) return named;
    return targets.find(matches) ?? null;
  }

  #lastCommitted(): Record<string, LastCommitted> {
    const parsed = lastCommittedSchema.safeParse(this.#settings.get('lastCommitted'));
    return parsed.success ? parsed.data : {};
  }

  #jobTargets(): Record<string, string> {
    const parsed = z.record(z.string(), z.string()).safeParse(this.#settings.get('jobTargets'));
    return parsed.success ? parsed.data : {};
  }
}
