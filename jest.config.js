// Every TypeScript file, and the ESM-only packages we import, are compiled to CommonJS by esbuild.
const esmOnly = ['@middy', 'fauxqs', 'jose'];

/** What every project shares: the esbuild transform and where tests are found. */
const base = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': '<rootDir>/test/support/esbuild-transformer.cjs',
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};

/**
 * DynamoDB Local (Java) and the SQS emulator, for the projects that need them. Jest runs a global
 * setup module once per run for all selected projects that name it (it deduplicates by path), so
 * integration and e2e share one DynamoDB Local and one emulator; unit and infra never start them.
 */
const emulators = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

/** @type {import('jest').Config} */
export default {
  projects: [
    { ...base, displayName: 'unit', roots: ['<rootDir>/test/unit'] },
    { ...base, displayName: 'infra', roots: ['<rootDir>/test/infra'] },
    { ...base, ...emulators, displayName: 'integration', roots: ['<rootDir>/test/integration'] },
    { ...base, ...emulators, displayName: 'e2e', roots: ['<rootDir>/test/e2e'] },
  ],
  testTimeout: 30_000,
  maxWorkers: 2,
};
