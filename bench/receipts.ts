/**
 * Receipts and standby events: the bulk of a busy Page's webhook traffic. Counts the DynamoDB
 * request units the router spends on each, in-process against DynamoDB Local (the units DynamoDB
 * reports with ReturnConsumedCapacity). Run alone with `node --import tsx bench/receipts.ts`.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAgentLog } from '../functions/adapters/dynamodb/agent-log';
import { DynamoChatStore } from '../functions/adapters/dynamodb/chats';
import { DynamoDirectory } from '../functions/adapters/dynamodb/directory';
import { DynamoRoutingStore } from '../functions/adapters/dynamodb/routing-store';
import { Table } from '../functions/adapters/dynamodb/table';
import { GraphApi } from '../functions/adapters/graph-api';
import type { InboundEnvelope } from '../functions/domain/inbound';
import { defaultSettings, type Channel } from '../functions/domain/model';
import { type AgentLog, type ChatStore, type Directory, type OutboundJob, type RoutingStore } from '../functions/domain/ports';
import { AutomatedMessages } from '../functions/services/automated-messages';
import { Echoes } from '../functions/services/echoes';
import { ChatEndings, Handover } from '../functions/services/handover';
import { Dispatcher } from '../functions/services/dispatcher';
import { ChatIntake } from '../functions/services/chat-intake';
import { Profiles } from '../functions/services/profiles';
import { Receipts } from '../functions/services/receipts';
import { ensureTable } from '../local/provision';
import { dynamodbEndpoint, heading, noEvents, note, noTimers, printTable, quietNotifier, runIfMain } from './support';

const samples = 50;
const pageId = 'page-1';



const envelope = (customer: string, event: InboundEnvelope['event'], deliveryId?: string): InboundEnvelope => ({
  channelType: 'messenger',
  channelKey: pageId,
  conversationKey: customer,
  receivedAt: new Date().toISOString(),
  ...(deliveryId ? { deliveryId } : {}),
  event,
});

export async function main(): Promise<void> {
  heading('receipts and standby events: DynamoDB request units per event, in the router');
  const client = new DynamoDBClient({ endpoint: await dynamodbEndpoint(), region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const tableName = `bench${randomUUID().slice(0, 8)}-receipts`;
  await ensureTable(client, tableName);
  const table = new Table(DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }), tableName);
  const directory = new DynamoDirectory(table);
  const chats = new DynamoChatStore(table);
  await directory.saveSettings(defaultSettings);
  const channel: Channel = { id: 'ch-1', type: 'messenger', name: 'Bench', active: true, queueId: 'q1', language: 'en', provisioningState: 'running', lastError: null, humanAgentTag: false, appId: 'our-app', pageId, createdAt: new Date().toISOString() };
  await directory.createChannel(channel);
  const clock = () => new Date();
  const jobs: OutboundJob[] = [];
  const outbound = { enqueue: async (job: OutboundJob) => void jobs.push(job) };
  const automated = new AutomatedMessages({ chats, outbound, notifier: quietNotifier, timers: noTimers, clock });
  const dispatcher = new Dispatcher({
    store: new DynamoRoutingStore(table),
    chats,
    directory,
    log: new DynamoAgentLog(table),
    notifier: quietNotifier,
    timers: noTimers,
    events: noEvents,
    clock,
    endings: new ChatEndings({ outbound, automated, clock }),
  });
  // no token stored: profiles are not fetched, only their cache is read (as for a customer seen before)
  const secrets = { prefix: 'bench', get: async () => undefined, forget: () => undefined };
  const ingest = new ChatIntake({
    directory,
    contacts: { contactOfCustomer: async () => undefined },
    chats,
    dispatcher,
    notifier: quietNotifier,
    events: noEvents,
    clock,
    ...{ telegram: { edited: async () => 'ignored' as const, answerCallback: async () => undefined } },
    receipts: new Receipts({ chats, notifier: quietNotifier }),
    echoes: new Echoes({ chats, notifier: quietNotifier, clock }),
    handover: new Handover({ chats, dispatcher, automated, events: noEvents, clock }),
    profiles: new Profiles({ chats, directory, graph: new GraphApi({ baseUrl: 'http://127.0.0.1:9' }), secrets, events: noEvents, clock }),
    automated,
  });

  const totals = new Map<string, { read: number; write: number; requests: number; n: number }>();
  const measure = async (label: string, run: () => Promise<unknown>) => {
    Object.assign(table.capacity, { read: 0, write: 0, requests: 0 });
    await run();
    const t = totals.get(label) ?? { read: 0, write: 0, requests: 0, n: 0 };
    totals.set(label, { read: t.read + table.capacity.read, write: t.write + table.capacity.write, requests: t.requests + table.capacity.requests, n: t.n + 1 });
  };

  for (let i = 0; i < samples; i++) {
    const customer = `psid-${i}`;
    const t0 = Date.now() - 60_000;
    // a conversation the bot holds: the first standby message opens it, later ones join it
    await measure('standby, first of a conversation (opens a bot chat)', () =>
      ingest.handle(envelope(customer, { kind: 'message', platformMessageId: `s-${i}-0`, timestamp: t0, customer: { id: customer }, text: 'hi bot', standby: true }, `s-${i}-0`)),
    );
    await measure('standby, later message', () =>
      ingest.handle(envelope(customer, { kind: 'message', platformMessageId: `s-${i}-1`, timestamp: t0 + 1000, customer: { id: customer }, text: 'more', standby: true }, `s-${i}-1`)),
    );
    // two of our replies already sent, with ten customer messages between
    const open = await chats.openChatOf(channel.id, customer);
    if (!open) throw new Error('no chat');
    for (let m = 0; m < 10; m++) await chats.append(open.id, { message: { id: randomUUID(), chatId: open.id, direction: 'in', text: `m${m}`, sentAt: new Date(t0 + 2000 + m).toISOString(), status: 'received' } }, new Date());
    for (let r = 0; r < 2; r++) await chats.append(open.id, { message: { id: randomUUID(), chatId: open.id, direction: 'out', text: 'reply', sentAt: new Date(t0 + 3000 + r).toISOString(), status: 'sent', agentId: 'ann', platformMessageId: `mid-${i}-${r}` } }, new Date());
    const watermark = t0 + 5000;
    await measure('delivery (watermark), moves 2 messages', () => ingest.handle(envelope(customer, { kind: 'delivery', timestamp: watermark, watermark, mids: [`mid-${i}-0`, `mid-${i}-1`] })));
    await measure('delivery repeated (moves nothing)', () => ingest.handle(envelope(customer, { kind: 'delivery', timestamp: watermark + 1, watermark })));
    await measure('read (watermark), moves 2 messages', () => ingest.handle(envelope(customer, { kind: 'read', timestamp: watermark + 2, watermark })));
    await measure('read repeated (moves nothing)', () => ingest.handle(envelope(customer, { kind: 'read', timestamp: watermark + 3, watermark })));
    await measure('receipt for a customer with no open chat', () => ingest.handle(envelope(`nobody-${i}`, { kind: 'read', timestamp: watermark, watermark })));
  }
  printTable(
    ['event', 'RRU', 'WRU', 'DynamoDB requests'],
    [...totals.entries()].map(([label, t]) => [label, (t.read / t.n).toFixed(2), (t.write / t.n).toFixed(2), (t.requests / t.n).toFixed(1)]),
  );
  note(`${samples} conversations; units are means per event, as DynamoDB Local reports them (on-demand pricing counts the same units).`);
  note('Per event besides: one SQS FIFO message in and out of the inbound queue (sent in batches of up to 10 by the webhook),');
  note('a share of one router invocation (batches of up to 10), no Graph API call, no outbound message; a push only when a status moves.');
}

runIfMain(import.meta.url, main);
