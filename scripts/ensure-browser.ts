/**
 * Finds a Chromium for the e2e tests, or gets one: $PRESSDROP_CHROMIUM,
 * then Debian's /usr/bin/chromium, then the one `npx playwright install
 * chromium` fetches; where none is found and we run as root with apt-get
 * (CI, a fresh Debian machine), installs Debian's `chromium` package.
 * Otherwise it says what to do.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium } from '@playwright/test';

function found(): string | null {
  const candidates = [process.env.PRESSDROP_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  try {
    candidates.push(chromium.executablePath());
  } catch {
    // Playwright has no browser of its own here; that is fine.
  }
  return candidates.find((path): path is string => path !== undefined && path !== '' && existsSync(path)) ?? null;
}

/** The Chromium to test with, installed from Debian's packages if need be (as root); null, with a message, when none can be had. */
export function ensureChromium(): string | null {
  let path = found();
  if (!path && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    process.stderr.write("No Chromium found: installing Debian's chromium package (apt-get update && apt-get install -y chromium)…\n");
    const apt = (args: string[]) => execFileSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    apt(['update']);
    apt(['install', '-y', '--no-install-recommends', 'chromium']);
    path = found();
  }
  if (!path) {
    process.stderr.write(
      'The end-to-end tests need Chromium and none was found.\n' +
        '  Debian/Ubuntu: sudo apt-get install chromium\n' +
        '  elsewhere:     npx playwright install chromium\n' +
        '  or point PRESSDROP_CHROMIUM at a Chromium or Chrome binary.\n',
    );
  }
  return path;
}
