/**
 * Cost per inbound message: the local runtime runs in this process with counting proxies in front
 * of DynamoDB Local, the SQS emulator, the emulated Secrets Manager / EventBridge and the
 * WebSocket @connections endpoint, and every handler invocation is timed. Two cases are measured:
 * (a) a message that opens a new chat and is offered, (b) a message in a chat an agent holds.
 * Run alone with `node --import tsx bench/cost.ts`.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import type { HandlerId } from '../functions/shared/routes';
import { closeServer } from '../local/control-plane';
import { handlersFromDirectory } from '../local/handlers';
import { startRuntime } from '../local/runtime';
import { startFakeGraph } from '../test/support/fake-graph';
import { messengerText as customerMessage } from '../test/support/webhooks';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { PartitionHeat, type WriteCost } from './partition-heat';
import {
  bench,
  clientFor,
  connectedAgent,
  emulators,
  heading,
  messengerText,
  note,
  onCleanup,
  postMessenger,
  printTable,
  projectRoot,
  runIfMain,
  setUpMessenger,
  signedHeaders,
  sleep,
  adminCall,
  type AgentSocket,
  verdict,
  type RuntimeClient,
} from './support';

/*
 * AWS list prices, us-east-1, on-demand, as published in 2025 (check before relying on them):
 *   DynamoDB on demand      $0.625 per million write request units, $0.125 per million read request units
 *   SQS FIFO                $0.50 per million requests (each 64 KB of payload is one request)
 *   SQS standard            $0.40 per million requests (each 64 KB of payload is one request): the timer queue
 *   Lambda                  $0.20 per million requests; arm64 $0.0000133334 per GB-second (1 ms granularity)
 *   API Gateway HTTP API    $1.00 per million requests (512 KB chunks)
 *   API Gateway WebSocket   $1.00 per million messages (32 KB chunks); connection minutes not per message
 *   EventBridge             $1.00 per million custom events put
 *   (timers used EventBridge Scheduler before: $1.00 per million invocations, API calls not billed)
 *   Secrets Manager         $0.05 per 10,000 API calls
 */
export const prices = {
  dynamodbWru: 0.625 / 1e6,
  dynamodbRru: 0.125 / 1e6,
  sqsFifoRequest: 0.5 / 1e6,
  sqsStandardRequest: 0.4 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  lambdaArmGbSecond: 0.0000133334,
  httpApiRequest: 1.0 / 1e6,
  websocketMessage: 1.0 / 1e6,
  eventBridgeEvent: 1.0 / 1e6,
  secretsManagerCall: 0.05 / 1e4,
};
const priceDate = 'AWS list prices, us-east-1, on-demand, 2025';
/** Goals per million inbound messages: (a) opening a new chat, (b) in a chat an agent holds. */
const goalNewChat = 10;
const goalAssigned = 5;
/** (b) batched: customers of assigned chats writing at once, and how many times. */
const batchedCustomers = 10;
const batchedRounds = 3;
/** Customers 5.. of the fake Graph API's profiles (0–4 open (a), 19 warms up). */
const batchedFirst = 5;
/** (a) batched: new customers 20.. opening chats at once, batchedCustomers at a time, batchedRounds times. */
const newBatchedFirst = 20;
/** Memory of every function in the stack (lib/handler-function.ts). */
const lambdaMemoryGb = 512 / 1024;
const samplesPerCase = 5;

// ---------------------------------------------------------------------------------------------
// Counting

type Service = 'DynamoDB' | 'SQS' | 'SQS standard' | 'Secrets Manager' | 'EventBridge' | 'WebSocket @connections' | 'Graph API' | 'Lambda';

interface Call {
  service: Service;
  operation: string;
  rru: number;
  wru: number;
  /** DynamoDB: the units DynamoDB Local reported (wru and rru are AWS's, computed where Local differs). */
  localRru?: number;
  localWru?: number;
  /** DynamoDB writes: what each item of the request cost. */
  write?: WriteCost;
  /** SQS ReceiveMessage: messages received; Lambda: records in the event. */
  records?: number;
  /** SQS: the queue's name. */
  queue?: string;
  /** Billing units of the call where they are not 1 (SQS 64 KB chunks, WebSocket 32 KB chunks). */
  units: number;
  /** Lambda: milliseconds of the invocation. */
  millis: number;
}

const calls: Call[] = [];
let lastCallAt = 0;
const record = (call: Omit<Call, 'rru' | 'wru' | 'units' | 'millis'> & Partial<Call>) => {
  calls.push({ rru: 0, wru: 0, units: 1, millis: 0, ...call });
  lastCallAt = performance.now();
};

const capacity = z.object({ ReadCapacityUnits: z.number().optional(), WriteCapacityUnits: z.number().optional(), CapacityUnits: z.number().optional() });
const dynamodbAnswer = z.object({ ConsumedCapacity: z.union([capacity, z.array(capacity)]).optional() });
const readRequest = z.object({ ConsistentRead: z.boolean().optional(), ReturnConsumedCapacity: z.string().optional() });
const receiveAnswer = z.object({ Messages: z.array(z.unknown()).optional() });
const sqsRequest = z.object({ QueueUrl: z.string() });
const readOperations = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);

function jsonOf(buffer: Buffer): unknown {
  try {
    return JSON.parse(buffer.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** What one proxied request was, or undefined to leave it uncounted (idle polling). */
type Classify = (req: IncomingMessage, requestBody: Buffer, status: number, responseBody: Buffer, write?: WriteCost) => Omit<Call, 'rru' | 'wru' | 'units' | 'millis'> & Partial<Call> | undefined;

const targetOperation = (req: IncomingMessage) => String(req.headers['x-amz-target'] ?? '').split('.').pop() ?? 'unknown';

/**
 * DynamoDB units: writes as AWS charges them, computed per item by bench/write-units.ts from the item
 * before and after (DynamoDB Local under-reports transactions whose items are of equal size); reads as
 * Local reports them, except a Query or Scan that returns nothing, which Local reports as 0 and AWS
 * charges its minimum (0.5 RRU eventually consistent, 1 consistent): "even if no data exists",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html#read-operation-consumption
 * (GetItem and a Query of more than 4 KB were checked against Local: a 10 KB GetItem is 1.5 / 3 RRU
 * and a Query of two 5 KB items 1.5 RRU on both, an absent item 0.5).
 */
const classifyDynamodb: Classify = (req, body, status, response, write) => {
  const operation = targetOperation(req);
  const parsed = dynamodbAnswer.safeParse(jsonOf(response));
  const consumed = parsed.success ? parsed.data.ConsumedCapacity : undefined;
  let localRru = 0;
  let localWru = 0;
  for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
    const units = c.CapacityUnits ?? (readOperations.has(operation) ? (c.ReadCapacityUnits ?? 0) : (c.WriteCapacityUnits ?? 0));
    if (readOperations.has(operation)) localRru += units;
    else localWru += units;
  }
  let rru = localRru;
  if (status === 200 && (operation === 'Query' || operation === 'Scan') && localRru === 0) rru = readRequest.safeParse(jsonOf(body)).data?.ConsistentRead ? 1 : 0.5;
  const wru = write ? write.wru : localWru;
  return { service: 'DynamoDB', operation, rru, wru, localRru, localWru, write };
};

/** Reads are sent with ReturnConsumedCapacity TOTAL when the caller did not ask, so every read's units are seen. */
function withReadCapacity(operation: string, body: Buffer): Buffer {
  if (!readOperations.has(operation)) return body;
  const input = jsonOf(body);
  if (typeof input !== 'object' || input === null || readRequest.safeParse(input).data?.ReturnConsumedCapacity) return body;
  return Buffer.from(JSON.stringify({ ...input, ReturnConsumedCapacity: 'TOTAL' }), 'utf8');
}

const classifySqs: Classify = (req, body, _status, response) => {
  const operation = targetOperation(req);
  if (operation === 'ReceiveMessage') {
    const parsed = receiveAnswer.safeParse(jsonOf(response));
    // Empty polls are the event source mapping idling, paid per second of the day, not per message.
    if (!parsed.success || (parsed.data.Messages ?? []).length === 0) return undefined;
  }
  // FIFO queues (inbound, outbound) and the standard timer queue are priced apart
  const queueUrl = sqsRequest.safeParse(jsonOf(body));
  const standard = queueUrl.success && !queueUrl.data.QueueUrl.endsWith('.fifo');
  const records = operation === 'ReceiveMessage' ? (receiveAnswer.safeParse(jsonOf(response)).data?.Messages ?? []).length : undefined;
  const queue = queueUrl.success ? queueUrl.data.QueueUrl.split('/').pop() : undefined;
  return { service: standard ? 'SQS standard' : 'SQS', operation, units: Math.max(1, Math.ceil(body.length / 65_536)), records, queue };
};

const classifyControlPlane: Classify = (req) => {
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target.startsWith('secretsmanager.')) return { service: 'Secrets Manager', operation: targetOperation(req) };
  return { service: 'EventBridge', operation: targetOperation(req) };
};

const classifyConnections: Classify = (req, body) => {
  if (!/\/@connections\//.test(req.url ?? '')) return undefined;
  const operation = req.method === 'POST' ? 'PostToConnection' : req.method === 'DELETE' ? 'DeleteConnection' : 'GetConnection';
  return { service: 'WebSocket @connections', operation, units: Math.max(1, Math.ceil(body.length / 32_768)) };
};

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
  });
}

/** A loopback HTTP proxy that forwards everything to `target` and records what `classify` says. */
/** A profile picture link of the length Meta's are (platform-lookaside, signed and expiring). */
const profilePic = (psid: string) => `https://platform-lookaside.fbsbx.com/platform/profilepic/?psid=${psid}&width=1024&ext=1767225600&hash=AbZx3kQv9mLr2TfNq8WcZpHsYt`;

/**
 * While set, the inbound queue's receives wait at the proxy: the event source mapping finds the
 * messages posted meanwhile all waiting, as it does at scale, where the queue always has a backlog.
 */
let inboundReceivesHeld: Promise<void> | undefined;
/** While set, the inbound queue's receives go one at a time, so each finds all that is waiting (up to 10), as under a backlog. */
let inboundReceivesOneByOne: { last: Promise<void> } | undefined;

async function countingProxy(target: string, classify: Classify, heat?: PartitionHeat): Promise<{ url: string; server: Server }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    void (async () => {
      const received = await readAll(req);
      const inboundReceive = targetOperation(req) === 'ReceiveMessage' && received.toString('utf8').includes('inbound');
      if (inboundReceive && inboundReceivesHeld) await inboundReceivesHeld;
      let done = () => {};
      if (inboundReceive && inboundReceivesOneByOne) {
        const turn = inboundReceivesOneByOne;
        const previous = turn.last;
        turn.last = new Promise<void>((resolve) => (done = resolve));
        await previous;
      }
      res.once('close', () => done());
      // DynamoDB writes: the items are read before and after (and held from other writes meanwhile), so their units are AWS's
      const observed = heat ? await heat.observe(targetOperation(req), received) : undefined;
      const body = observed?.body ?? (heat ? withReadCapacity(targetOperation(req), received) : received);
      let answer: { status: number; headers: IncomingMessage['headers']; body: Buffer };
      try {
        answer = await new Promise((resolve, reject) => {
          const forwarded = request(
            { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: forwardedHeaders(req, upstream.host, body.length) },
            (upstreamRes) => void readAll(upstreamRes).then((b) => resolve({ status: upstreamRes.statusCode ?? 502, headers: upstreamRes.headers, body: b }), reject),
          );
          forwarded.once('error', reject);
          forwarded.end(body);
        });
      } catch (error) {
        observed?.abort();
        throw error;
      }
      const write = observed ? await observed.after(answer.status, answer.body).catch((error: unknown) => void console.error(`  write units failed: ${String(error)}`)) : undefined;
      const call = classify(req, body, answer.status, answer.body, write ?? undefined);
      if (call) record(call);
      const headers = { ...answer.headers, 'content-length': String(answer.body.length) };
      delete headers['transfer-encoding'];
      res.writeHead(answer.status, headers);
      res.end(answer.body);
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(() => closeServer(server));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function forwardedHeaders(req: IncomingMessage, host: string, length: number): IncomingMessage['headers'] {
  const headers: IncomingMessage['headers'] = { ...req.headers, host, 'content-length': String(length) };
  delete headers['transfer-encoding'];
  return headers;
}

/** Waits until no counted call has happened for `quietMs`. */
async function quiesce(quietMs = 600): Promise<void> {
  while (performance.now() - lastCallAt < quietMs) await sleep(50);
}

// ---------------------------------------------------------------------------------------------
// Pricing

type Row = { service: Service; operation: string; calls: number; rru: number; wru: number; localRru: number; localWru: number; units: number; millis: number };

interface PerMessage {
  rows: Row[];
  dollars: Record<string, number>;
  total: number;
}

/** Averages the calls of `samples` (holding `messages` messages, one each unless said) and prices them. */
function perMessage(samples: Call[][], messages = samples.length): PerMessage {
  const grouped = new Map<string, Row>();
  const lambdaBilledMs: number[] = [];
  for (const sample of samples) {
    for (const call of sample) {
      const key = `${call.service}|${call.operation}`;
      const row = grouped.get(key) ?? { service: call.service, operation: call.operation, calls: 0, rru: 0, wru: 0, localRru: 0, localWru: 0, units: 0, millis: 0 };
      row.calls += 1 / messages;
      row.rru += call.rru / messages;
      row.wru += call.wru / messages;
      row.localRru += (call.localRru ?? call.rru) / messages;
      row.localWru += (call.localWru ?? call.wru) / messages;
      row.units += call.units / messages;
      row.millis += call.millis / messages;
      grouped.set(key, row);
      if (call.service === 'Lambda') lambdaBilledMs.push(Math.ceil(call.millis));
    }
  }
  const rows = [...grouped.values()].sort((a, b) => a.service.localeCompare(b.service) || a.operation.localeCompare(b.operation));
  const sum = (service: Service, pick: (r: (typeof rows)[number]) => number) => rows.filter((r) => r.service === service).reduce((a, r) => a + pick(r), 0);
  const gbSeconds = lambdaBilledMs.reduce((a, b) => a + b, 0) / messages / 1000 * lambdaMemoryGb;
  const dollars: Record<string, number> = {
    'API Gateway HTTP API (webhook request)': prices.httpApiRequest,
    'DynamoDB read request units': sum('DynamoDB', (r) => r.rru) * prices.dynamodbRru,
    'DynamoDB write request units': sum('DynamoDB', (r) => r.wru) * prices.dynamodbWru,
    'SQS FIFO requests': sum('SQS', (r) => r.units) * prices.sqsFifoRequest,
    'SQS standard requests (timers)': sum('SQS standard', (r) => r.units) * prices.sqsStandardRequest,
    'Lambda requests': sum('Lambda', (r) => r.calls) * prices.lambdaRequest,
    'Lambda GB-seconds (512 MB arm64)': gbSeconds * prices.lambdaArmGbSecond,
    'WebSocket messages to agents': sum('WebSocket @connections', (r) => (r.operation === 'PostToConnection' ? r.units : 0)) * prices.websocketMessage,
    'EventBridge events': sum('EventBridge', (r) => r.calls) * prices.eventBridgeEvent,
    'Secrets Manager calls': sum('Secrets Manager', (r) => r.calls) * prices.secretsManagerCall,
  };
  return { rows, dollars, total: Object.values(dollars).reduce((a, b) => a + b, 0) };
}

const round = (n: number, digits = 2) => (Math.abs(n) < 1e-9 ? '0' : n.toFixed(digits));

function printCase(title: string, result: PerMessage): void {
  console.log(`\n  ${title}`);
  printTable(
    ['service', 'operation', 'calls', 'RRU', 'WRU', 'RRU as Local reports', 'WRU as Local reports', 'billed units', 'ms (local)'],
    result.rows.map((r) => [
      r.service,
      r.operation,
      round(r.calls),
      r.service === 'DynamoDB' ? round(r.rru) : '',
      r.service === 'DynamoDB' ? round(r.wru) : '',
      r.service === 'DynamoDB' ? round(r.localRru) : '',
      r.service === 'DynamoDB' ? round(r.localWru) : '',
      r.service === 'SQS' || r.service === 'SQS standard' || r.service === 'WebSocket @connections' ? round(r.units) : '',
      r.service === 'Lambda' ? round(r.millis, 1) : '',
    ]),
  );
}

/** The item's kind in a key: the leading word of each key part (CHAT#<id> | MSG#… → CHAT | MSG). */
const keyKind = (key: string) => key.split(' | ').map((part) => part.split(/[#:]/)[0] || part).join('|');

/** Every DynamoDB write request of a case, per message: what its items cost by AWS's rules and what Local reported. */
function printWrites(title: string, samples: Call[][], messages = samples.length): void {
  const grouped = new Map<string, { requests: number; wru: number; localWru: number; outcome: string }>();
  for (const sample of samples) {
    for (const call of sample) {
      if (!call.write) continue;
      const items = call.write.items
        .map((i) => `${i.action} ${keyKind(i.key)} ${i.units.table}${Object.entries(i.units.indexes).map(([name, u]) => ` +${name} ${u}`).join('')}`)
        .join(', ');
      const key = `${call.operation}|${items || '(no item charged)'}|${call.write.outcome}`;
      const row = grouped.get(key) ?? { requests: 0, wru: 0, localWru: 0, outcome: call.write.outcome };
      row.requests += 1 / messages;
      row.wru += call.write.wru / messages;
      row.localWru += call.write.localWru / messages;
      grouped.set(key, row);
    }
  }
  console.log(`
  ${title}: DynamoDB write requests per message`);
  printTable(
    ['operation', 'items (action, key kinds, table WRU + index WRU)', 'outcome', 'requests', 'WRU (AWS rules)', 'WRU as Local reports'],
    [...grouped].map(([key, r]) => [key.split('|')[0] ?? '', key.split('|').slice(1, -1).join('|'), r.outcome, round(r.requests), round(r.wru), round(r.localWru)]),
  );
}

// ---------------------------------------------------------------------------------------------

const frame = z.object({ type: z.string(), chat: z.object({ id: z.string(), customer: z.object({ id: z.string() }) }).optional(), chatId: z.string().optional() });

export async function main(): Promise<void> {
  heading('cost: AWS requests and dollars per inbound message (counted from the calls the handlers make)');
  const { dynamodbEndpoint, sqsEndpoint } = await emulators();
  const heat = new PartitionHeat(dynamodbEndpoint);
  onCleanup(async () => heat.destroy());
  const dynamodb = await countingProxy(dynamodbEndpoint, classifyDynamodb, heat);
  const sqs = await countingProxy(sqsEndpoint, classifySqs);
  const graph = await startFakeGraph({
    pages: { [bench.pageId]: { name: 'Bench Page', token: bench.pageToken }, [secondPage.id]: { name: 'Bench Page B', token: secondPage.token } },
    profiles: Object.fromEntries([
      // as Meta answers: full names and a signed profile picture link, which the chat keeps
      ...Array.from({ length: newBatchedFirst + 2 * batchedCustomers * batchedRounds }, (_, n) => [customer(n), { first_name: 'Maria Fernanda', last_name: `Oliveira ${n}`, profile_pic: profilePic(customer(n)) }]),
      ...heatAgentCounts.flatMap((_, run) => Array.from({ length: heatConversations }, (_, n) => [heatCustomer(n, run), { first_name: 'Zoë', last_name: `Ølsen ${n}`, profile_pic: profilePic(heatCustomer(n, run)) }])),
    ]),
  });
  onCleanup(() => graph.stop());

  const loadFromFunctions = handlersFromDirectory(join(projectRoot, 'functions'));
  const environment = { ...process.env };
  // The handlers run in this process: their per-request logs would bury the figures.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const runtime = await startRuntime({
    rootDir: projectRoot,
    port: 0,
    inMemory: true,
    resourcePrefix: `c${Date.now().toString(36)}-`,
    dynamodbEndpoint: dynamodb.url,
    sqsEndpoint: sqs.url,
    env: { ...process.env, GRAPH_API_URL: graph.url },
    log: () => undefined,
    // Every invocation is a Lambda request; its wall time is what Lambda would bill.
    loadHandler: async (id: HandlerId) => {
      const handler = await loadFromFunctions(id);
      return async (event, context) => {
        const started = performance.now();
        const records = z.object({ Records: z.array(z.unknown()) }).safeParse(event).data?.Records.length;
        try {
          return await handler(event, context);
        } finally {
          record({ service: 'Lambda', operation: id, millis: performance.now() - started, records });
        }
      };
    },
  });
  const agents: AgentSocket[] = [];
  try {
    // Handlers load on their first event and build their SDK clients then: point the rest through proxies now.
    const controlPlane = await countingProxy(runtime.endpoints.secretsManager, classifyControlPlane);
    const connections = await countingProxy(runtime.baseUrl, classifyConnections);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: controlPlane.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: controlPlane.url,
      SOCKET_CALLBACK_URL: connections.url,
    });
    const client = clientFor(runtime.baseUrl);
    const { admin, queueId } = await setUpMessenger(client, { acceptTimeoutSeconds: 3600 });
    const agent = await connectedAgent(client, admin, 'cost-agent', 100);
    agents.push(agent);

    const graphCalls = () => graph.requests.length;
    const measure = async (post: () => Promise<void>, until: () => Promise<unknown>) => {
      await quiesce();
      calls.splice(0);
      const graphBefore = graphCalls();
      await post();
      await until();
      await quiesce();
      const sample = calls.splice(0);
      for (let i = graphBefore; i < graphCalls(); i++) sample.push({ service: 'Graph API', operation: graph.requests[i]?.method ?? '?', rru: 0, wru: 0, units: 1, millis: 0 });
      return sample;
    };
    const nextOf = async (type: string, match: (f: z.infer<typeof frame>) => boolean) => {
      for (;;) {
        const parsed = frame.safeParse(await agent.next(type, 15_000));
        if (parsed.success && match(parsed.data)) return parsed.data;
      }
    };

    // Warm every handler (cold starts and the secrets cache are not per-message costs).
    await postMessenger(runtime.baseUrl, messengerText(customer(19), 'm_cost_warm', 'warm up'));
    const warm = await nextOf('chatOffered', (f) => f.chat?.customer.id === customer(19));
    agent.send({ action: 'accept', chatId: warm.chat?.id, requestId: 'warm-accept' });
    await agent.next('chatAssigned', 15_000);
    await postMessenger(runtime.baseUrl, messengerText(customer(19), 'm_cost_warm_2', 'warm up again'));
    await nextOf('message', (f) => f.chatId === warm.chat?.id);

    // (a) new chat, offered
    const opened: Call[][] = [];
    const chatIds: string[] = [];
    for (let n = 0; n < samplesPerCase; n++) {
      opened.push(
        await measure(
          () => postMessenger(runtime.baseUrl, messengerText(customer(n), `m_cost_new_${n}`, `first message ${n}`)),
          async () => chatIds.push((await nextOf('chatOffered', (f) => f.chat?.customer.id === customer(n))).chat?.id ?? ''),
        ),
      );
    }
    // (b) chat held by the agent
    const chatId = chatIds[0] ?? '';
    agent.send({ action: 'accept', chatId, requestId: 'accept' });
    await agent.next('chatAssigned', 15_000);
    const assigned: Call[][] = [];
    for (let n = 0; n < samplesPerCase; n++) {
      assigned.push(
        await measure(
          () => postMessenger(runtime.baseUrl, messengerText(customer(0), `m_cost_more_${n}`, `follow-up ${n}`)),
          () => nextOf('message', (f) => f.chatId === chatId),
        ),
      );
    }

    // (b) batched: customers of assigned chats write at the same moment, as at scale, so the event
    // source mapping receives several at once and the router takes them in one invocation
    const batchedChats = new Map<string, string>();
    for (let n = 0; n < batchedCustomers; n++) {
      const psid = customer(batchedFirst + n);
      await postMessenger(runtime.baseUrl, messengerText(psid, `m_cost_batch_open_${n}`, `Olá 👋 ${n}`));
      const offered = await nextOf('chatOffered', (f) => f.chat?.customer.id === psid);
      const id = offered.chat?.id ?? '';
      agent.send({ action: 'accept', chatId: id, requestId: `batch-accept-${n}` });
      await agent.next('chatAssigned', 15_000);
      batchedChats.set(id, psid);
    }
    /**
     * Webhooks posted one after another while the router's receives wait at the proxy, so the event
     * source mapping finds them waiting together and the router takes them in one invocation, as at scale.
     */
    const measureBatch = (post: () => Promise<void>, until: () => Promise<void>) =>
      measure(
        async () => {
          // (in AWS each webhook has its own instance; here they would share one process)
          let release = () => {};
          inboundReceivesHeld = new Promise<void>((resolve) => (release = resolve));
          inboundReceivesOneByOne = { last: Promise.resolve() };
          // a long poll already waiting at the queue (1 s) would take the first message alone: let it come back empty
          await new Promise((resolve) => setTimeout(resolve, 1_500));
          try {
            await post();
          } finally {
            inboundReceivesHeld = undefined;
            release();
          }
        },
        async () => {
          await until();
          inboundReceivesOneByOne = undefined;
        },
      );
    const batched: Call[][] = [];
    for (let r = 0; r < batchedRounds; r++) {
      batched.push(
        await measureBatch(
          async () => {
            for (const [n, psid] of [...batchedChats.values()].entries()) await postMessenger(runtime.baseUrl, messengerText(psid, `m_cost_batch_${r}_${n}`, `follow-up ${r} 😀 ${n}`));
          },
          async () => {
            const waiting = new Set(batchedChats.keys());
            while (waiting.size > 0) waiting.delete((await nextOf('message', (f) => waiting.has(f.chatId ?? ''))).chatId ?? '');
          },
        ),
      );
    }
    // (a) batched: new customers write at the same moment. As at scale, their chats go to as many
    // agents (the ones with the fewest chats), who accept between rounds, so no agent's item grows
    // with a pile of pending offers. These agents leave before the heat run, which brings its own.
    const desk: AgentSocket[] = [];
    for (let n = 0; n < batchedCustomers; n++) desk.push(await connectedAgent(client, admin, `cost-desk-${n}`, 100));
    const offersOnDesk = async (psids: Set<string>) => {
      const offered: { socket: AgentSocket; chatId: string }[] = [];
      while (offered.length < psids.size) {
        for (const socket of desk) {
          const index = socket.frames.findIndex((f) => f.type === 'chatOffered');
          if (index < 0) continue;
          const parsed = frame.safeParse(socket.frames.splice(index, 1)[0]);
          if (parsed.success && psids.has(parsed.data.chat?.customer.id ?? '')) offered.push({ socket, chatId: parsed.data.chat?.id ?? '' });
        }
        if (offered.length < psids.size) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return offered;
    };
    /** Rounds of new customers writing together, each chat offered on the desk and accepted after the round (uncounted). */
    const openOnDesk = async (label: string, first: number, measureRound: (post: () => Promise<void>, until: () => Promise<void>) => Promise<Call[]>, post: (sends: (() => Promise<void>)[]) => Promise<void>) => {
      const samples: Call[][] = [];
      for (let r = 0; r < batchedRounds; r++) {
        const psids = Array.from({ length: batchedCustomers }, (_, n) => customer(first + r * batchedCustomers + n));
        let offered: { socket: AgentSocket; chatId: string }[] = [];
        samples.push(
          await measureRound(
            () => post(psids.map((psid, n) => () => postMessenger(runtime.baseUrl, messengerText(psid, `m_cost_${label}_${r}_${n}`, `Olá, preciso de ajuda 🙏 ${n}`)))),
            async () => {
              offered = await offersOnDesk(new Set(psids));
            },
          ),
        );
        for (const [n, { socket, chatId }] of offered.entries()) {
          socket.send({ action: 'accept', chatId, requestId: `desk-accept-${label}-${r}-${n}` });
          await socket.next('chatAssigned', 15_000);
        }
      }
      return samples;
    };
    // one after another while the router's receives wait: one invocation takes them all
    const openedBatched = await openOnDesk('new_batch', newBatchedFirst, measureBatch, async (sends) => {
      for (const send of sends) await send();
    });
    // all at once, received as they come: the router's pollers take them in several invocations at the same moment
    const openedConcurrently = await openOnDesk('new_concurrent', newBatchedFirst + batchedCustomers * batchedRounds, measure, async (sends) => {
      await Promise.all(sends.map((send) => send()));
    });
    for (const socket of desk) socket.send({ action: 'setStatus', status: 'inactive', requestId: 'desk-leaves' });
    await Promise.all(desk.map((socket) => socket.next('statusChanged', 10_000)));
    await Promise.all(desk.map((socket) => socket.close()));
    const batchedMessages = batchedRounds * batchedCustomers;
    const inboundReceives = batched.flat().filter((c) => c.operation === 'ReceiveMessage' && c.service === 'SQS' && c.queue?.includes('inbound'));
    const routerInvocations = batched.flat().filter((c) => c.service === 'Lambda' && c.operation === 'routing/router');
    const sizes = (list: Call[]) => list.map((c) => c.records ?? 0).sort((x, y) => y - x);
    const mean = (list: number[]) => list.reduce((x, y) => x + y, 0) / Math.max(1, list.length);

    const a = perMessage(opened);
    const b = perMessage(assigned);
    const bBatched = perMessage(batched, batchedMessages);
    const aBatched = perMessage(openedBatched, batchedMessages);
    const aConcurrent = perMessage(openedConcurrently, batchedMessages);
    note(`Warm handlers; (a) and (b) averaged over ${samplesPerCase} messages sent one at a time; batched: ${batchedCustomers} customers (of assigned`);
    note(`chats for (b), new ones for (a)) write at the same moment, ${batchedRounds} times (${batchedMessages} messages each). A "call" is one AWS API request as the handlers send it.`);
    note('DynamoDB write units are computed by AWS\'s rules (bench/write-units.ts) from each written item before and after the write:');
    note('DynamoDB Local under-reports transactions whose items are of equal size (1, 2 or 3 small Puts all report 2 WRU; AWS charges');
    note('2 per item per KB, and as much again for each GSI written), so its own figure is shown beside ("as Local reports") only.');
    note('A single write whose condition fails is charged the item\'s size, as AWS does; a cancelled transaction is counted as Local');
    note('reports it (nothing): the AWS documentation does not say what a cancelled transaction consumes. Reads are Local\'s figures (they');
    note('agree with AWS for GetItem and Query), except an empty Query, which Local reports as 0 and AWS charges 0.5 RRU (1 consistent).');
    note('SQS includes the event source mapping\'s receive and delete (empty polls excluded). Lambda time is measured');
    note('locally against the emulators and billed at 512 MB, 1 ms granularity.');
    printCase('(a) a message that opens a new chat and is offered to an agent', a);
    printWrites('(a)', opened);
    // the routing decision: the agent (load and offer), their ready entries and the chat's move to offered
    const decisionWrite = (c: Call) =>
      c.write?.items.some((i) => ['AGENT|AGENT', 'AGENT|MEMBER'].includes(keyKind(i.key)) || (i.action === 'Update' && keyKind(i.key) === 'CHAT|CHAT')) ?? false;
    const decisions = opened.map((sample) => sample.filter(decisionWrite)).filter((writes) => writes.length > 0);
    const total = (writes: Call[], units: (c: Call) => number) => writes.reduce((sum, c) => sum + units(c), 0);
    note(
      `The routing decision (the writes of the agent with the offer, their ready entry and the chat) costs ${round(mean(decisions.map((d) => total(d, (c) => c.wru))))} WRU by AWS's rules ` +
        `(${round(mean(decisions.map((d) => total(d, (c) => c.localWru ?? 0))))} as Local reports) in ${round(mean(decisions.map((d) => d.length)))} requests, over ${decisions.length} decisions.`,
    );
    printCase('(b) a message in a chat already assigned to an agent, sent alone', b);
    printWrites('(b) one at a time', assigned);
    printCase(`(b) batched: ${batchedCustomers} customers of assigned chats write while the router is busy, per message`, bBatched);
    printWrites('(b) batched', batched, batchedMessages);
    printCase(`(a) batched: ${batchedCustomers} new customers write while the router is busy, per message`, aBatched);
    printWrites('(a) batched', openedBatched, batchedMessages);
    const newReceives = openedBatched.flat().filter((c) => c.operation === 'ReceiveMessage' && c.service === 'SQS' && c.queue?.includes('inbound'));
    note(`(a) batched as it happened: ${newReceives.length} inbound ReceiveMessage calls, sizes ${sizes(newReceives).join(' ')}.`);
    printCase(`(a) concurrent: ${batchedCustomers} new customers write at once and the router's pollers take them as they come, per message`, aConcurrent);
    printWrites('(a) concurrent', openedConcurrently, batchedMessages);
    const concurrentInvocations = openedConcurrently.flat().filter((c) => c.service === 'Lambda' && c.operation === 'routing/router');
    note(`(a) concurrent as it happened: ${concurrentInvocations.length} router invocations for ${batchedMessages} messages (records each: ${sizes(concurrentInvocations).join(' ')}),`);
    note('several at the same moment (the local event source mapping polls with 3 pollers): their routing passes of the one queue race,');
    note('and the table decides. Passes are joined within an invocation, not across invocations.');
    note(`(b) batched as it happened: ${inboundReceives.length} inbound ReceiveMessage calls for ${batchedMessages} messages, ${round(mean(sizes(inboundReceives)), 1)} messages each`);
    note(`(sizes ${sizes(inboundReceives).join(' ')}); ${routerInvocations.length} router invocations, ${round(mean(sizes(routerInvocations)), 1)} records each (sizes ${sizes(routerInvocations).join(' ')}).`);
    note('The webhooks are posted one after another while the router\'s receives wait at the proxy, then its pollers receive one at a');
    note('time, so each receive finds what is waiting (up to 10), as at scale where the inbound queue always has a backlog; each');
    note('invocation\'s wall time is its own work.');
    const fifo = await fifoBatchCheck(sqsEndpoint);
    note(`The local event source mapping asks for up to ${fifo.asked} per ReceiveMessage; the SQS emulator returned ${fifo.received} of ${fifo.sent} messages`);
    note(`waiting in ${fifo.sent} message groups of a FIFO queue in one receive (AWS FIFO returns up to 10 across groups)${fifo.received < Math.min(fifo.asked, fifo.sent) ? ': FEWER than AWS would' : ''}.`);

    console.log(`\n  Cost per million inbound messages (${priceDate}):`);
    printTable(
      ['item', '(a) new chat, offered, one at a time', '(a) batched', '(a) concurrent', '(b) assigned, one at a time', '(b) batched'],
      [
        ...Object.keys(a.dollars).map((item) => [item, ...[a, aBatched, aConcurrent, b, bBatched].map((c) => `$${round((c.dollars[item] ?? 0) * 1e6)}`)]),
        ['total', ...[a, aBatched, aConcurrent, b, bBatched].map((c) => `$${round(c.total * 1e6)}`)],
      ],
    );
    note(
      `goal: (a) a message opening a new chat ≤ $${goalNewChat.toFixed(2)} per million → $${round(a.total * 1e6)} one at a time, ${verdict(a.total * 1e6 <= goalNewChat)}` +
        `; $${round(aBatched.total * 1e6)} batched as at scale, ${verdict(aBatched.total * 1e6 <= goalNewChat)}`,
    );
    note(
      `goal: (b) a message in an assigned chat ≤ $${goalAssigned.toFixed(2)} per million, judged batched as at scale → $${round(bBatched.total * 1e6)}, ${verdict(bBatched.total * 1e6 <= goalAssigned)}` +
        ` (one at a time: $${round(b.total * 1e6)})`,
    );
    note('Prices: DynamoDB $0.625/M WRU, $0.125/M RRU; SQS FIFO $0.50/M, standard $0.40/M requests (64 KB); Lambda $0.20/M + $0.0000133334/GB-s arm64;');
    note('HTTP API $1.00/M; WebSocket $1.00/M messages (32 KB); EventBridge $1.00/M events; Secrets Manager $0.05/10k calls.');
    const timerRequests = (batch: number) => (1 + 2 / batch) * prices.sqsStandardRequest * 1e6;
    note(`Timers: arming is one SendMessage on the standard timer queue (counted in (a), the offer's accept timeout). Every timer is`);
    note(`later delivered, due or stale: a receive and a delete per batch and one timer Lambda request per batch, so SQS per timer is`);
    note(`$${round(timerRequests(1))}/M alone in its batch, $${round(timerRequests(10))}/M in batches of 10 (EventBridge Scheduler: $1.00/M per fired timer,`);
    note('nothing for a deleted one). Timers over 15 minutes add a send, receive and delete per further 15 minutes. Free tiers, logs and data transfer excluded.');

    await heatRun({ client, admin, firstQueueId: queueId, agents, heat, inboundUrl: localQueueUrl(runtime.handlerEnv.INBOUND_QUEUE_URL, sqsEndpoint), outboundUrl: localQueueUrl(runtime.handlerEnv.OUTBOUND_QUEUE_URL, sqsEndpoint), sqsEndpoint });
  } finally {
    await Promise.all(agents.map((s) => s.close()));
    await runtime.stop();
    // The runtime wrote the handlers' environment into process.env; later benchmarks get the original back.
    for (const key of Object.keys(process.env)) if (!(key in environment)) delete process.env[key];
    Object.assign(process.env, environment);
  }
}

// ---------------------------------------------------------------------------------------------
// Partition heat: a mixed run, write units per partition key

function positiveInt(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}
/** OMNICHAT_BENCH_HEAT_MESSAGES / OMNICHAT_BENCH_HEAT_CONVERSATIONS make the run smaller (or bigger). */
const heatMessages = positiveInt(process.env.OMNICHAT_BENCH_HEAT_MESSAGES, 2_000);
const heatConversations = positiveInt(process.env.OMNICHAT_BENCH_HEAT_CONVERSATIONS, 200);
/**
 * Agents of each heat run, run one after the other: the 4 of the first runs (4 agents for up to 200
 * open chats, far fewer than any contact center has, so each agent's own keys look hot), then a
 * staffed one, about one agent per 5 concurrent chats (OMNICHAT_BENCH_HEAT_AGENTS, comma separated).
 */
const heatAgentCounts = (process.env.OMNICHAT_BENCH_HEAT_AGENTS ?? `4,${Math.max(4, Math.ceil(heatConversations / 5))}`)
  .split(',')
  .map((n) => positiveInt(n.trim(), 4));
const heatWriters = 20;
const goalSharedKeyShare = 0.05;
const secondPage = { id: '105000000000002', token: 'EAAG-bench-page-token-b' };

/** The customer of conversation `n` of heat run `run`: every run writes as new customers. */
function heatCustomer(n: number, run = 0): string {
  return `751${String(run).padStart(2, '0')}000${String(n).padStart(6, '0')}`;
}

/** The same queue on the emulator itself, so polling its depth is not counted. */
function localQueueUrl(url: string, sqsEndpoint: string): string {
  return new URL(new URL(url).pathname, sqsEndpoint).toString();
}

const phrases = [
  'Olá! Мой заказ #4417 не пришёл 😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳',
  'مرحبا، أحتاج إلى مساعدة',
  '你好，我的包裹在哪里？',
  'नमस्ते, मुझे मदद चाहिए 🙏',
  'שלום, ההזמנה שלי לא הגיעה',
  '𝕳𝖊𝖑𝖑𝖔 👨‍👩‍👧 family plan?',
  `${'Long story: '.padEnd(1_500, 'ä€😀 ')}end`,
];

const heatFrame = z.object({
  type: z.string(),
  chat: z.object({ id: z.string() }).optional(),
  chatId: z.string().optional(),
  message: z.object({ direction: z.string().optional() }).optional(),
});
const withId = z.object({ id: z.string() });

interface HeatContext {
  client: RuntimeClient;
  admin: string;
  firstQueueId: string;
  agents: AgentSocket[];
  heat: PartitionHeat;
  inboundUrl: string;
  outboundUrl: string;
  sqsEndpoint: string;
}

/**
 * Customers of two Pages, each routed to its own queue, write; agents accept every offer, reply to
 * every third message and close every second chat they get (the customer's next message opens a new
 * one). Write units are counted per partition key of the table and of each GSI.
 */
async function heatRun(ctx: HeatContext): Promise<void> {
  const { client, admin } = ctx;
  const queue = withId.parse(
    await adminCall(client, admin, 'POST', '/api/queues', { name: 'Bench B', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: [], groups: ['agents'] } }, [201]),
  );
  const channel = withId.parse(await adminCall(client, admin, 'POST', '/api/channels', { type: 'messenger', appId: bench.appId, pageId: secondPage.id, pageAccessToken: secondPage.token }, [201]));
  await adminCall(client, admin, 'PATCH', `/api/channels/${channel.id}`, { queueId: queue.id, active: true }, [200]);
  for (const [run, agentCount] of heatAgentCounts.entries()) await heatRunWith(ctx, queue.id, run, agentCount);
}

/** One heat run with `agentCount` agents connected and active (more are connected as a later run needs them). */
async function heatRunWith(ctx: HeatContext, secondQueueId: string, run: number, agentCount: number): Promise<void> {
  const { client, admin, heat } = ctx;
  const queue = { id: secondQueueId };
  for (let n = ctx.agents.length; n < agentCount; n++) ctx.agents.push(await connectedAgent(client, admin, `heat-agent-${n}`, 100));
  const agents = ctx.agents.slice(0, agentCount);

  /** Ids that belong to one conversation: chats, customers, messages; a key naming one is that conversation's own. */
  const own = new Set<string>();
  let replies = 0;
  let closes = 0;
  let pendingCloses = 0;
  let accepts = 0;
  agents.forEach((agent, a) => {
    agent.frames.splice(0);
    let assigned = 0;
    const perChat = new Map<string, number>();
    agent.onFrame = (raw) => {
      queueMicrotask(() => agent.frames.splice(0));
      const parsed = heatFrame.safeParse(raw);
      if (!parsed.success) return;
      const frame = parsed.data;
      if (frame.type === 'chatOffered' && frame.chat) {
        accepts += 1;
        agent.send({ action: 'accept', chatId: frame.chat.id, requestId: `heat-accept-${run}-${a}-${accepts}` });
      }
      if (frame.type === 'chatAssigned' && frame.chat) {
        const chatId = frame.chat.id;
        own.add(chatId);
        if (++assigned % 2 === 0) {
          pendingCloses += 1;
          setTimeout(() => {
            closes += 1;
            pendingCloses -= 1;
            agent.send({ action: 'close', chatId, requestId: `heat-close-${chatId}` });
          }, 500);
        }
      }
      if (frame.type === 'message' && frame.chatId && frame.message?.direction === 'in') {
        own.add(frame.chatId);
        const count = (perChat.get(frame.chatId) ?? 0) + 1;
        perChat.set(frame.chatId, count);
        if (count % 3 === 1) {
          replies += 1;
          const clientMessageId = `heat-r-${frame.chatId}-${count}`;
          own.add(clientMessageId);
          agent.send({ action: 'send', chatId: frame.chatId, text: `Obrigado! Спасибо 👍🏽 ${count}`, clientMessageId });
        }
      }
    };
  });

  const sqs = new SQSClient({ endpoint: ctx.sqsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const depth = async (url: string) => {
    const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  };

  await quiesce();
  heat.reset();
  heat.enabled = true;
  const started = performance.now();
  let retries = 0;
  let next = 0;
  const perConversation = (c: number) => Math.floor(heatMessages / heatConversations) + (c < heatMessages % heatConversations ? 1 : 0);
  const webhook = `${client.baseUrl}/webhooks/messenger/${bench.appId}`;
  const writer = async () => {
    for (;;) {
      const c = next++;
      if (c >= heatConversations) return;
      const psid = heatCustomer(c, run);
      own.add(psid);
      for (let seq = 0; seq < perConversation(c); seq++) {
        const mid = `m_heat_${run}_${c}_${seq}`;
        own.add(mid);
        const raw = JSON.stringify(customerMessage({ pageId: c % 2 === 0 ? bench.pageId : secondPage.id, psid, mid, text: `${phrases[(c + seq) % phrases.length]} (${seq})` }));
        // as Meta does, a delivery not answered 200 is delivered again
        for (let attempt = 1; ; attempt++) {
          const res = await fetch(webhook, { method: 'POST', headers: signedHeaders(raw), body: raw }).catch(() => undefined);
          await res?.text();
          if (res?.status === 200) break;
          // a loaded machine makes the webhook miss its deadline now and then; Meta retries for hours
          if (attempt >= 40) throw new Error(`a heat-run delivery answered ${res?.status ?? 'nothing'} forty times`);
          retries += 1;
          await sleep(Math.min(3_000, 200 * attempt));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: heatWriters }, writer));
  const written = performance.now();
  const drainUntil = Date.now() + 1_800_000;
  const busy = async () => (await depth(ctx.inboundUrl)) > 0 || (await depth(ctx.outboundUrl)) > 0 || pendingCloses > 0;
  while (Date.now() < drainUntil && (await busy())) await sleep(250);
  const undrained = await busy();
  await quiesce(1_500);
  heat.enabled = false;
  const wallMs = performance.now() - started;
  sqs.destroy();
  calls.splice(0);
  for (const agent of agents) agent.onFrame = undefined;

  console.log(`\n  Partition heat (run ${run + 1} of ${heatAgentCounts.length}, ${agentCount} agents): write units per partition key over a mixed run (units by AWS's rules)`);
  note(`${heatMessages} inbound messages in ${heatConversations} conversations across 2 Pages → 2 queues (${ctx.firstQueueId}, ${queue.id}); ${agentCount} agents, all in both queues`);
  note(`accepted ${accepts} offers, sent ${replies} replies, closed ${closes} chats; ${retries} deliveries retried after a non-200. ${heatWriters} conversations write at once.`);
  note(`wall time ${(wallMs / 1000).toFixed(1)} s (customers done after ${((written - started) / 1000).toFixed(1)} s, then the queues drained); ${heat.requests} write requests attributed.`);
  if (undrained) note('the queues were not empty after 30 minutes: the figures cover what was routed by then');
  note('Units of each item written (computed by AWS\'s rules from the item before and after, as in the cost cases) go to the partitions');
  note('it wrote: the item\'s key for the table, the GSI partition attribute before and after the write for an index (keys, GSIs and');
  note('projections from DescribeTable); an index key change is a delete where the item leaves and a put where it lands.');
  note('"conversation" marks a conversation\'s own keys (naming one chat, customer or message of the run); "shared" is every other key.');
  const isOwn = (key: string) => key.split(/[#|:/]/).some((part) => own.has(part));
  let worst: { key: string; index: string; share: number } | undefined;
  const rows: Array<Array<string | number>> = [];
  for (const entry of heat.entries()) {
    const where = entry.index === 'table' ? `table ${entry.table}` : `GSI ${entry.index}`;
    entry.keys.forEach((k, rank) => {
      const share = entry.total > 0 ? k.wcu / entry.total : 0;
      const kind = k.key === '(not attributed)' ? 'n/a' : isOwn(k.key) ? 'conversation' : 'shared';
      if (kind === 'shared' && (!worst || share > worst.share)) worst = { key: k.key, index: where, share };
      if (rank < 5) rows.push([rank === 0 ? where : '', rank === 0 ? round(entry.total, 0) : '', k.key.length > 64 ? `${k.key.slice(0, 61)}…` : k.key, kind, round(k.wcu, 1), `${(share * 100).toFixed(1)} %`]);
    });
    const shared = entry.keys.filter((k) => k.key !== '(not attributed)' && !isOwn(k.key));
    rows.push(['', '', `(${entry.keys.length} keys; ${shared.length} shared taking ${((shared.reduce((a, k) => a + k.wcu, 0) / Math.max(entry.total, 1e-9)) * 100).toFixed(1)} %)`, '', '', '']);
  }
  printTable(['table / index', 'total WCU', 'partition key (top 5)', 'kind', 'WCU', 'share'], rows);
  const worstShare = worst?.share ?? 0;
  note(
    `goal: apart from a conversation's own keys, no partition key takes more than ${goalSharedKeyShare * 100}% of the writes → worst shared key ` +
      `${worst ? `${worst.key} in ${worst.index} with ${(worstShare * 100).toFixed(1)} %` : 'none'}, ${verdict(worstShare <= goalSharedKeyShare)}`,
  );
}

/**
 * Whether the SQS emulator returns several messages of different message groups of a FIFO queue in one
 * receive, as AWS FIFO does (up to 10): a queue of its own, straight on the emulator, uncounted.
 */
async function fifoBatchCheck(sqsEndpoint: string): Promise<{ asked: number; sent: number; received: number }> {
  const { CreateQueueCommand, DeleteQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand } = await import('@aws-sdk/client-sqs');
  const sqs = new SQSClient({ endpoint: sqsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const asked = 10;
  try {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: `cost-batch-${Date.now().toString(36)}.fifo`, Attributes: { FifoQueue: 'true' } }),
    );
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: Array.from({ length: asked }, (_, n) => ({ Id: String(n), MessageBody: `conversation ${n} 😀`, MessageGroupId: `group-${n}`, MessageDeduplicationId: `d-${n}` })),
      }),
    );
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: asked, WaitTimeSeconds: 1 }));
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    return { asked, sent: asked, received: received.Messages?.length ?? 0 };
  } finally {
    sqs.destroy();
  }
}

function customer(n: number): string {
  return `74100000${String(n).padStart(6, '0')}`;
}

runIfMain(import.meta.url, main);
