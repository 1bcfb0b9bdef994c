import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

/** Center tests that run once per store (SQLite in `node`, PostgreSQL in `node-pg`). */
const CENTER_STORE_TESTS = [
  'center/batch-guard.test.ts',
  'center/ca/ca.test.ts',
  'center/ca/first-start.test.ts',
  'center/cmp/service.test.ts',
  'center/cmp/response.test.ts',
  'center/ra/ra.test.ts',
  'center/ra/http.test.ts',
  'center/ra/center-e2e.test.ts',
  'center/server.test.ts',
  'cli/commands/center-ra.test.ts',
  'tests/interop/center-openssl.test.ts',
  'tests/reliability/center-load.test.ts',
  'tests/reliability/center-cluster.test.ts',
]

// Three projects: plain-Node code (services, shared logic, center, CLI), the center's store
// tests again on PostgreSQL (node-pg), and the Vue renderer
// (components and stores in a DOM). Playwright specs under tests/e2e are not Vitest's.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: [
            'electron/**/*.test.ts',
            'core/**/*.test.ts',
            'app/**/*.test.ts',
            'shared/**/*.test.ts',
            'center/**/*.test.ts',
            'cli/**/*.test.ts',
            'tests/unit/**/*.test.ts',
            'tests/interop/**/*.test.ts',
            'tests/reliability/**/*.test.ts',
            'tests/fuzz/**/*.test.ts',
            'tests/security/**/*.test.ts',
          ],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The center's tests that touch its database, run again on PostgreSQL (CERTMGR_TEST_PG,
        // see tests/helpers/postgres.ts): each file takes its store from CERTMGR_TEST_STORE.
        test: {
          name: 'node-pg',
          environment: 'node',
          include: CENTER_STORE_TESTS,
          env: { CERTMGR_TEST_STORE: 'postgres' },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        plugins: [vue()],
        test: {
          name: 'renderer',
          environment: 'happy-dom',
          include: ['renderer/**/*.test.ts'],
        },
      },
    ],
  },
})
