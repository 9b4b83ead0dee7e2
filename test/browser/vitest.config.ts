import { defineConfig } from 'vitest/config';

/** Browser tests: real JupyterLab + Chromium, one file at a time (`npx vitest run -c test/browser/vitest.config.ts`). */
export default defineConfig({
  test: {
    root: `${__dirname}/../..`,
    include: ['test/browser/**/*.browser.ts'],
    testTimeout: 60_000,
    hookTimeout: 240_000,
    fileParallelism: false,
  },
});
