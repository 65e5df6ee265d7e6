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

export const bundleTarget = 'node22';
