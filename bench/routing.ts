/**
 * Cost of one routing decision (a new chat offered to an agent under available-agent) on DynamoDB
 * Local, as the queue grows: decisions per second, p50/p99 latency, and DynamoDB request units per
 * decision for queues of 10, 100 and 1,000 agents. Prints figures; never passes or fails on time.
 *
 *   node --import tsx bench/routing.ts        (reuses OMNICHAT_DYNAMODB_ENDPOINT when set)
 *
 * Why choosing an agent does not grow with the queue: nothing reads the queue's agents. Each
 * membership item carries `readyPk = READY#<queue>#<nn>` (its agent's shard) only while its agent can take a chat, with
 * `readySk = readyRank` (load, then last-taken time, then id), so the sparse `ready` index holds
 * exactly the able agents of a queue already sorted by the available-agent rule. A decision is a
 * Query of that partition with `Limit 5 + skipped + offered` (the best few, whatever the queue's
 * size), a consistent read of the chosen agent's item, and one conditional transaction on that
 * agent's item (its `rev`), its membership items and the chat (its `version`). Read units follow
 * the few items read and write units the few items written, so both stay flat from 10 to 1,000
 * agents; only an agent's own number of queues adds membership writes.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAgentLog } from '../functions/adapters/dynamodb/agent-log';
import { DynamoChatStore, newChatItem } from '../functions/adapters/dynamodb/chats';
import { DynamoDirectory } from '../functions/adapters/dynamodb/directory';
import { DynamoRoutingStore } from '../functions/adapters/dynamodb/routing-store';
import { Table } from '../functions/adapters/dynamodb/table';
import { type AgentRecord, type RoutedChat, defaultSettings } from '../functions/domain/model';
import { type AgentEvent, type AgentLog, type AgentNotifier, type ChatStore, type Directory, type RoutingStore } from '../functions/domain/ports';
import { Dispatcher } from '../functions/services/dispatcher';
import { Membership } from '../functions/services/membership';
import { ensureTable } from '../local/provision';
import { dynamodbEndpoint, heading, ms, noEvents, note, noTimers, printTable, runIfMain, summarize, verdict } from './support';

/** Decisions measured per queue size. */
const decisions = 200;
const sizes = [10, 100, 1000];

class CountingNotifier implements AgentNotifier {
  offers = 0;
  async notify(_agentId: string, event: AgentEvent): Promise<void> {
    if (event.type === 'chatOffered') this.offers += 1;
  }
}

interface Figures {
  agents: number;
  perSecond: number;
  p50: number;
  p99: number;
  read: number;
  write: number;
  requests: number;
}

/** One fresh table with a queue of `size` able agents; routes `decisions` new chats one after another. */
async function measure(client: DynamoDBClient, size: number): Promise<Figures> {
  const tableName = `bench${randomUUID().slice(0, 8)}-routing`;
  await ensureTable(client, tableName);
  const table = new Table(DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }), tableName);
  const directory = new DynamoDirectory(table);
  const chats = new DynamoChatStore(table);
  const store = new DynamoRoutingStore(table);
  const notifier = new CountingNotifier();
  let now = new Date('2026-03-01T09:00:00.000Z');
  const clock = () => now;
  const dispatcher = new Dispatcher({ store, chats, directory, log: new DynamoAgentLog(table), notifier, timers: noTimers, events: noEvents, clock });
  const membership = new Membership({ store, directory, dispatcher, clock });
  const settings = { ...defaultSettings, simultaneousChats: 2 };
  await directory.saveSettings(settings);
  // the channel the customers write through: a chat opens only on a channel that exists
  await directory.createChannel({ id: 'channel-1', type: 'messenger', name: 'Bench Page', active: true, queueId: 'support', language: null, provisioningState: 'running', lastError: null, humanAgentTag: false, createdAt: now.toISOString() });
  await membership.saveQueue({ id: 'support', name: 'support', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: [], groups: ['agents'] }, createdAt: now.toISOString() });

  // Agents written straight to the store (connected, active, room for every decision), a few at a time.
  const ids = Array.from({ length: size }, (_, i) => `agent-${String(i).padStart(4, '0')}`);
  for (let i = 0; i < ids.length; i += 25) {
    await Promise.all(
      ids.slice(i, i + 25).map((id) => {
        const agent: AgentRecord = { id, displayName: id, groups: ['agents'], presence: 'active', connections: 1, load: 0, simultaneousChats: decisions + 1, queues: ['support'], rev: 0, createdAt: now.toISOString() };
        return store.saveAgent(undefined, agent, settings);
      }),
    );
  }

  const latencies: number[] = [];
  let routingMs = 0;
  const counted = { read: 0, write: 0, requests: 0 };
  for (let n = 0; n < decisions; n++) {
    now = new Date(now.getTime() + 1000);
    const chat: RoutedChat = {
      id: randomUUID(),
      channelId: 'channel-1',
      channelType: 'messenger',
      queueId: 'support',
      state: 'waiting',
      agentId: null,
      customer: { id: `customer-${n}`, name: `customer ${n}` },
      contactId: null,
      language: null,
      createdAt: now.toISOString(),
      lastMessageAt: now.toISOString(),
      version: 1,
      offeredTo: [],
      skipped: [],
    };
    await chats.openChat(chat, { message: { id: randomUUID(), chatId: chat.id, direction: 'in', text: 'hello', sentAt: now.toISOString(), status: 'received' } });
    // only the decision is counted: from the router's call to the offer written
    Object.assign(table.capacity, { read: 0, write: 0, requests: 0 });
    const offersBefore = notifier.offers;
    const t0 = performance.now();
    await dispatcher.routeQueue('support', { chat: chat });
    const took = performance.now() - t0;
    if (notifier.offers !== offersBefore + 1) throw new Error(`chat ${n} was not offered to exactly one agent`);
    latencies.push(took);
    routingMs += took;
    counted.read += table.capacity.read;
    counted.write += table.capacity.write;
    counted.requests += table.capacity.requests;
    // the agent accepts, as agents do (uncounted): their item then carries no pile of pending offers
    const offeredTo = (await chats.chat(chat.id))?.offeredTo[0];
    if (!offeredTo || !(await dispatcher.accept(offeredTo, chat.id)).ok) throw new Error(`chat ${n} could not be accepted`);
  }
  const s = summarize(latencies);
  return {
    agents: size,
    perSecond: (decisions * 1000) / routingMs,
    p50: s.p50,
    p99: s.p99,
    read: counted.read / decisions,
    write: counted.write / decisions,
    requests: counted.requests / decisions,
  };
}

/** The goal for one routing decision. */
const decisionGoalWru = 8;

export async function main(): Promise<void> {
  heading('routing: one decision = a new chat offered to an agent (available-agent)');
  const endpoint = await dynamodbEndpoint();
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const rows: Figures[] = [];
    // a full discarded round first, so the first size does not pay for the JVM's and Node's warm-up
    await measure(client, sizes[0] ?? 10);
    for (const size of sizes) rows.push(await measure(client, size));
    printTable(
      ['agents in queue', 'decisions/s', 'p50', 'p99', 'RCU/decision', 'WCU/decision', 'requests/decision'],
      rows.map((r) => [r.agents, r.perSecond.toFixed(0), ms(r.p50), ms(r.p99), r.read.toFixed(2), r.write.toFixed(2), r.requests.toFixed(2)]),
    );
    note(`${decisions} decisions per size, one after another, on DynamoDB Local (${endpoint}); time is local, units are what DynamoDB reports`);
    note('(a decision is single conditional writes, which Local reports as AWS charges them). Each offer is accepted before the next decision.');
    const worst = Math.max(...rows.map((r) => r.write));
    note(`goal: ≤ ${decisionGoalWru} WRU per decision, flat from ${sizes[0]} to ${sizes.at(-1)} agents → worst ${worst.toFixed(2)}: ${verdict(worst <= decisionGoalWru)}`);
  } finally {
    client.destroy();
  }
}

runIfMain(import.meta.url, main);
