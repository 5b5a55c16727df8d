#!/usr/bin/env node
/**
 * Electronegativity (Doyensec's Electron security scanner) over the app's
 * sources: src-main, src-preload, src-renderer. Prints every finding and
 * fails when one is above LOW. Called through its programmatic runner: its
 * CLI needs a commander 2 it does not declare.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Finding {
  id: string;
  file: string;
  location: { line: number; column: number };
  severity: { name: string; value: number };
  confidence: { name: string };
  description: string;
}

const require = createRequire(import.meta.url);
const run = require('@doyensec/electronegativity/dist/runner.js') as (
  options: Record<string, unknown>,
) => Promise<{ issues: Finding[]; errors: Array<{ file: string; message: string; tolerable: boolean }> }>;

const root = join(import.meta.dirname, '..');
const ELECTRON_VERSION = '45.0.0';
// One app, scanned as one: its global checks (navigation limits, permission handler, CSP) look across all three folders.
const app = mkdtempSync(join(tmpdir(), 'pressdrop-electronegativity-'));
for (const folder of ['src-main', 'src-preload', 'src-renderer']) {
  cpSync(join(root, folder), join(app, folder), { recursive: true, filter: (source) => !source.endsWith('.test.ts') });
}
let failed = false;
try {
  const { issues, errors } = await run({
    input: app,
    electronVersionOverride: ELECTRON_VERSION,
    isRelative: true,
    severitySet: 'informational',
    confidenceSet: 'tentative',
  });
  for (const error of errors.filter((e) => !e.tolerable)) {
    failed = true;
    process.stdout.write(`${error.file}: could not be scanned: ${error.message}\n`);
  }
  for (const issue of issues) {
    const above = issue.severity.name !== 'INFORMATIONAL' && issue.severity.name !== 'LOW';
    failed ||= above;
    process.stdout.write(
      `${above ? 'FAIL' : 'note'} ${issue.severity.name.padEnd(13)} ${issue.id.padEnd(40)} ${issue.file}:${issue.location.line}  ${issue.description}\n`,
    );
  }
} finally {
  rmSync(app, { recursive: true, force: true });
}
process.stdout.write(
  failed ? 'electronegativity: findings above LOW (see FAIL lines).\n' : 'electronegativity: nothing above LOW.\n',
);
process.exit(failed ? 1 : 0);
