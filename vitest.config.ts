import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'

// Two projects: plain-Node code (services, shared logic, center, CLI) and the Vue renderer
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
