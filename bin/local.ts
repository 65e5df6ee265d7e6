/**
 * `npm start`: the whole backend on this machine (README "Quick start").
 * Environment: PORT (default 3000, 0 = any free port), OMNICHAT_IN_MEMORY=1 (nothing written to
 * .omnichat/), OMNICHAT_DATA_DIR, OMNICHAT_RESOURCE_PREFIX, OMNICHAT_DYNAMODB_ENDPOINT and
 * OMNICHAT_SQS_ENDPOINT (share running emulators instead of starting them), OMNICHAT_HANDLERS_DIR
 * (default functions/), OMNICHAT_RETRY_DELAY_SECONDS, OMNICHAT_WS_IDLE_TIMEOUT_SECONDS,
 * OMNICHAT_WS_MAX_CONNECTION_SECONDS, GRAPH_API_URL, TELEGRAM_API_URL.
 * DynamoDB tables, secrets, queued SQS messages (pending timers among them) and the dev signing key
 * persist in .omnichat/.
 * `--demo` (`npm run demo`): in memory, with a sandbox Messenger Page, two agents and the customer simulator.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { JavaUnavailable } from '../local/errors';
import { DemoSandbox } from '../local/demo';
import { startRuntime, type Runtime } from '../local/runtime';

const settings = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    OMNICHAT_IN_MEMORY: z.enum(['0', '1', 'true', 'false', '']).optional(),
    OMNICHAT_DATA_DIR: z.string().min(1).optional(),
    OMNICHAT_RESOURCE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]*$/).optional(),
    OMNICHAT_DYNAMODB_ENDPOINT: z.string().url().optional(),
    OMNICHAT_SQS_ENDPOINT: z.string().url().optional(),
    OMNICHAT_HANDLERS_DIR: z.string().min(1).optional(),
    OMNICHAT_RETRY_DELAY_SECONDS: z.coerce.number().int().min(0).max(43_200).optional(),
    OMNICHAT_WS_IDLE_TIMEOUT_SECONDS: z.coerce.number().min(0).optional(),
    OMNICHAT_WS_MAX_CONNECTION_SECONDS: z.coerce.number().min(0).optional(),
  })
  .safeParse(process.env);
if (!settings.success) {
  console.error(`Invalid settings: ${settings.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  process.exit(1);
}
const config = settings.data;
const rootDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const sandbox = process.argv.includes('--demo') ? new DemoSandbox() : undefined;

let runtime: Runtime | undefined;
let stopping = false;

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await runtime?.stop();
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
watchLaunchers();
process.on('uncaughtException', (error) => {
  console.error('Local runtime crashed:', error);
  void shutdown(1);
});
process.on('unhandledRejection', (error) => {
  console.error('Local runtime crashed:', error);
  void shutdown(1);
});

if (config.PORT !== 0 && (await portInUse(config.PORT))) {
  console.error(portInUseLine(config.PORT));
  process.exit(1);
}

try {
  runtime = await startRuntime({
    rootDir,
    port: config.PORT,
    inMemory: sandbox !== undefined || config.OMNICHAT_IN_MEMORY === '1' || config.OMNICHAT_IN_MEMORY === 'true',
    dataDir: config.OMNICHAT_DATA_DIR && resolve(config.OMNICHAT_DATA_DIR),
    resourcePrefix: config.OMNICHAT_RESOURCE_PREFIX,
    dynamodbEndpoint: config.OMNICHAT_DYNAMODB_ENDPOINT,
    sqsEndpoint: config.OMNICHAT_SQS_ENDPOINT,
    handlersDir: config.OMNICHAT_HANDLERS_DIR && resolve(config.OMNICHAT_HANDLERS_DIR),
    retryDelaySeconds: config.OMNICHAT_RETRY_DELAY_SECONDS,
    socketIdleTimeoutMs: (config.OMNICHAT_WS_IDLE_TIMEOUT_SECONDS ?? 0) * 1000,
    socketMaxConnectionMs: (config.OMNICHAT_WS_MAX_CONNECTION_SECONDS ?? 0) * 1000,
    ...(sandbox ? { extraRoutes: sandbox.routes, graphApiUrl: (baseUrl: string) => sandbox.graphApiUrl(baseUrl) } : {}),
  });
} catch (error) {
  if (error instanceof JavaUnavailable) console.error(error.message);
  else if (isAddressInUse(error)) console.error(portInUseLine(config.PORT));
  else console.error('Local runtime failed to start:', error);
  await shutdown(1);
}
if (runtime === undefined) process.exit(1);
if (runtime.dynamodbPid !== undefined) console.log(`DynamoDB Local running as pid ${runtime.dynamodbPid}`);
console.log(`Omnichat local runtime ready at ${runtime.baseUrl} (agent WebSocket ${runtime.wsUrl})`);
if (sandbox) {
  try {
    const links = await sandbox.seed(runtime.baseUrl);
    console.log('\nDemo ready. Open the console as each agent, then write as a customer:');
    for (const agent of links.agents) console.log(`  Console as ${agent.name}: ${agent.url}`);
    console.log(`  Customer simulator: ${links.simulator}`);
  } catch (error) {
    console.error('Demo setup failed:', error);
    await shutdown(1);
  }
}
if (stopping) await shutdown(0);

function portInUseLine(port: number): string {
  return `Port ${port} is already in use on 127.0.0.1: stop what listens there or choose another port (PORT=${port + 1} npm start).`;
}

function isAddressInUse(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'EADDRINUSE';
}

/** Whether something already listens on 127.0.0.1:`port` (checked before DynamoDB Local is started). */
function portInUse(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const probe = createServer();
    probe.once('error', (error) => resolvePort(isAddressInUse(error)));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolvePort(false)));
  });
}

/**
 * `npm start` runs this file under `sh -c`, and on SIGTERM npm signals only the shell, which dies
 * without passing the signal on; `kill -9` of npm signals nobody. So the runtime watches the processes
 * that launched it (its parent and, under npm, npm itself) and stops when one of them is gone.
 */
function watchLaunchers(): void {
  const parent = process.ppid;
  const launchers = [parent];
  // Only when npm ran this very script (not when the variable is inherited from, say, `npm test`).
  if (process.env.npm_lifecycle_script?.includes('bin/local.ts')) {
    const grandparent = parentOf(parent);
    if (grandparent !== undefined && grandparent > 1) launchers.push(grandparent);
  }
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  setInterval(() => {
    if (process.ppid !== parent || !launchers.every(alive)) {
      console.error('The process that started the local runtime is gone; stopping.');
      void shutdown(0);
    }
  }, 500).unref();
}

/** Parent pid of `pid` (Linux /proc, else `ps`), undefined when unknown. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid …"; comm may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    try {
      const out = execFileSync('ps', ['-o', 'ppid=', '-p', String(pid)], { encoding: 'utf8' });
      const ppid = Number(out.trim());
      return Number.isInteger(ppid) && ppid > 0 ? ppid : undefined;
    } catch {
      return undefined;
    }
  }
}
