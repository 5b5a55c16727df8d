import type { AfterPackContext, Configuration } from 'electron-builder';
import { join } from 'node:path';
import { applyPressDropFuses } from './fuses.ts';

/**
 * How `npm run package` builds installers with electron-builder: the
 * electron-vite output in an asar, the Electron binary taken from
 * `electronDistDir` (never downloaded), and the fuses flipped and checked
 * after packing, before signing.
 */
export function electronBuilderConfig(electronDistDir: string): Configuration {
  return {
    appId: 'cloud.press.pressdrop',
    productName: 'PressDrop',
    directories: { output: 'dist', buildResources: 'build' },
    // Only the built app and its runtime dependencies: no sources, tests or CLI.
    files: ['out/**', 'package.json'],
    asar: true,
    electronDist: electronDistDir,
    afterPack: flipFusesAfterPack,
    mac: { category: 'public.app-category.developer-tools', target: ['dmg', 'zip'], hardenedRuntime: true },
    win: { target: ['nsis'] },
    linux: { category: 'Development', target: ['AppImage', 'deb'] },
  };
}

/** The packed app's Electron executable (the .app bundle on macOS), where its fuse wire is. */
export function packagedElectronBinary(
  context: Pick<AfterPackContext, 'appOutDir' | 'electronPlatformName' | 'packager'>,
): string {
  const { appOutDir, electronPlatformName, packager } = context;
  const name = packager.appInfo.productFilename;
  switch (electronPlatformName) {
    case 'darwin':
    case 'mas':
      return join(appOutDir, `${name}.app`);
    case 'win32':
      return join(appOutDir, `${name}.exe`);
    default:
      // Linux names the executable after the package (lower case, no spaces), not the product.
      return join(appOutDir, (packager as unknown as { executableName: string }).executableName);
  }
}

async function flipFusesAfterPack(context: AfterPackContext): Promise<void> {
  await applyPressDropFuses(packagedElectronBinary(context));
}
