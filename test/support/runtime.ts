/**
 * Starts `npm start` (node --import tsx bin/local.ts, Node 22 from node_modules/.bin) as a child
 * process sharing the run's DynamoDB Local and SQS emulator, in memory, on a free port, with its own
 * resource prefix. Child output is kept and thrown with the error when startup fails.
 *
 *   const local = await startLocalRuntime();                  // or { env: { OMNICHAT_HANDLERS_DIR: … } }
 *   const token = await local.token('alice', ['agents'], 'Alice');
 *   const res = await local.api('GET', '/api/settings', undefined, token);   // { status, body, headers }
 *   const agent = await local.connectAgent(token);           // rejects with .status when refused
 *   agent.send({ action: 'ping' }); const pong = await agent.next('pong');
 *   await local.events('ChatCreated');                        // EventBridge events the handlers put
 *   await local.stop();                                       // SIGTERM; resolves with the exit code
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { z } from 'zod';

export const projectRoot = resolve(__dirname, '../..');
export const nodeBinary = join(projectRoot, 'node_modules', '.bin', 'node');

export interface LocalRuntimeOptions {
  /** Extra environment for the child (wins over the defaults below). */
  env?: Record<string, string | undefined>;
  /** Public port; default 0 (any free port). */
  port?: number;
  /** Milliseconds to wait for the ready line. */
  startTimeoutMs?: number;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the body is JSON, else the text. */
  body: unknown;
}

export interface AgentSocket {
  /** Every frame received so far, parsed. */
  frames: unknown[];
  /** Resolves with the next not-yet-taken frame whose `type` is `type` (any frame when omitted). */
  next(type?: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  send(frame: unknown): void;
  close(): Promise<void>;
  socket: WebSocket;
}

export interface LocalRuntime {
  baseUrl: string;
  wsUrl: string;
  child: ChildProcess;
  /** All output of the child so far. */
  output(): string;
  token(sub: string, groups?: string[], name?: string): Promise<string>;
  api(method: string, path: string, body?: unknown, token?: string): Promise<ApiResponse>;
  connectAgent(token: string): Promise<AgentSocket>;
  /** EventBridge events recorded by the runtime, optionally of one detail-type. */
  events(detailType?: string): Promise<RecordedEvent[]>;
  /** SIGTERM, then the exit code (SIGKILL after 15 s). */
  stop(): Promise<number | null>;
}

const recordedEvent = z.object({
  id: z.string(),
  time: z.string(),
  source: z.string(),
  detailType: z.string(),
  eventBusName: z.string(),
  resources: z.array(z.string()),
  detail: z.unknown(),
});
export type RecordedEvent = z.infer<typeof recordedEvent>;
const eventsResponse = z.object({ events: z.array(recordedEvent) });
const frameSchema = z.record(z.string(), z.unknown());

/** Spawns the child without waiting for readiness (for tests of failing starts). */
export function spawnLocalRuntime(options: LocalRuntimeOptions = {}): { child: ChildProcess; output(): string; exited: Promise<number | null> } {
  const merged: Record<string, string | undefined> = {
    ...process.env,
    PORT: String(options.port ?? 0),
    OMNICHAT_IN_MEMORY: '1',
    OMNICHAT_RESOURCE_PREFIX: `r${randomBytes(5).toString('hex')}-`,
    ...options.env,
  };
  // An `undefined` in options.env removes the variable.
  const env = Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const child = spawn(nodeBinary, ['--disable-warning=ExperimentalWarning', '--import', 'tsx', 'bin/local.ts'], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  return { child, output: () => output, exited };
}

export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const started = spawnLocalRuntime(options);
  const { child, output, exited } = started;
  const baseUrl = await new Promise<string>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Local runtime not ready within ${options.startTimeoutMs ?? 30_000} ms. Output:\n${output()}`));
    }, options.startTimeoutMs ?? 30_000);
    const onData = () => {
      const ready = /ready at (http:\/\/[\w.:]+)/.exec(output());
      if (ready?.[1]) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolveReady(ready[1]);
      }
    };
    child.stdout?.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`Local runtime exited with ${code} before it was ready. Output:\n${output()}`));
    });
  });
  const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/ws`;

  const api = async (method: string, path: string, body?: unknown, token?: string): Promise<ApiResponse> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: keep the text.
    }
    return { status: response.status, headers: response.headers, body: parsed };
  };

  return {
    baseUrl,
    wsUrl,
    child,
    output,
    api,
    async token(sub, groups = [], name) {
      const response = await api('POST', '/dev/token', { sub, groups, ...(name ? { name } : {}) });
      const parsed = z.object({ token: z.string() }).safeParse(response.body);
      if (!parsed.success) throw new Error(`POST /dev/token answered ${response.status}: ${JSON.stringify(response.body)}`);
      return parsed.data.token;
    },
    connectAgent: (token) => connectAgent(`${wsUrl}?token=${encodeURIComponent(token)}`),
    async events(detailType) {
      const response = await api('GET', '/dev/events');
      const { events } = eventsResponse.parse(response.body);
      return detailType ? events.filter((e) => e.detailType === detailType) : events;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const forced = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(forced);
      return code;
    },
  };
}

/** Opens an agent socket; a refused upgrade rejects with an Error carrying `status`. */
export function connectAgent(url: string): Promise<AgentSocket> {
  return new Promise((resolveSocket, reject) => {
    const socket = new WebSocket(url);
    const frames: Record<string, unknown>[] = [];
    const taken = new Set<number>();
    const waiters: Array<() => void> = [];
    socket.on('message', (data) => {
      try {
        frames.push(frameSchema.parse(JSON.parse(data.toString())));
      } catch {
        frames.push({ raw: data.toString() });
      }
      for (const wake of waiters.splice(0)) wake();
    });
    socket.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`WebSocket upgrade refused with ${res.statusCode}`), { status: res.statusCode }));
      socket.terminate();
    });
    socket.once('error', reject);
    socket.once('open', () => {
      resolveSocket({
        frames,
        socket,
        send: (frame) => socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
        next(type, timeoutMs = 5_000) {
          return new Promise((resolveFrame, rejectFrame) => {
            const timer = setTimeout(() => rejectFrame(new Error(`No ${type ?? 'frame'} within ${timeoutMs} ms; got ${JSON.stringify(frames)}`)), timeoutMs);
            const look = () => {
              const index = frames.findIndex((f, i) => !taken.has(i) && (type === undefined || f.type === type));
              const found = frames[index];
              if (found) {
                taken.add(index);
                clearTimeout(timer);
                resolveFrame(found);
              } else waiters.push(look);
            };
            look();
          });
        },
        close: () =>
          new Promise<void>((resolveClose) => {
            if (socket.readyState === WebSocket.CLOSED) return resolveClose();
            socket.once('close', () => resolveClose());
            socket.close();
          }),
      });
    });
  });
}

/** Polls `probe` until it returns a value other than undefined. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
