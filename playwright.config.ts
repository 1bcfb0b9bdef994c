import { defineConfig, devices } from '@playwright/test'

// Debian's Chromium; Playwright never downloads a browser here. The background-networking
// flags stop Chromium from calling out to a network this machine does not have.
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]
const executablePath = process.env.CERTMGR_CHROMIUM ?? '/usr/bin/chromium'

// Host names the tests map to loopback so that pages load from a non-loopback *origin*
// (no secure context, like a phone on the LAN) while traffic never leaves 127.0.0.1.
export const TEST_HOSTS = ['phone.certmgr.test', 'pc.certmgr.test']
const resolverRules = `--host-resolver-rules=${TEST_HOSTS.map((h) => `MAP ${h} 127.0.0.1`).join(', ')}`

export default defineConfig({
  testDir: 'tests/e2e',
  timeout: 120_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  // One retry on CI only, for timing on a loaded machine; a test that needed it is reported as
  // flaky in the closing summary, never hidden.
  retries: process.env.CI ? 1 : 0,
  outputDir: 'test-results/e2e',
  reporter: [['list'], ['json', { outputFile: 'reports/playwright.json' }]],
  use: { trace: 'off', screenshot: 'off' },
  projects: [
    {
      name: 'app',
      testIgnore: /phone-.*\.spec\.ts/,
      use: {
        ...devices['Desktop Chrome'],
        viewport: { width: 1280, height: 800 },
        launchOptions: { executablePath, args: [...chromiumArgs, resolverRules] },
      },
    },
    {
      name: 'phone',
      testMatch: /phone-.*\.spec\.ts/,
      use: {
        ...devices['Pixel 7'],
        launchOptions: { executablePath, args: [...chromiumArgs, resolverRules] },
      },
    },
  ],
})
