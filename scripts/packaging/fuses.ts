import {
  FuseState,
  FuseV1Options,
  FuseVersion,
  flipFuses,
  getCurrentFuseWire,
  type FuseV1Config,
} from '@electron/fuses';

/**
 * The Electron fuses PressDrop ships with: bits in the Electron binary,
 * flipped when the app is packaged (before it is signed), that switch
 * features off for good. Every fuse is set on purpose
 * (`strictlyRequireAllFuses`), so a fuse added by a later Electron fails
 * the package step until someone decides it.
 */
export const PRESSDROP_FUSES = {
  version: FuseVersion.V1,
  strictlyRequireAllFuses: true,
  // ELECTRON_RUN_AS_NODE would turn the signed app into a general-purpose Node for any process that can set env vars.
  [FuseV1Options.RunAsNode]: false,
  // Nothing of ours lives in cookies, but Chromium's store may; encrypt it with the OS keychain.
  [FuseV1Options.EnableCookieEncryption]: true,
  // NODE_OPTIONS (--require, --inspect…) and NODE_EXTRA_CA_CERTS would inject code or trust into main.
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  // --inspect / SIGUSR1 would open a debugger onto main, which holds the API keys.
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // The app's code is checked against the hash the packager embeds (macOS, Windows)…
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  // …and loaded only from that app.asar, never from an `app/` folder planted next to it.
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  // No custom snapshot ships with the app.
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  // The renderer is served from app://, never file://: file pages need no extra powers.
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  // Electron's default: WebAssembly bounds checks by trap handlers (faster, no security cost).
  [FuseV1Options.WasmTrapHandlers]: true,
} as const satisfies FuseV1Config;

/** The fuses of the binary at `path` that differ from PRESSDROP_FUSES, by name; empty when all match. */
async function fuseMismatches(path: string): Promise<string[]> {
  const wire = await getCurrentFuseWire(path);
  const mismatches: string[] = [];
  for (const [index, wanted] of Object.entries(PRESSDROP_FUSES)) {
    const option = Number(index);
    if (!Number.isInteger(option)) continue;
    const actual = wire[option as FuseV1Options];
    if (actual !== (wanted ? FuseState.ENABLE : FuseState.DISABLE))
      mismatches.push(`${FuseV1Options[option]} is ${fuseStateName(actual)}, not ${wanted ? 'on' : 'off'}`);
  }
  return mismatches;
}

/** Flips the fuses of the Electron binary (or macOS .app) at `path`, then reads them back: a wire that did not take is an error, not a warning. */
export async function applyPressDropFuses(path: string): Promise<void> {
  await flipFuses(path, PRESSDROP_FUSES);
  const mismatches = await fuseMismatches(path);
  if (mismatches.length > 0) throw new Error(`The fuses of ${path} did not take: ${mismatches.join('; ')}.`);
}

function fuseStateName(state: FuseState | undefined): string {
  switch (state) {
    case FuseState.ENABLE:
      return 'on';
    case FuseState.DISABLE:
      return 'off';
    case FuseState.REMOVED:
      return 'removed from this Electron';
    default:
      return 'missing';
  }
}
