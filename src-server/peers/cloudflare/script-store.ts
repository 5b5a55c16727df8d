import { randomBytes, randomUUID } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { inTransaction, statementCache } from '../../database.ts';

/** A Worker (script) of the account. */
export interface ScriptRecord {
  name: string;
  tag: string;
  etag: string;
  createdOn: string;
  modifiedOn: string;
  /** 'wrangler' or 'api', from who uploaded last (wrangler warns before overwriting an 'api' upload). */
  lastDeployedFrom: string;
  workersDev: boolean;
  previewsEnabled: boolean;
  settings: Record<string, unknown>;
}

/** What a version records of its upload's metadata part (never the completion token). */
export interface VersionMetadata {
  compatibility_date?: string;
  compatibility_flags?: string[];
  annotations?: Record<string, string>;
  main_module?: string;
  assets_config?: Record<string, unknown>;
}

/** An immutable version of a script: its metadata and its assets, path → asset hash. */
export interface VersionRecord {
  id: string;
  script: string;
  number: number;
  createdOn: string;
  source: string;
  metadata: VersionMetadata;
  manifest: Record<string, string>;
}

/** Traffic split of a deployment. */
export interface DeploymentVersion {
  version_id: string;
  percentage: number;
}

/** A deployment: which versions get what share of traffic. */
export interface DeploymentRecord {
  id: string;
  script: string;
  createdOn: string;
  source: string;
  strategy: string;
  versions: DeploymentVersion[];
  annotations: Record<string, string>;
}

interface ScriptRow {
  name: string;
  tag: string;
  etag: string;
  created_on: string;
  modified_on: string;
  last_deployed_from: string;
  workers_dev: number;
  previews_enabled: number;
  settings: string;
}
interface VersionRow {
  id: string;
  script: string;
  number: number;
  created_on: string;
  source: string;
  metadata: string;
  manifest: string;
}
interface DeploymentRow {
  id: string;
  script: string;
  created_on: string;
  source: string;
  strategy: string;
  versions: string;
  annotations: string;
}

/** The account's scripts, their versions and deployments, in the peer's SQLite file. */
export class ScriptStore {
  readonly #db: DatabaseSync;
  readonly #sql: (sql: string) => StatementSync;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#sql = statementCache(db);
  }

  /** The script, or null when the account has none by that name. */
  script(name: string): ScriptRecord | null {
    const row = this.#sql('SELECT * FROM scripts WHERE name = ?').get(name) as ScriptRow | undefined;
    return row ? toScript(row) : null;
  }

  /**
   * Records a new version; `create` makes the script first when it does
   * not exist (a script PUT), otherwise a missing script is an error the
   * caller checked for.
   */
  addVersion(
    name: string,
    version: { metadata: VersionMetadata; manifest: Record<string, string>; source: string },
  ): VersionRecord {
    return inTransaction(this.#db, () => {
      const now = new Date().toISOString();
      const etag = randomBytes(32).toString('hex');
      if (this.script(name)) {
        this.#sql('UPDATE scripts SET etag = ?, modified_on = ?, last_deployed_from = ? WHERE name = ?').run(
          etag,
          now,
          version.source,
          name,
        );
      } else {
        this.#sql(
          'INSERT INTO scripts (name, tag, etag, created_on, modified_on, last_deployed_from) VALUES (?, ?, ?, ?, ?, ?)',
        ).run(name, randomBytes(16).toString('hex'), etag, now, now, version.source);
      }
      const last = this.#sql('SELECT MAX(number) AS n FROM versions WHERE script = ?').get(name) as {
        n: number | null;
      };
      const record: VersionRecord = {
        id: randomUUID(),
        script: name,
        number: (last.n ?? 0) + 1,
        createdOn: now,
        source: version.source,
        metadata: version.metadata,
        manifest: version.manifest,
      };
      this.#sql(
        'INSERT INTO versions (id, script, number, created_on, source, metadata, manifest) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(
        record.id,
        name,
        record.number,
        now,
        record.source,
        JSON.stringify(record.metadata),
        JSON.stringify(record.manifest),
      );
      return record;
    });
  }

  /** The version of `name` with that id, or null. */
  version(name: string, id: string): VersionRecord | null {
    const row = this.#sql('SELECT * FROM versions WHERE script = ? AND id = ?').get(name, id) as VersionRow | undefined;
    return row ? toVersion(row) : null;
  }

  /** Records a deployment of versions the caller checked exist. */
  deploy(
    name: string,
    deployment: { versions: DeploymentVersion[]; annotations: Record<string, string>; source: string },
  ): DeploymentRecord {
    return inTransaction(this.#db, () => {
      const last = this.#sql('SELECT MAX(seq) AS n FROM deployments WHERE script = ?').get(name) as {
        n: number | null;
      };
      const record: DeploymentRecord = {
        id: randomUUID(),
        script: name,
        createdOn: new Date().toISOString(),
        source: deployment.source,
        strategy: 'percentage',
        versions: deployment.versions,
        annotations: deployment.annotations,
      };
      this.#sql(
        'INSERT INTO deployments (id, script, seq, created_on, source, strategy, versions, annotations) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(
        record.id,
        name,
        (last.n ?? 0) + 1,
        record.createdOn,
        record.source,
        record.strategy,
        JSON.stringify(record.versions),
        JSON.stringify(record.annotations),
      );
      return record;
    });
  }

  /** The script's deployments, newest first. */
  deployments(name: string): DeploymentRecord[] {
    const rows = this.#sql('SELECT * FROM deployments WHERE script = ? ORDER BY seq DESC').all(
      name,
    ) as unknown as DeploymentRow[];
    return rows.map(toDeployment);
  }

  /** The version serving most of the traffic of the latest deployment, or null before the first. */
  liveVersion(name: string): VersionRecord | null {
    const [latest] = this.deployments(name);
    if (!latest) return null;
    const top = [...latest.versions].sort((a, b) => b.percentage - a.percentage)[0];
    return top ? this.version(name, top.version_id) : null;
  }

  /** Turns the script's workers.dev route and preview URLs on or off. */
  setSubdomain(name: string, enabled: boolean, previewsEnabled: boolean): void {
    this.#sql('UPDATE scripts SET workers_dev = ?, previews_enabled = ? WHERE name = ?').run(
      enabled ? 1 : 0,
      previewsEnabled ? 1 : 0,
      name,
    );
  }

  /** Merges `patch` into the script's non-versioned settings and answers them. */
  patchSettings(name: string, patch: Record<string, unknown>): Record<string, unknown> {
    const settings = { ...this.script(name)!.settings, ...patch };
    this.#sql('UPDATE scripts SET settings = ? WHERE name = ?').run(JSON.stringify(settings), name);
    return settings;
  }
}

function toScript(row: ScriptRow): ScriptRecord {
  return {
    name: row.name,
    tag: row.tag,
    etag: row.etag,
    createdOn: row.created_on,
    modifiedOn: row.modified_on,
    lastDeployedFrom: row.last_deployed_from,
    workersDev: row.workers_dev === 1,
    previewsEnabled: row.previews_enabled === 1,
    settings: JSON.parse(row.settings) as Record<string, unknown>,
  };
}

function toVersion(row: VersionRow): VersionRecord {
  return {
    id: row.id,
    script: row.script,
    number: row.number,
    createdOn: row.created_on,
    source: row.source,
    metadata: JSON.parse(row.metadata) as VersionMetadata,
    manifest: JSON.parse(row.manifest) as Record<string, string>,
  };
}

function toDeployment(row: DeploymentRow): DeploymentRecord {
  return {
    id: row.id,
    script: row.script,
    createdOn: row.created_on,
    source: row.source,
    strategy: row.strategy,
    versions: JSON.parse(row.versions) as DeploymentVersion[],
    annotations: JSON.parse(row.annotations) as Record<string, string>,
  };
}
