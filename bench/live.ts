/**
 * Cost of the supervisors' live view (`GET /api/live`, Supervision.live) on DynamoDB Local: time
 * and DynamoDB units per call, for 20 queues and 50 agents with chats held, offered and waiting.
 * Prints figures; never passes or fails on time.
 *
 *   node --import tsx bench/live.ts        (reuses OMNICHAT_DYNAMODB_ENDPOINT when set)
 *
 * What one call reads, no chat item among it: the settings item; the agents and the queues (their
 * byKind partitions, then each record by key, as the directory lists them); the waiting and the
 * offered chats' byKind partitions (keys and queueId projected: ~100 bytes a chat); and, for each
 * agent with a load, their held chats in the byAgent index (keys, id, queueId). Units grow with
 * agents, queues and the chats waiting or offered, never with closed chats.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAgentLog } from '../functions/adapters/dynamodb/agent-log';
import { DynamoChatStore } from '../functions/adapters/dynamodb/chats';
import { DynamoDirectory } from '../functions/adapters/dynamodb/directory';
import { DynamoRoutingStore } from '../functions/adapters/dynamodb/routing-store';
import { Table } from '../functions/adapters/dynamodb/table';
import { type AgentRecord, type RoutedChat, defaultSettings } from '../functions/domain/model';
import { Dispatcher } from '../functions/services/dispatcher';
import { Membership } from '../functions/services/membership';
import { Supervision } from '../functions/services/supervision';
import { ensureTable } from '../local/provision';
import { dynamodbEndpoint, heading, ms, noEvents, note, noTimers, printTable, quietNotifier, runIfMain, summarize } from './support';

interface Shape {
  queues: number;
  agents: number;
  /** Chats opened per queue; each is routed as it arrives, so some are offered, the rest wait. */
  chatsPerQueue: number;
}

const shapes: Shape[] = [
  { queues: 20, agents: 50, chatsPerQueue: 5 },
  { queues: 20, agents: 50, chatsPerQueue: 25 },
  { queues: 20, agents: 200, chatsPerQueue: 25 },
];
const calls = 50;

async function measure(client: DynamoDBClient, shape: Shape) {
  const tableName = `bench${randomUUID().slice(0, 8)}-live`;
  await ensureTable(client, tableName);
  const table = new Table(DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }), tableName);
  const directory = new DynamoDirectory(table);
  const chats = new DynamoChatStore(table);
  let now = new Date('2026-03-01T09:00:00.000Z');
  const clock = () => now;
  const store = new DynamoRoutingStore(table, clock);
  const dispatcher = new Dispatcher({ store, chats, directory, log: new DynamoAgentLog(table), notifier: quietNotifier, timers: noTimers, events: noEvents, clock });
  const membership = new Membership({ store, directory, dispatcher, clock });
  const settings = { ...defaultSettings, simultaneousChats: 2 };
  await directory.saveSettings(settings);
  // the channel the customers write through: a chat opens only on a channel that exists
  await directory.createChannel({ id: 'channel-1', type: 'messenger', name: 'Bench Page', active: true, queueId: null, language: null, provisioningState: 'running', lastError: null, humanAgentTag: false, createdAt: now.toISOString() });
  const queueIds = Array.from({ length: shape.queues }, (_, i) => `queue-${String(i).padStart(2, '0')}`);
  for (const [i, id] of queueIds.entries()) {
    await membership.saveQueue({ id, name: id, routingRule: i % 2 ? 'all-agents' : 'available-agent', completionTimeoutSeconds: null, members: { users: [], groups: [] }, createdAt: now.toISOString() });
  }
  // each agent in two queues; two in three are connected and active, the rest inactive or offline
  for (let i = 0; i < shape.agents; i++) {
    const id = `agent-${String(i).padStart(4, '0')}`;
    const agent: AgentRecord = {
      id,
      displayName: id,
      groups: ['agents'],
      presence: i % 3 === 2 ? 'inactive' : 'active',
      connections: i % 6 === 5 ? 0 : 1,
      load: 0,
      queues: [queueIds[i % shape.queues] ?? '', queueIds[(i + 7) % shape.queues] ?? ''],
      rev: 0,
      createdAt: now.toISOString(),
    };
    await store.saveAgent(undefined, agent, settings);
  }
  for (let n = 0; n < shape.chatsPerQueue; n++) {
    await Promise.all(
      queueIds.map(async (queueId) => {
        const chat: RoutedChat = {
          id: randomUUID(),
          channelId: 'channel-1',
          channelType: 'messenger',
          queueId,
          state: 'waiting',
          agentId: null,
          customer: { id: randomUUID(), name: 'Ana Costa 🇵🇹' },
          contactId: null,
          language: null,
          createdAt: new Date(now.getTime() + n).toISOString(),
          lastMessageAt: now.toISOString(),
          version: 1,
          offeredTo: [],
          skipped: [],
        };
        await chats.openChat(chat, { message: { id: randomUUID(), chatId: chat.id, direction: 'in', text: 'Olá 👋🏽', sentAt: now.toISOString(), status: 'received' } });
        await dispatcher.routeQueue(queueId, { chat });
      }),
    );
  }
  // half of the offers are accepted, so agents hold chats as well
  const offered = await store.offeredChats();
  for (const chat of offered.filter((_, i) => i % 2 === 0)) await dispatcher.accept((await chats.chat(chat.chatId))?.offeredTo[0] ?? '', chat.chatId);
  now = new Date(now.getTime() + 60_000);

  const supervision = new Supervision({ dispatcher, store, directory, chats, clock });
  let view = await supervision.live();
  const latencies: number[] = [];
  Object.assign(table.capacity, { read: 0, write: 0, requests: 0 });
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    view = await supervision.live();
    latencies.push(performance.now() - t0);
  }
  const s = summarize(latencies);
  const sum = (f: (q: (typeof view.queues)[number]) => number) => view.queues.reduce((n, q) => n + f(q), 0);
  return {
    shape,
    waiting: sum((q) => q.waiting),
    offers: sum((q) => q.offersPending),
    held: view.agents.reduce((n, a) => n + a.chatsHeld, 0),
    p50: s.p50,
    p99: s.p99,
    read: table.capacity.read / calls,
    requests: table.capacity.requests / calls,
  };
}

export async function main(): Promise<void> {
  heading('live view: GET /api/live (Supervision.live) per call');
  const endpoint = await dynamodbEndpoint();
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const rows = [];
    for (const shape of shapes) rows.push(await measure(client, shape));
    printTable(
      ['queues', 'agents', 'waiting', 'offers pending', 'held', 'p50', 'p99', 'RCU/call', 'requests/call'],
      rows.map((r) => [r.shape.queues, r.shape.agents, r.waiting, r.offers, r.held, ms(r.p50), ms(r.p99), r.read.toFixed(1), r.requests.toFixed(0)]),
    );
    note(`${calls} calls per shape, one after another, on DynamoDB Local (${endpoint}); time is local (no network to DynamoDB), units are what DynamoDB reports.`);
  } finally {
    client.destroy();
  }
}

runIfMain(import.meta.url, main);
