import { defineConfig } from 'vitest/config';

// Tests run in Node; browser tests drive headless Chromium themselves (test/browser-*.test.ts).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
