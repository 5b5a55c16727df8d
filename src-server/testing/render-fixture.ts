import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { siteFile, type SiteFile, uploadVersion } from './security-fixture.ts';
import type { TestServer } from './test-server.ts';

/** A font no page gets from the system under this family name: if it prints, the page's @font-face loaded. */
const FIXTURE_FONT = '/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf';

/** The PostScript name pdffonts shows for the fixture's web font. */
export const FIXTURE_FONT_NAME = 'DejaVuSerif-Bold';

/**
 * A three-page document as people deploy them: CSS `@page` (A5, margins),
 * a web font, a module script that builds part of the page and resolves
 * `window.pressReady` when done. Each page's text says which page it is.
 */
export function threePageDocument(): SiteFile[] {
  assert.ok(
    existsSync(FIXTURE_FONT),
    `${FIXTURE_FONT} is missing: npm test installs fonts-dejavu-core with the other test tools`,
  );
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>The page's own title</title>
<style>
  @font-face { font-family: PressFixture; src: url(fonts/fixture.ttf); }
  @page { size: A5; margin: 12mm 15mm; }
  body { font-family: PressFixture, monospace; margin: 0; }
  section { break-after: page; }
  section:last-child { break-after: auto; }
</style>
<script type="module" src="app.js"></script>
</head><body>
<section><h1>Chapter one</h1><p>First page of the fixture.</p></section>
<section><h1>Chapter two</h1><p>Second page of the fixture.</p></section>
<section id="last"><h1>Chapter three</h1></section>
</body></html>
`;
  const script = `window.pressReady = (async () => {
  await document.fonts.ready;
  await new Promise((resolve) => setTimeout(resolve, 150));
  document.getElementById('last').insertAdjacentHTML('beforeend', '<p>Built by the page before it was ready.</p>');
})();
`;
  return [
    siteFile('index.html', html, 'text/html; charset=utf-8'),
    siteFile('app.js', script, 'text/javascript'),
    siteFile('fonts/fixture.ttf', readFileSync(FIXTURE_FONT), 'font/ttf'),
  ];
}

/** A one-page document whose script does `body`, e.g. throw, or never resolve `window.pressReady`. */
export function pageThat(script: string): SiteFile[] {
  return [
    siteFile('index.html', '<!doctype html><title>t</title><p>Hello</p><script src="page.js"></script>', 'text/html'),
    siteFile('page.js', script, 'text/javascript'),
  ];
}

/** Commits `files` as a new version of deploy `slug` (created when new) with `render`; its ids and number. */
export async function commitSite(
  server: Pick<TestServer, 'request'>,
  slug: string,
  files: SiteFile[],
  render?: Record<string, unknown>,
): Promise<{ deployId: string; versionId: string; versionNo: number }> {
  const listed = await server.request('GET', '/v1/deploys?limit=200');
  const existing = (listed.body.items as Array<{ id: string; slug: string }>).find((deploy) => deploy.slug === slug);
  const deploy = existing ? { deployId: existing.id } : { createDeploy: { slug, name: slug } };
  const { version } = await uploadVersion(server, deploy, files, render);
  return { deployId: version.deployId, versionId: version.id, versionNo: version.versionNo };
}

/** What poppler says of a PDF: `pdfinfo`'s fields, `pdftotext`'s text, `pdffonts`' font names. */
export interface PdfReport {
  pages: number;
  /** Points, e.g. [419.53, 595.28] for A5. */
  pageSize: [number, number];
  title: string;
  text: string;
  fonts: string[];
}

/** Reads a PDF with poppler-utils, as a person would check one. */
export function inspectPdf(pdf: Buffer): PdfReport {
  const dir = mkdtempSync(join(tmpdir(), 'pressdrop-pdf-'));
  try {
    const file = join(dir, 'out.pdf');
    writeFileSync(file, pdf);
    const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
    const size = /^Page size:\s*([\d.]+) x ([\d.]+) pts/m.exec(info);
    const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' })
      .split('\n')
      .slice(2)
      .filter(Boolean)
      .map((line) => line.split(/\s+/)[0]!.replace(/^[A-Z]{6}\+/, ''));
    return {
      pages: Number(field('Pages')),
      pageSize: [Number(size?.[1]), Number(size?.[2])],
      title: field('Title'),
      text: execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' }),
      fonts,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
