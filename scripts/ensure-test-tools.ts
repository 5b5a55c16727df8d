/**
 * Finds, or gets, what the tests need beyond npm packages: Chromium (the e2e
 * specs, and the local Press Cloud's PDF printer), poppler-utils (pdfinfo,
 * pdftotext and pdffonts read the PDFs it prints) and the DejaVu fonts (the
 * render fixture's web font). Chromium is found as the server finds it
 * ($PRESSDROP_CHROMIUM, Debian's, Playwright's). Where something is missing
 * and we run as root with apt-get (CI, a fresh Debian machine), it installs
 * Debian's packages; otherwise it says what to install.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findChromium } from '../src-server/render/find-chromium.ts';

/** A tool the tests need, how to tell it is here, and the Debian package that brings it. */
interface Need {
  what: string;
  present: () => boolean | Promise<boolean>;
  debianPackage: string;
  elsewhere: string;
}

const onPath = (command: string) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => existsSync(join(dir, command)));

const NEEDS: Need[] = [
  {
    what: 'Chromium',
    present: async () => (await findChromium()) !== null,
    debianPackage: 'chromium',
    elsewhere: 'npx playwright install chromium, or point PRESSDROP_CHROMIUM at a Chromium or Chrome binary',
  },
  {
    what: 'poppler-utils (pdfinfo, pdftotext, pdffonts)',
    present: () => ['pdfinfo', 'pdftotext', 'pdffonts'].every(onPath),
    debianPackage: 'poppler-utils',
    elsewhere: 'brew install poppler, or your system’s poppler-utils',
  },
  {
    what: 'the DejaVu fonts',
    present: () => existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf'),
    debianPackage: 'fonts-dejavu-core',
    elsewhere: 'your system’s DejaVu fonts package (fonts-dejavu-core)',
  },
];

async function missing(): Promise<Need[]> {
  const absent: Need[] = [];
  for (const need of NEEDS) if (!(await need.present())) absent.push(need);
  return absent;
}

/** The Chromium to test with, once every tool is here (installed from Debian's packages if need be, as root); null, with a message, when not. */
export async function ensureTestTools(): Promise<string | null> {
  let absent = await missing();
  if (absent.length > 0 && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    const packages = absent.map((need) => need.debianPackage);
    process.stderr.write(
      `The tests need ${absent.map((need) => need.what).join(', ')}: installing Debian's ${packages.join(' ')} (apt-get update && apt-get install)…\n`,
    );
    const apt = (args: string[]) =>
      execFileSync('apt-get', args, {
        stdio: ['ignore', 'ignore', 'inherit'],
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    apt(['update']);
    apt(['install', '-y', '--no-install-recommends', ...packages]);
    absent = await missing();
  }
  if (absent.length > 0) {
    process.stderr.write('The tests need tools this machine does not have:\n');
    for (const need of absent)
      process.stderr.write(
        `  ${need.what}: Debian/Ubuntu: sudo apt-get install ${need.debianPackage}; elsewhere: ${need.elsewhere}\n`,
      );
    return null;
  }
  return findChromium();
}

// `npm run test:tools`: the first step of `npm test`.
if (import.meta.main) {
  const chromium = await ensureTestTools();
  if (!chromium) process.exit(1);
  process.stdout.write(`Test tools: Chromium at ${chromium}, poppler-utils, DejaVu fonts.\n`);
}
