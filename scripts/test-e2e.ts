#!/usr/bin/env node
/** `npm run test:e2e`: finds or gets Chromium (and the other test tools), then runs the Playwright specs with it. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureTestTools } from './ensure-test-tools.ts';

const chromium = await ensureTestTools();
if (!chromium) process.exit(1);
const root = join(import.meta.dirname, '..');
const result = spawnSync(
  process.execPath,
  [
    join(root, 'node_modules/@playwright/test/cli.js'),
    'test',
    '-c',
    join(root, 'e2e/playwright.config.ts'),
    ...process.argv.slice(2),
  ],
  {
    stdio: 'inherit',
    env: { ...process.env, PRESSDROP_CHROMIUM: chromium },
  },
);
process.exit(result.status ?? 1);
