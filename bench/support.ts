/**
 * Shared helpers of the benchmarks: percentiles, tables, the emulators and local runtimes they
 * start (every process is stopped on the way out, even on a crash), and the Messenger setup
 * through the management API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { signMetaBody } from '../functions/domain/signature';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import WebSocket from 'ws';
import type { AgentNotifier, EventPublisher, Timers } from '../functions/domain/ports';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Node 22 from the `node` devDependency, the line the Lambdas run. */
export const nodeBinary = join(projectRoot, 'node_modules', '.bin', 'node');

// ---------------------------------------------------------------------------------------------
// Figures

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

/** Nearest-rank percentile of ascending samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

export const ms = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : 'n/a');

export function heading(title: string): void {
  console.log(`\n=== ${title} ${'='.repeat(Math.max(3, 86 - title.length))}`);
}

export function note(line: string): void {
  console.log(`  ${line}`);
}

/** Prints rows as an aligned table; numbers are right-aligned. */
export function printTable(headers: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): void {
  const cells = rows.map((row) => row.map((cell) => String(cell)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => (row[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.every((row) => typeof row[i] === 'number' || /^[\d.,$ -]*( ms| KB| %)?$/.test(String(row[i] ?? ''))));
  const line = (row: readonly string[]) =>
    '  ' + row.map((cell, i) => (numeric[i] ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  console.log(line(headers));
  console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells) console.log(line(row));
}

/** `met` / `NOT met` beside a goal. */
export const verdict = (ok: boolean): string => (ok ? 'met' : 'NOT met');

/** Runs `task` `total` times with at most `concurrency` in flight; returns each run's milliseconds and the wall time. */
export async function load(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<{ latencies: number[]; wallMs: number; failures: string[] }> {
  const latencies: number[] = [];
  const failures: string[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= total) return;
      const t0 = performance.now();
      try {
        await task(i);
        latencies.push(performance.now() - t0);
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, wallMs: performance.now() - started, failures };
}

export const sleep = (millis: number) => new Promise<void>((r) => setTimeout(r, millis));

// ---------------------------------------------------------------------------------------------
// Processes: everything started here is stopped by `cleanup()`, and killed on any exit.

const cleanups: Array<() => Promise<void>> = [];
const lastResort = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of lastResort) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanup().finally(() => process.exit(130));
  });
}

/** Registers a stop function; `cleanup()` runs them newest first. */
export function onCleanup(stop: () => Promise<void>): void {
  cleanups.push(stop);
}

export async function cleanup(): Promise<void> {
  for (const stop of cleanups.reverse().splice(0)) {
    await stop().catch((error: unknown) => console.error(`  cleanup failed: ${String(error)}`));
  }
}

export interface Emulators {
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  stop(): Promise<void>;
}

let shared: Promise<Emulators> | undefined;

/** One DynamoDB Local (in memory) and one SQS emulator for every benchmark of this process. */
export function emulators(): Promise<Emulators> {
  shared ??= (async () => {
    const { startFauxqs } = await import('fauxqs');
    const [dynamodb, sqs] = await Promise.all([startDynamoDbLocal(), startFauxqs({ port: 0, logger: false, host: 'localhost' })]);
    const stop = async () => {
      await sqs.stop();
      await dynamodb.stop();
      shared = undefined;
    };
    onCleanup(stop);
    return { dynamodbEndpoint: dynamodb.endpoint, sqsEndpoint: sqs.address, stop };
  })();
  return shared;
}

/** DynamoDB Local for in-process benchmarks: the one `OMNICHAT_DYNAMODB_ENDPOINT` names, else this run's shared one. */
export async function dynamodbEndpoint(): Promise<string> {
  return process.env.OMNICHAT_DYNAMODB_ENDPOINT ?? (await emulators()).dynamodbEndpoint;
}

/** Ports whose effects a DynamoDB benchmark does not measure. */
export const quietNotifier: AgentNotifier = { notify: async () => undefined };
export const noTimers: Timers = { arm: async () => undefined };
export const noEvents: EventPublisher = { publish: async () => undefined };

export type RuntimeClient = Omit<RuntimeChild, 'output' | 'stop'>;

export interface RuntimeChild {
  baseUrl: string;
  wsUrl: string;
  output(): string;
  token(sub: string, groups?: string[], name?: string): Promise<string>;
  api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: unknown }>;
  connectAgent(token: string): Promise<AgentSocket>;
  stop(): Promise<void>;
}

/**
 * `npm start` as a child (node --import tsx bin/local.ts on Node 22), in memory, on a free port,
 * sharing this process's emulators under its own resource prefix.
 */
export async function startRuntimeChild(env: Record<string, string> = {}): Promise<RuntimeChild> {
  const { dynamodbEndpoint, sqsEndpoint } = await emulators();
  const child = spawn(nodeBinary, ['--import', 'tsx', 'bin/local.ts'], {
    cwd: projectRoot,
    env: {
      ...process.env,
      PORT: '0',
      OMNICHAT_IN_MEMORY: '1',
      OMNICHAT_RESOURCE_PREFIX: `b${randomBytes(4).toString('hex')}-`,
      OMNICHAT_DYNAMODB_ENDPOINT: dynamodbEndpoint,
      OMNICHAT_SQS_ENDPOINT: sqsEndpoint,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  lastResort.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    lastResort.delete(child);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(forced);
  };
  onCleanup(stop);

  const baseUrl = await new Promise<string>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`Local runtime not ready within 60 s:\n${output}`)), 60_000);
    const look = () => {
      const ready = /ready at (http:\/\/[\w.:]+)/.exec(output);
      if (ready?.[1]) {
        clearTimeout(timer);
        child.stdout?.off('data', look);
        resolveReady(ready[1]);
      }
    };
    child.stdout?.on('data', look);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`Local runtime exited before it was ready:\n${output}`));
    });
  });
  return { ...clientFor(baseUrl), output: () => output, stop };
}

/** The line the processes of bench/ingest-processes.ts print once they serve. */
export const benchProcessReady = 'bench process ready';

export interface ChildProcessHandle {
  /** The first match of `ready` in the child's stdout. */
  ready: RegExpExecArray;
  output(): string;
  /** Sends a signal (SIGSTOP / SIGCONT pause and resume it). */
  signal(signal: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/**
 * `node --import tsx <args>` as a child of this benchmark (stopped by `cleanup()`, killed on any exit),
 * resolved once its stdout matches `ready`.
 */
export async function startChild(args: string[], env: Record<string, string>, ready: RegExp, timeoutMs = 60_000): Promise<ChildProcessHandle> {
  const child = spawn(nodeBinary, ['--disable-warning=ExperimentalWarning', '--import', 'tsx', ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  lastResort.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-200_000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-200_000)));
  // 'close': after the child's last output is read
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  const stop = async () => {
    lastResort.delete(child);
    if (child.exitCode !== null || child.signalCode !== null) return;
    // a paused child would not see SIGTERM
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(forced);
  };
  onCleanup(stop);
  const match = await new Promise<RegExpExecArray>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} not ready within ${timeoutMs} ms:\n${output.slice(-5_000)}`)), timeoutMs);
    const look = () => {
      const found = ready.exec(output);
      if (found) {
        clearTimeout(timer);
        child.stdout?.off('data', look);
        resolveReady(found);
      }
    };
    child.stdout?.on('data', look);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited before it was ready:\n${output.slice(-5_000)}`));
    });
  });
  return { ready: match, output: () => output, signal: (signal) => void child.kill(signal), stop };
}

/** HTTP, token and WebSocket helpers for a runtime answering at `baseUrl`. */
export function clientFor(baseUrl: string): RuntimeClient {
  const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/ws`;
  const api = async (method: string, path: string, body?: unknown, token?: string) => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: keep the text.
    }
    return { status: response.status, body: parsed };
  };
  return {
    baseUrl,
    wsUrl,
    api,
    async token(sub, groups = [], name) {
      const res = await api('POST', '/dev/token', { sub, groups, ...(name ? { name } : {}) });
      return z.object({ token: z.string() }).parse(res.body).token;
    },
    connectAgent: (token) => connectAgent(`${wsUrl}?token=${encodeURIComponent(token)}`),
  };
}

// ---------------------------------------------------------------------------------------------
// Agent sockets

const frameSchema = z.record(z.string(), z.unknown());
export type Frame = z.infer<typeof frameSchema>;

export interface AgentSocket {
  /** Frames not yet taken by `next`, parsed. */
  frames: Frame[];
  /** Called with every frame as it arrives, and the high-resolution time it arrived. */
  onFrame?: (frame: Frame, at: number) => void;
  next(type?: string, timeoutMs?: number): Promise<Frame>;
  send(frame: unknown): void;
  close(): Promise<void>;
}

/** Opens an agent socket (test/support/runtime.ts has the same for Jest, which compiles to CommonJS). */
export function connectAgent(url: string): Promise<AgentSocket> {
  return new Promise((resolveSocket, reject) => {
    const socket = new WebSocket(url);
    const waiters: Array<() => void> = [];
    const agent: AgentSocket = {
      frames: [],
      next(type, timeoutMs = 10_000) {
        return new Promise((resolveFrame, rejectFrame) => {
          const timer = setTimeout(() => rejectFrame(new Error(`No ${type ?? 'frame'} within ${timeoutMs} ms`)), timeoutMs);
          const look = () => {
            const index = agent.frames.findIndex((f) => type === undefined || f.type === type);
            const found = agent.frames[index];
            if (found) {
              agent.frames.splice(index, 1);
              clearTimeout(timer);
              resolveFrame(found);
            } else waiters.push(look);
          };
          look();
        });
      },
      send: (frame) => socket.send(JSON.stringify(frame)),
      close: () =>
        new Promise<void>((resolveClose) => {
          if (socket.readyState === WebSocket.CLOSED) return resolveClose();
          socket.once('close', () => resolveClose());
          socket.close();
        }),
    };
    socket.on('message', (data) => {
      const at = performance.now();
      const parsed = frameSchema.safeParse(JSON.parse(data.toString()));
      const frame = parsed.success ? parsed.data : { raw: data.toString() };
      agent.onFrame?.(frame, at);
      agent.frames.push(frame);
      for (const wake of waiters.splice(0)) wake();
    });
    socket.once('unexpected-response', (_req, res) => {
      reject(new Error(`WebSocket upgrade refused with ${res.statusCode}`));
      socket.terminate();
    });
    socket.once('error', reject);
    socket.once('open', () => resolveSocket(agent));
  });
}

// ---------------------------------------------------------------------------------------------
// Setup through the management API

export class SetupFailed extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SetupFailed';
  }
}

const withId = z.object({ id: z.string() });

/**
 * Calls the management API and returns the body when the status is the expected one. Routes of the
 * management API may still be landing: a 404 on a route is retried for up to `patienceMs`.
 */
export async function adminCall(
  runtime: RuntimeClient,
  token: string,
  method: string,
  path: string,
  body: unknown,
  expected: number[],
  patienceMs = 0,
): Promise<unknown> {
  const deadline = Date.now() + patienceMs;
  for (;;) {
    const res = await runtime.api(method, path, body, token);
    if (expected.includes(res.status)) return res.body;
    if (Date.now() > deadline) throw new SetupFailed(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
    await sleep(5_000);
  }
}

export const bench = {
  appId: '700100200300400',
  appSecret: 'bench-app-secret-0123456789abcdef',
  pageId: '105000000000001',
  pageToken: 'EAAG-bench-page-token',
};

export interface MessengerSetup {
  admin: string;
  queueId: string;
  channelId: string;
}

/** A Meta app, an available-agent queue for group `agents`, one activated Page channel, and settings. */
export async function setUpMessenger(runtime: RuntimeClient, settings: Record<string, unknown> = {}): Promise<MessengerSetup> {
  const admin = await runtime.token('bench-admin', ['chat-admins'], 'Bench admin');
  if (Object.keys(settings).length > 0) await adminCall(runtime, admin, 'PATCH', '/api/settings', settings, [200]);
  await adminCall(runtime, admin, 'POST', '/api/messenger-apps', { appId: bench.appId, appSecret: bench.appSecret }, [201], 120_000);
  const queue = withId.parse(
    await adminCall(runtime, admin, 'POST', '/api/queues', {
      name: 'Bench',
      routingRule: 'available-agent',
      completionTimeoutSeconds: null,
      members: { users: [], groups: ['agents'] },
    }, [201]),
  );
  const channel = withId.parse(
    await adminCall(runtime, admin, 'POST', '/api/channels', { type: 'messenger', appId: bench.appId, pageId: bench.pageId, pageAccessToken: bench.pageToken }, [201]),
  );
  await adminCall(runtime, admin, 'PATCH', `/api/channels/${channel.id}`, { queueId: queue.id, active: true }, [200]);
  return { admin, queueId: queue.id, channelId: channel.id };
}

/** Registers an agent of group `agents`, connects it and makes it active; resolves once the runtime confirms. */
export async function connectedAgent(runtime: RuntimeClient, admin: string, agentId: string, simultaneousChats?: number): Promise<AgentSocket> {
  await adminCall(runtime, admin, 'PUT', `/api/agents/${agentId}`, {
    displayName: agentId,
    groups: ['agents'],
    ...(simultaneousChats !== undefined && { simultaneousChats }),
  }, [200, 201]);
  const socket = await runtime.connectAgent(await runtime.token(agentId, ['agents'], agentId));
  socket.send({ action: 'setStatus', status: 'active', requestId: `active-${agentId}` });
  for (;;) {
    const changed = await socket.next('statusChanged', 10_000);
    if (changed.status === 'active') break;
  }
  return socket;
}

/** A Messenger text message from `senderId` to the bench Page, as Meta delivers it. */
export function messengerText(senderId: string, mid: string, text: string, timestamp = Date.now()): string {
  return JSON.stringify({
    object: 'page',
    entry: [
      {
        id: bench.pageId,
        time: timestamp,
        messaging: [{ sender: { id: senderId }, recipient: { id: bench.pageId }, timestamp, message: { mid, text } }],
      },
    ],
  });
}

export function signedHeaders(raw: string): Record<string, string> {
  return { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(raw, bench.appSecret) };
}

/** POSTs a signed Messenger delivery; throws unless Meta would see 200 EVENT_RECEIVED. */
export async function postMessenger(baseUrl: string, raw: string): Promise<void> {
  const res = await fetch(`${baseUrl}/webhooks/messenger/${bench.appId}`, { method: 'POST', headers: signedHeaders(raw), body: raw });
  const text = await res.text();
  if (res.status !== 200 || text !== 'EVENT_RECEIVED') throw new Error(`webhook answered ${res.status} ${text.slice(0, 200)}`);
}

/** Runs a benchmark's main() when its file is the entry point, always cleaning up. */
export function runIfMain(metaUrl: string, main: () => Promise<void>): void {
  const entry = process.argv[1] ? resolve(process.argv[1]) : '';
  if (entry !== fileURLToPath(metaUrl)) return;
  main()
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(() => cleanup());
}
