import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'libs/*/src/**/*.spec.ts',
      'libs/*/test/**/*.test.ts',
      'apps/*/src/**/*.spec.ts',
      'apps/*/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    globalSetup: ['libs/testkit/src/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', 'json'],
    outputFile: { json: '.test-output/vitest.json' },
  },
});
