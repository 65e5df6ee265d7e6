/**
 * How every handler is bundled; shared by the stack and the bundle benchmark so the figures
 * describe what is deployed. Free of aws-cdk-lib so the benchmark loads it quickly.
 */

/** ESM output still meets CommonJS dependencies that call `require` for Node built-ins. */
export const requireShim =
  "import { createRequire as __omnichatCreateRequire } from 'node:module'; const require = __omnichatCreateRequire(import.meta.url);";

/**
 * Nothing is left to the runtime: the AWS SDK v3 clients are bundled and tree-shaken with
 * everything else, pinned to the versions of package-lock.json (as AWS recommends) instead of the
 * ones the nodejs22.x runtime happens to ship. A fresh Node 22 loads one minified file much faster
 * than it resolves and loads the SDK's packages from node_modules: the Messenger webhook's import
 * took ~180 ms of CPU bundled against ~420 ms with `@aws-sdk/*` external (the router ~305 against
 * ~520 ms), though the bundles grow by the SDK's ~380–410 KB. `bench/bundles.ts` prints both parts.
 */
export const bundleExternals: string[] = [];

/** The SDK's packages in a bundle's inputs: counted apart by the bundle benchmark. */
export const sdkPackage = /^@(aws-sdk|smithy|aws-crypto)\/|^(fast-xml-parser|strnum|bowser|mnemonist|obliterator)$/;

/**
 * Functions that run with `NODE_OPTIONS=--enable-source-maps`. With it, Node reads and parses the
 * bundle's source map when it loads the bundle, ~45 ms of CPU per cold start for a webhook (about
 * a fifth of its load). The webhooks do without it: they are the path Meta and Telegram wait on,
 * and every error they meet becomes an answer and a log line of names and messages, never a stack.
 * The other functions keep mapped stack traces for what escapes them.
 */
export const withoutRuntimeSourceMaps: ReadonlySet<string> = new Set(['ingest/messenger-webhook', 'ingest/telegram-webhook', 'ingest/messenger-handshake']);

/*
 * package.json declares the project's modules free of import-time side effects (`"sideEffects": false`),
 * so esbuild leaves out every module a handler imports but does not use: a handler importing the
 * composition root gets only what the getters it calls build, not every adapter's zod schemas (the
 * webhooks have their own, SDK-free composition, functions/ingest/webhook-adapters.ts).
 * A module that must run for its effects alone has to be imported for something it exports.
 */

export const bundleTarget = 'node22';
