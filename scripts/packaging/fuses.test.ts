import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { electronBuilderConfig, packagedElectronBinary } from './electron-builder-config.ts';
import { applyPressDropFuses, PRESSDROP_FUSES } from './fuses.ts';

/** Electron's fuse sentinel, as @electron/fuses looks for it in a binary. */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

/** A file laid out as Electron's binaries carry their fuse wire: bytes, the sentinel, version 1, the length, one byte per fuse. */
function binaryWithFuseWire(t: { after(fn: () => void): void }, fuses: number[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'pressdrop-fuses-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'electron');
  writeFileSync(
    path,
    Buffer.concat([
      randomBytes(64 * 1024),
      Buffer.from(SENTINEL),
      Buffer.from([1, fuses.length, ...fuses]),
      randomBytes(4096),
    ]),
  );
  return path;
}

const fuseCount = Object.values(FuseV1Options).filter((value) => typeof value === 'number').length;

test('the fuses the security checklist asks for are set: no RunAsNode, NODE_OPTIONS or --inspect; asar integrity on and only app.asar loaded', () => {
  assert.equal(PRESSDROP_FUSES[FuseV1Options.RunAsNode], false);
  assert.equal(PRESSDROP_FUSES[FuseV1Options.EnableNodeOptionsEnvironmentVariable], false);
  assert.equal(PRESSDROP_FUSES[FuseV1Options.EnableNodeCliInspectArguments], false);
  assert.equal(PRESSDROP_FUSES[FuseV1Options.EnableEmbeddedAsarIntegrityValidation], true);
  assert.equal(PRESSDROP_FUSES[FuseV1Options.OnlyLoadAppFromAsar], true);
  assert.equal(PRESSDROP_FUSES[FuseV1Options.GrantFileProtocolExtraPrivileges], false);
});

test('every fuse @electron/fuses knows is decided, and a fuse it does not know fails the package step', () => {
  assert.equal(PRESSDROP_FUSES.strictlyRequireAllFuses, true);
  for (let option = 0; option < fuseCount; option++) {
    assert.equal(typeof PRESSDROP_FUSES[option as FuseV1Options], 'boolean', `${FuseV1Options[option]} is not decided`);
  }
});

test('packing flips a binary wire of all-default fuses to exactly PressDrop’s, and reads it back', async (t) => {
  const binary = binaryWithFuseWire(
    t,
    Array.from({ length: fuseCount }, () => FuseState.ENABLE),
  );
  await applyPressDropFuses(binary);
  const wire = await getCurrentFuseWire(binary);
  for (let option = 0; option < fuseCount; option++) {
    const wanted = PRESSDROP_FUSES[option as FuseV1Options] ? FuseState.ENABLE : FuseState.DISABLE;
    assert.equal(wire[option as FuseV1Options], wanted, FuseV1Options[option]);
  }
});

test('an Electron with a fuse PressDrop has not decided, or without one it has, stops the package step', async (t) => {
  const newer = binaryWithFuseWire(
    t,
    Array.from({ length: fuseCount + 1 }, () => FuseState.ENABLE),
  );
  await assert.rejects(applyPressDropFuses(newer), /strictlyRequireAllFuses/);
  const older = binaryWithFuseWire(
    t,
    Array.from({ length: fuseCount - 1 }, () => FuseState.ENABLE),
  );
  await assert.rejects(applyPressDropFuses(older), /not long enough/);
});

test('the package holds only the built app in an asar, uses the local Electron, and flips fuses after packing', () => {
  const config = electronBuilderConfig('/opt/electron-45');
  assert.equal(config.asar, true);
  assert.deepEqual(config.files, ['out/**', 'package.json']);
  assert.equal(config.electronDist, '/opt/electron-45');
  assert.equal(typeof config.afterPack, 'function');
});

test('the fuse wire is looked for in each platform’s own executable', () => {
  const packager = { appInfo: { productFilename: 'PressDrop' }, executableName: 'pressdrop' } as unknown as Parameters<
    typeof packagedElectronBinary
  >[0]['packager'];
  assert.equal(
    packagedElectronBinary({ appOutDir: '/out', electronPlatformName: 'darwin', packager }),
    join('/out', 'PressDrop.app'),
  );
  assert.equal(
    packagedElectronBinary({ appOutDir: '/out', electronPlatformName: 'win32', packager }),
    join('/out', 'PressDrop.exe'),
  );
  assert.equal(
    packagedElectronBinary({ appOutDir: '/out', electronPlatformName: 'linux', packager }),
    join('/out', 'pressdrop'),
  );
});
