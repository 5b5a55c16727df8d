import { defineConfig } from '@playwright/test';

/** Set by `npm run test:e2e` from scripts/ensure-test-tools.ts: the Chromium the specs drive. */
const executablePath = process.env.PRESSDROP_CHROMIUM;

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './global-setup.ts',
  outputDir: '../test-results',
  workers: 1,
  timeout: 60_000,
  reporter: [['list']],
  projects: [
    {
      name: 'chromium',
      testIgnore: /electron\.spec\.ts$/,
      use: {
        ...(executablePath && {
          launchOptions: {
            executablePath,
            args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
          },
        }),
      },
    },
    { name: 'electron', testMatch: /electron\.spec\.ts$/ },
  ],
});
