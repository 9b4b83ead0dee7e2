import { defineConfig } from 'vitest/config';

/** The class hub in Chromium (test/hub/*.browser.ts): npm test's hub stage runs it after building the class image. */
export default defineConfig({
  test: {
    root: `${__dirname}/../..`,
    include: ['test/hub/**/*.browser.ts'],
    testTimeout: 240_000,
    hookTimeout: 240_000,
    fileParallelism: false,
  },
});
