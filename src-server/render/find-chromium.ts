import { existsSync } from 'node:fs';

/** What to tell someone whose machine has no Chromium to print with. */
export const NO_CHROMIUM_HELP =
  'No Chromium was found to print PDFs with. Install one (Debian/Ubuntu: sudo apt-get install chromium; elsewhere: npx playwright install chromium), or point PRESSDROP_CHROMIUM at a Chromium or Chrome binary, then restart the server.';

const present = (path: string | undefined): path is string => path !== undefined && path !== '' && existsSync(path);

/**
 * The Chromium to print (and, for the tests, to browse) with: $PRESSDROP_CHROMIUM,
 * then Debian's, then the one `npx playwright install chromium` fetched; null when
 * there is none. Resolved the same way by `pressdrop serve` and scripts/ensure-test-tools.ts.
 */
export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const first = [env.PRESSDROP_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(present);
  if (first) return first;
  // Only now: importing playwright-core takes most of a second, and every server start asks.
  try {
    const { chromium } = await import('playwright-core');
    const fetched = chromium.executablePath();
    return present(fetched) ? fetched : null;
  } catch {
    // Playwright has no browser of its own here; that is fine.
    return null;
  }
}
