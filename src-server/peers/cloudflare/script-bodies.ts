import type { DeploymentRecord, ScriptRecord, VersionRecord } from './script-store.ts';

/** A script as the Workers API describes it after an upload (PUT …/scripts/:name). */
export function scriptBody(script: ScriptRecord, version: VersionRecord): Record<string, unknown> {
  return {
    id: script.name,
    tag: script.tag,
    etag: script.etag,
    created_on: script.createdOn,
    modified_on: script.modifiedOn,
    compatibility_date: version.metadata.compatibility_date,
    compatibility_flags: version.metadata.compatibility_flags ?? [],
    has_assets: Object.keys(version.manifest).length > 0,
    has_modules: version.metadata.main_module !== undefined,
    handlers: version.metadata.main_module !== undefined ? ['fetch'] : [],
    last_deployed_from: script.lastDeployedFrom,
    usage_model: 'standard',
    // wrangler reads the new version's id from here.
    deployment_id: version.id,
    startup_time_ms: 0,
  };
}

/** A version as the versions API describes it (wrangler's ApiVersion). */
export function versionBody(script: ScriptRecord, version: VersionRecord): Record<string, unknown> {
  return {
    id: version.id,
    number: version.number,
    metadata: {
      created_on: version.createdOn,
      modified_on: version.createdOn,
      source: version.source,
      author_id: 'pressdrop-peer',
      author_email: 'peer@localhost',
      has_preview: false,
    },
    annotations: { 'workers/triggered_by': 'upload', ...version.metadata.annotations },
    resources: {
      bindings: [],
      script: {
        etag: script.etag,
        handlers: version.metadata.main_module !== undefined ? ['fetch'] : [],
        last_deployed_from: version.source,
      },
      script_runtime: {
        compatibility_date: version.metadata.compatibility_date,
        compatibility_flags: version.metadata.compatibility_flags ?? [],
        usage_model: 'standard',
        limits: {},
      },
    },
    startup_time_ms: 0,
  };
}

/** A deployment as the deployments API describes it (wrangler's ApiDeployment). */
export function deploymentBody(deployment: DeploymentRecord): Record<string, unknown> {
  return {
    id: deployment.id,
    source: deployment.source,
    strategy: deployment.strategy,
    author_email: 'peer@localhost',
    annotations: deployment.annotations,
    created_on: deployment.createdOn,
    versions: deployment.versions,
  };
}

/** The service (GET …/workers/services/:name) wrangler reads the script's tag and last uploader from. */
export function serviceBody(script: ScriptRecord): Record<string, unknown> {
  return {
    id: script.name,
    created_on: script.createdOn,
    modified_on: script.modifiedOn,
    default_environment: {
      environment: 'production',
      created_on: script.createdOn,
      modified_on: script.modifiedOn,
      script: {
        id: script.name,
        tag: script.tag,
        tags: null,
        etag: script.etag,
        handlers: [],
        created_on: script.createdOn,
        modified_on: script.modifiedOn,
        last_deployed_from: script.lastDeployedFrom,
        usage_model: 'standard',
      },
    },
    environments: [{ environment: 'production', created_on: script.createdOn, modified_on: script.modifiedOn }],
  };
}

/** The script's non-versioned settings, with the defaults the API fills in. */
export function settingsBody(script: ScriptRecord): Record<string, unknown> {
  return {
    logpush: false,
    tail_consumers: [],
    observability: { enabled: false },
    tags: [],
    ...script.settings,
  };
}
