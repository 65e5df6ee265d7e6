/**
 * How every handler is bundled; shared by the stack and the bundle benchmark so the figures
 * describe what is deployed. Free of aws-cdk-lib so the benchmark loads it quickly.
 */

/** ESM output still meets CommonJS dependencies that call `require` for Node built-ins. */
export const requireShim =
  "import { createRequire as __omnichatCreateRequire } from 'node:module'; const require = __omnichatCreateRequire(import.meta.url);";

/**
 * The nodejs22.x runtime ships AWS SDK v3; using it keeps bundles ~150 KB instead of ~600 KB
 * and cold starts short. Everything else (zod, middy, Powertools) is bundled and tree-shaken.
 */
export const bundleExternals = ['@aws-sdk/*'];

/*
 * package.json declares the project's modules free of import-time side effects (`"sideEffects": false`),
 * so esbuild leaves out every module a handler imports but does not use: the webhooks import the
 * composition root and get only what `webhookAdapters()` builds, not every adapter's zod schemas.
 * A module that must run for its effects alone has to be imported for something it exports.
 */

export const bundleTarget = 'node22';
