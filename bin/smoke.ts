/**
 * `npm run smoke -- --api <url> --ws <url> --admin-token <jwt> --agent-token <jwt> --app-id <id>
 *   --app-secret <secret> --page-id <id>`: checks a deployed stack (or the local runtime) end to end.
 * It creates a throwaway queue with the agent as its only member, points the test Page's channel at it,
 * connects the agent, posts a webhook signed with the Meta app secret as Meta does, waits for the offer
 * on the agent socket, accepts and closes the chat, and in every case puts the channel back and deletes
 * the queue. One line per step; exit code 0 when every step passed, 1 otherwise.
 */
import { createHmac, randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    api: { type: 'string' },
    ws: { type: 'string' },
    'admin-token': { type: 'string' },
    'agent-token': { type: 'string' },
    'app-id': { type: 'string' },
    'app-secret': { type: 'string' },
    'page-id': { type: 'string' },
    'timeout-seconds': { type: 'string', default: '60' },
  },
});
const required = ['api', 'ws', 'admin-token', 'agent-token', 'app-id', 'app-secret', 'page-id'] as const;
const missing = required.filter((name) => !values[name]);
if (missing.length > 0) {
  console.error(`missing ${missing.map((name) => `--${name}`).join(', ')}; see README "Checking a deployment"`);
  process.exit(2);
}
const api = values.api!.replace(/\/+$/, '');
const adminToken = values['admin-token']!;
const agentToken = values['agent-token']!;
const appId = values['app-id']!;
const appSecret = values['app-secret']!;
const pageId = values['page-id']!;
const timeoutMs = Number(values['timeout-seconds']) * 1000;

type Json = Record<string, unknown>;
let failed = false;

async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    const result = await run();
    console.log(`ok    ${name} (${Date.now() - started} ms)`);
    return result;
  } catch (error) {
    failed = true;
    console.log(`FAIL  ${name}: ${error instanceof Error ? error.message : String(error)}`);
    throw error;
  }
}

async function call(method: string, path: string, body?: unknown): Promise<Json> {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as Json) : {};
}

/** The agent id is the token's `sub` (the Cognito user's sub). */
function subOf(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Json;
  if (typeof payload.sub !== 'string') throw new Error('the agent token has no sub');
  return payload.sub;
}

class AgentSocket {
  private readonly frames: Json[] = [];
  private waiters: Array<() => void> = [];
  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      try {
        this.frames.push(JSON.parse(data.toString()) as Json);
      } catch {
        // Not JSON: not ours to check.
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
  }
  static open(url: string): Promise<AgentSocket> {
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      target.searchParams.set('token', agentToken);
      const socket = new WebSocket(target);
      socket.once('unexpected-response', (_request, response) => reject(new Error(`upgrade refused with ${response.statusCode}`)));
      socket.once('error', reject);
      socket.once('open', () => resolve(new AgentSocket(socket)));
    });
  }
  send(frame: Json): void {
    this.socket.send(JSON.stringify(frame));
  }
  next(match: (frame: Json) => boolean, what: string): Promise<Json> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs / 1000} s`)), timeoutMs);
      const look = () => {
        const index = this.frames.findIndex(match);
        if (index >= 0) {
          clearTimeout(timer);
          resolve(this.frames.splice(index, 1)[0]!);
        } else this.waiters.push(look);
      };
      look();
    });
  }
  close(): void {
    this.socket.close(1000);
  }
}

const agentId = subOf(agentToken);
const psid = `9${String(randomInt(1e14, 2e14))}`;
const text = `Omnichat smoke check ${new Date().toISOString()} 😀 👍🏽`;
let queueId: string | undefined;
let channel: { id: string; queueId: unknown; active: unknown } | undefined;
let agent: AgentSocket | undefined;
let chatId: string | undefined;

try {
  await step('management API answers with the admin token', () => call('GET', '/api/settings'));
  channel = await step(`the test Page ${pageId} is a channel`, async () => {
    const listed = (await call('GET', '/api/channels')) as { items?: Json[] };
    const found = listed.items?.find((item) => item.pageId === pageId);
    if (!found || typeof found.id !== 'string') throw new Error(`no channel with pageId ${pageId}`);
    return { id: found.id, queueId: found.queueId ?? null, active: found.active };
  });
  await step(`agent ${agentId} is registered`, () => call('GET', `/api/agents/${encodeURIComponent(agentId)}`));
  queueId = await step('throwaway queue created', async () => {
    const queue = await call('POST', '/api/queues', {
      name: `Smoke check ${psid}`,
      routingRule: 'available-agent',
      completionTimeoutSeconds: null,
      members: { users: [agentId], groups: [] },
    });
    if (typeof queue.id !== 'string') throw new Error('no queue id in the answer');
    return queue.id;
  });
  await step('channel routed to the throwaway queue', () => call('PATCH', `/api/channels/${channel!.id}`, { queueId, active: true }));
  agent = await step('agent socket connected', () => AgentSocket.open(values.ws!));
  await step('agent active', async () => {
    agent!.send({ action: 'setStatus', status: 'active', requestId: 'smoke-status' });
    await agent!.next((frame) => frame.type === 'statusChanged' && frame.status === 'active', 'statusChanged');
  });
  await step('signed webhook accepted', async () => {
    const now = Date.now();
    const body = JSON.stringify({
      object: 'page',
      entry: [{ id: pageId, time: now, messaging: [{ sender: { id: psid }, recipient: { id: pageId }, timestamp: now, message: { mid: `m_smoke_${psid}`, text } }] }],
    });
    const signature = `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
    const response = await fetch(`${api}/webhooks/messenger/${encodeURIComponent(appId)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    if (response.status !== 200) throw new Error(`webhook answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  });
  chatId = await step('chatOffered received on the agent socket', async () => {
    const offer = await agent!.next((frame) => frame.type === 'chatOffered' && JSON.stringify(frame).includes(psid), 'chatOffered for the smoke customer');
    const id = (offer.chatId ?? (offer.chat as Json | undefined)?.id) as unknown;
    if (typeof id !== 'string') throw new Error(`offer without chatId: ${JSON.stringify(offer).slice(0, 300)}`);
    return id;
  });
  await step('chat accepted and closed', async () => {
    agent!.send({ action: 'accept', chatId, requestId: 'smoke-accept' });
    await agent!.next((frame) => frame.type === 'chatAssigned' || (frame.type === 'error' && frame.requestId === 'smoke-accept'), 'accept answer').then((frame) => {
      if (frame.type === 'error') throw new Error(`accept refused: ${JSON.stringify(frame)}`);
    });
    agent!.send({ action: 'close', chatId, requestId: 'smoke-close' });
    await agent!.next((frame) => frame.type === 'chatClosed' || (frame.type === 'error' && frame.requestId === 'smoke-close'), 'close answer').then((frame) => {
      if (frame.type === 'error') throw new Error(`close refused: ${JSON.stringify(frame)}`);
    });
  });
} catch {
  // Reported by its step; clean up below.
} finally {
  if (agent) {
    await step('agent inactive and disconnected', async () => {
      agent!.send({ action: 'setStatus', status: 'inactive', requestId: 'smoke-status-off' });
      await agent!.next((frame) => frame.type === 'statusChanged' && frame.status === 'inactive', 'statusChanged inactive').catch(() => undefined);
      agent!.close();
    }).catch(() => undefined);
  }
  if (channel && queueId) {
    const restore = channel;
    await step('channel restored', () => call('PATCH', `/api/channels/${restore.id}`, { queueId: restore.queueId, active: restore.active })).catch(() => undefined);
  }
  if (queueId) {
    const id = queueId;
    await step('throwaway queue deleted', () => call('DELETE', `/api/queues/${id}`)).catch(() => undefined);
  }
}
console.log(failed ? 'smoke check FAILED' : 'smoke check passed');
process.exit(failed ? 1 : 0);
