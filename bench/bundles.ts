/**
 * Lambda bundles: each handler of routes.ts bundled the way the stack bundles it
 * (lib/handler-function.ts), its minified size (and the part of it that is the AWS SDK), and the
 * time a fresh Node 22 process takes to import it (the module-load part of a cold start), with and
 * without `--enable-source-maps`. Run alone with `node --import tsx bench/bundles.ts`.
 */
import { spawn } from 'node:child_process';
import { SourceMap } from 'node:module';
import { mkdirSync, mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { bundleExternals, bundleTarget, requireShim, sdkPackage, withoutRuntimeSourceMaps } from '../lib/bundling';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { envKeys, type EnvKey } from '../functions/shared/env';
import { handlerEntry, httpRoutes, queueConsumers, socketRoutes, type HandlerId } from '../functions/shared/routes';
import { heading, ms, note, printTable, projectRoot, runIfMain, summarize, nodeBinary, verdict } from './support';

const loadRuns = 5;
/**
 * Goals of the webhooks (the hot path: a signature check, a small parse, one SendMessage). The size
 * goals were set when the SDK came from the runtime, so they are judged on the bundle without the
 * AWS SDK; the load goal on the whole import.
 */
const webhookGoal = { kb: 60, loadMs: 60 };
const webhooks: readonly HandlerId[] = ['ingest/messenger-webhook', 'ingest/telegram-webhook'];
/** Goal of every other bundle: the largest stays at most this. */
const largestGoalKb = 120;


/** Every handler id named by the route table, in the order the stack meets them. */
export function handlerIds(): HandlerId[] {
  const ids = [...httpRoutes.map((r) => r.handler), ...Object.values(socketRoutes), ...Object.values(queueConsumers)];
  return [...new Set(ids)];
}

/** Dummy but valid values: handlers read and validate their variables at module load. */
function dummyEnvironment(): Record<string, string> {
  const urls: Partial<Record<EnvKey, string>> = {
    INBOUND_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/omnichat-inbound.fifo',
    OUTBOUND_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/omnichat-outbound.fifo',
    INBOUND_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/omnichat-inbound-dlq.fifo',
    OUTBOUND_DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/omnichat-outbound-dlq.fifo',
    TIMER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/omnichat-timers',
    SOCKET_CALLBACK_URL: 'https://abc123.execute-api.us-east-1.amazonaws.com/live',
    GRAPH_API_URL: 'https://graph.facebook.com/v23.0',
    TELEGRAM_API_URL: 'https://api.telegram.org',
    JWT_ISSUER: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_bench',
    JWKS_URI: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_bench/.well-known/jwks.json',
    PUBLIC_API_URL: 'https://api.omnichat.example',
  };
  const values: Record<string, string> = {};
  for (const key of envKeys) values[key] = urls[key] ?? `bench-${key.toLowerCase()}`;
  values.JWT_AUDIENCE = '';
  return {
    ...values,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_LAMBDA_FUNCTION_NAME: 'omnichat-bench',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  };
}

/** Bytes of the minified output by package (`functions/…` counts as the project). */
export type Contributors = Map<string, number>;

function packageOf(input: string): string {
  const parts = input.split('node_modules/');
  const tail = parts[parts.length - 1] ?? input;
  if (parts.length === 1) return 'project code';
  const [first = '', second = ''] = tail.split('/');
  return first.startsWith('@') ? `${first}/${second}` : first;
}

async function bundle(id: HandlerId, outdir: string): Promise<{ outfile: string; contributors: Contributors }> {
  const outfile = join(outdir, id.replace('/', '-'), 'index.mjs');
  const result = await build({
    metafile: true,
    entryPoints: [join(projectRoot, handlerEntry(id))],
    outfile,
    absWorkingDir: projectRoot,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: bundleTarget,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    banner: { js: requireShim },
    // what the stack leaves to the runtime (nothing today); the bench process would find it in node_modules
    external: bundleExternals,
    logLevel: 'error',
  });
  const contributors: Contributors = new Map();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      contributors.set(name, (contributors.get(name) ?? 0) + bytesInOutput);
    }
  }
  return { outfile, contributors };
}

/**
 * Milliseconds one fresh process spends in `import()` of the bundle: wall time, and the CPU time of
 * the process meanwhile (every thread; steadier than wall time on a busy machine).
 */
function loadOnce(file: string, env: Record<string, string>): Promise<{ wall: number; cpu: number }> {
  const script = `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); const w = performance.now() - t; const u = process.cpuUsage(c); process.stdout.write(w + ' ' + (u.user + u.system) / 1000);`;
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBinary, ['--input-type=module', '-e', script], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      const [wall, cpu] = out.split(' ').map(Number);
      if (code === 0 && Number.isFinite(wall) && Number.isFinite(cpu)) resolve({ wall: wall!, cpu: cpu! });
      else reject(new Error(`import of ${file} failed (${code}): ${err.trim().split('\n').slice(0, 3).join(' ')}`));
    });
  });
}

export async function main(): Promise<void> {
  heading(`bundles: esbuild as the stack does (ESM, minified, ${bundleTarget}, external: ${bundleExternals.join(', ') || 'none, the AWS SDK bundled'})`);
  // inside the project, so the bundles resolve the runtime-provided SDK from node_modules
  mkdirSync(join(projectRoot, 'node_modules', '.cache'), { recursive: true });
  const outdir = mkdtempSync(join(projectRoot, 'node_modules', '.cache', 'omnichat-bench-bundles-'));
  try {
    const env = dummyEnvironment();
    const rows: Array<Array<string | number>> = [];
    const verdicts: string[] = [];
    const breakdowns: Array<[HandlerId, Contributors]> = [];
    let largest: { id: HandlerId; kb: number } | undefined;
    for (const id of handlerIds()) {
      let file: string;
      try {
        const built = await bundle(id, outdir);
        file = built.outfile;
        breakdowns.push([id, built.contributors]);
      } catch (error) {
        rows.push([id, 'build failed', '', '', '', '', '', '', '', '', '']);
        note(`${id}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
        continue;
      }
      const bytes = statSync(file).size;
      const gzipped = gzipSync(readFileSync(file)).length;
      const mapBytes = statSync(`${file}.map`).size;
      // what --enable-source-maps adds on the first stack trace it maps: reading and parsing the map
      const mapStart = performance.now();
      new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))).findEntry(0, 0);
      const mapParse = performance.now() - mapStart;
      const withMaps: Array<{ wall: number; cpu: number }> = [];
      const withoutMaps: Array<{ wall: number; cpu: number }> = [];
      let loadError: string | undefined;
      for (let run = 0; run < loadRuns && !loadError; run++) {
        try {
          withMaps.push(await loadOnce(file, { ...env, NODE_OPTIONS: '--enable-source-maps' }));
          withoutMaps.push(await loadOnce(file, env));
        } catch (error) {
          loadError = error instanceof Error ? error.message : String(error);
        }
      }
      const sdkBytes = [...(breakdowns.at(-1)?.[1] ?? new Map<string, number>()).entries()].filter(([name]) => sdkPackage.test(name)).reduce((sum, [, b]) => sum + b, 0);
      const kb = bytes / 1024;
      const ownKb = (bytes - sdkBytes) / 1024;
      // as deployed: with --enable-source-maps unless lib/bundling.ts leaves it off for this function
      const mapsDeployed = !withoutRuntimeSourceMaps.has(id);
      const deployed = mapsDeployed ? withMaps : withoutMaps;
      const median = (runs: Array<{ wall: number; cpu: number }>, key: 'wall' | 'cpu') => summarize(runs.map((r) => r[key])).p50;
      const load = loadError ? undefined : median(deployed, 'wall');
      const isWebhook = webhooks.includes(id);
      if (!isWebhook && (!largest || ownKb > largest.kb)) largest = { id, kb: ownKb };
      const goal = isWebhook ? `≤ ${webhookGoal.kb} KB, ≤ ${webhookGoal.loadMs} ms: ${verdict(ownKb <= webhookGoal.kb && load !== undefined && load <= webhookGoal.loadMs)}` : '';
      const both = (runs: Array<{ wall: number; cpu: number }>) => (loadError ? 'failed' : `${ms(median(runs, 'wall'))} / ${ms(median(runs, 'cpu'))}`);
      rows.push([
        id,
        `${kb.toFixed(1)} KB`,
        `${ownKb.toFixed(1)} KB`,
        `${(gzipped / 1024).toFixed(1)} KB`,
        `${(mapBytes / 1024).toFixed(0)} KB`,
        mapsDeployed ? 'yes' : 'no',
        both(deployed),
        both(withMaps),
        both(withoutMaps),
        ms(mapParse),
        goal,
      ]);
      if (loadError) note(`${id}: ${loadError}`);
      if (isWebhook) {
        verdicts.push(`${id} ${ownKb.toFixed(1)} KB without the AWS SDK, ${kb.toFixed(1)} KB in all (goal ≤ ${webhookGoal.kb} KB): ${verdict(ownKb <= webhookGoal.kb)}`);
        verdicts.push(`${id} load ${load === undefined ? 'failed' : ms(load)} (goal ≤ ${webhookGoal.loadMs} ms): ${verdict(load !== undefined && load <= webhookGoal.loadMs)}`);
      }
    }
    printTable(
      ['handler', 'minified', 'without SDK', 'gzipped', 'source map', 'maps on', `load as deployed (wall / CPU, median of ${loadRuns})`, 'with maps', 'no maps', 'map parse', 'goal'],
      rows,
    );
    note('minified = the whole bundle; "without SDK" leaves out the bundled AWS SDK (@aws-sdk, @smithy, @aws-crypto and their helpers).');
    note('load = import() of the bundle in a fresh Node 22 process with dummy environment values, wall time / CPU time of the process,');
    note('as deployed ("maps on": NODE_OPTIONS=--enable-source-maps, which reads and parses the map at load), then with and without');
    note('that option. It includes building the handler\'s SDK clients; process start-up and the Lambda runtime itself are not included.');
    note('map parse = reading and parsing the source map in this process (a part of what --enable-source-maps adds to the load).');
    if (largest) verdicts.push(`largest other bundle ${largest.id} ${largest.kb.toFixed(1)} KB without the AWS SDK (goal ≤ ${largestGoalKb} KB): ${verdict(largest.kb <= largestGoalKb)}`);
    for (const line of verdicts) note(`goal: ${line}`);
    for (const [id, contributors] of breakdowns) {
      const grouped = new Map<string, number>();
      for (const [name, bytes] of contributors) grouped.set(sdkPackage.test(name) ? 'AWS SDK' : name, (grouped.get(sdkPackage.test(name) ? 'AWS SDK' : name) ?? 0) + bytes);
      const top = [...grouped.entries()].sort((a, b) => b[1] - a[1]).slice(0, 7);
      note(`largest parts of ${id}: ${top.map(([name, bytes]) => `${name} ${(bytes / 1024).toFixed(0)} KB`).join(', ')}`);
    }
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, main);
