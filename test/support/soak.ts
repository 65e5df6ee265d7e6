/**
 * The faulted soak, shared by `npm run soak` (bench/soak.ts, prints figures) and the bounded jest
 * run (test/e2e/soak.test.ts, asserts the zeros).
 *
 * DynamoDB and SQS live outside the runtime, behind fault-injecting proxies (fault-proxy.ts);
 * the runtime (`npm start`) runs as a child pointed at the proxies, with its secrets, keys and
 * pending timers in a temporary directory, and is killed with SIGKILL and restarted mid-load.
 * Customers write from Messenger and Telegram conversations, one message after another per
 * conversation (as the platforms deliver), retrying until they get 200; a share of the deliveries
 * is repeated after the 200, as platform retries. Agents accept, reply and close over WebSockets
 * and reconnect after each kill. At the end everything stored is read from the table directly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand, type AttributeValue, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import WebSocket from 'ws';
import { signMetaBody } from '../../functions/domain/signature';
import { freePort } from '../../local/ports';
import { queues } from '../../functions/shared/resources';
import { startFakeGraph } from './fake-graph';
import { startFakeTelegram } from './fake-telegram';
import { startFaultProxy, type FaultKind } from './fault-proxy';

export interface SoakOptions {
  projectRoot: string;
  dynamodbEndpoint: string;
  sqsEndpoint: string;
  messages: number;
  conversations: number;
  /** Share of messages delivered again after their 200 (platform retries). Default 0.3. */
  duplicateShare?: number;
  /** Share of DynamoDB and SQS calls that fail. Default 0.05. */
  faultRate?: number;
  /** SIGKILLs of the runtime during the load. */
  kills: number;
  agents?: number;
  /** Conversations writing at once. Default 24. */
  concurrency?: number;
  log?: (line: string) => void;
  /** Appends the runtime's output here (each start and kill is marked). */
  runtimeLogFile?: string;
}

export interface SoakFigures {
  sent: number;
  deliveries: number;
  acknowledged: number;
  refused: number;
  stored: number;
  duplicates: number;
  lost: number;
  outOfOrder: number;
  /** Customer messages agents saw arrive over their sockets (the order is measured on these). */
  seenByAgents: number;
  inDlq: number;
  /** Messages still in the inbound queue when the drain gave up (300 s): counted in `lost` too. */
  stillQueued: number;
  kills: number;
  agentReplies: number;
  agentCloses: number;
  faults: Record<'dynamodb' | 'sqs', Record<FaultKind, number> & { requests: number }>;
  wallMs: number;
  /** Up to 10 examples of what was lost, duplicated or out of order. */
  examples: string[];
}

const region = 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const appId = '626262626262626';
const appSecret = 'soak-app-secret-0123456789abcdef';
const pageId = '105626262626262';
const pageToken = 'EAAG-soak-page-token';
const botToken = '7200000001:AAHsoakBotTokenValue_0123456789abc';

/** What customers write: every script, emoji, long texts. */
const phrases = [
  'Hello, my order has not arrived 😀',
  'Olá, preciso de ajuda 🇵🇹',
  'Здравствуйте, где мой заказ? 👍🏽',
  'مرحبا، أحتاج إلى مساعدة',
  'שלום, ההזמנה שלי לא הגיעה',
  '你好，我的包裹在哪里？',
  'こんにちは、注文について 🙏',
  '안녕하세요 주문 문의드립니다',
  'नमस्ते, मुझे मदद चाहिए',
  'สวัสดีครับ ต้องการความช่วยเหลือ',
  'Γειά σας, χρειάζομαι βοήθεια',
  '𝕳𝖊𝖑𝖑𝖔 👨‍👩‍👧 family plan?',
  `${'Long story: '.padEnd(1_500, 'ä€😀 ')}end`,
];

interface Conversation {
  index: number;
  platform: 'messenger' | 'telegram';
  customerId: string;
}

const marker = /⟦(\d+):(\d+)⟧/;

export async function runSoak(options: SoakOptions): Promise<SoakFigures> {
  const log = options.log ?? (() => undefined);
  const started = Date.now();
  const duplicateShare = options.duplicateShare ?? 0.3;
  const examples: string[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'omnichat-soak-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const ddbProxy = await startFaultProxy({ target: options.dynamodbEndpoint, service: 'dynamodb', hangMs: 8_000 });
  const sqsProxy = await startFaultProxy({ target: options.sqsEndpoint, service: 'sqs', hangMs: 8_000 });
  cleanups.push(() => ddbProxy.stop(), () => sqsProxy.stop());
  const graph = await startFakeGraph({ pages: { [pageId]: { name: 'Acme Soak', token: pageToken } } });
  const telegram = await startFakeTelegram({ bots: { [botToken]: { id: 7200000001, username: 'acme_soak_bot', first_name: 'Acme' } } });
  cleanups.push(() => graph.stop(), () => telegram.stop());
  const prefix = `s${randomBytes(4).toString('hex')}-`;
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;

  // ---- the runtime child, killed and restarted
  let child: ChildProcess | undefined;
  let output = '';
  const startRuntime = async (): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const spawned = spawn(join(options.projectRoot, 'node_modules', '.bin', 'node'), ['--disable-warning=ExperimentalWarning', '--import', 'tsx', 'bin/local.ts'], {
        cwd: options.projectRoot,
        env: {
          ...process.env,
          PORT: String(port),
          OMNICHAT_IN_MEMORY: '0',
          OMNICHAT_DATA_DIR: dataDir,
          OMNICHAT_RESOURCE_PREFIX: prefix,
          OMNICHAT_DYNAMODB_ENDPOINT: ddbProxy.url,
          OMNICHAT_SQS_ENDPOINT: sqsProxy.url,
          OMNICHAT_RETRY_DELAY_SECONDS: '1',
          GRAPH_API_URL: graph.url,
          TELEGRAM_API_URL: telegram.url,
          POWERTOOLS_LOG_LEVEL: 'ERROR',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = spawned;
      output = '';
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-20_000);
        if (options.runtimeLogFile) appendFileSync(options.runtimeLogFile, chunk);
      };
      spawned.stdout?.on('data', keep);
      spawned.stderr?.on('data', keep);
      const ready = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 60_000);
        spawned.stdout?.on('data', () => {
          if (output.includes('ready at')) {
            clearTimeout(timer);
            resolve(true);
          }
        });
        spawned.once('exit', () => {
          clearTimeout(timer);
          resolve(false);
        });
      });
      if (ready) return;
      spawned.kill('SIGKILL');
      if (attempt >= 5) throw new Error(`The runtime did not start:\n${output}`);
      log(`runtime start ${attempt} failed; again`);
    }
  };
  const killRuntime = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill('SIGKILL');
    await exited;
  };
  cleanups.push(killRuntime);

  const api = async (method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: unknown }> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...(token && { authorization: `Bearer ${token}` }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) as unknown };
    } catch {
      return { status: res.status, body: text };
    }
  };
  /** Admin calls retried through faults (a 5xx is retried; the expected status ends it). */
  const must = async (method: string, path: string, body: unknown, token: string, ok: number[]): Promise<{ id: string }> => {
    for (let attempt = 1; ; attempt++) {
      const res = await api(method, path, body, token).catch((error: unknown) => ({ status: 0, body: String(error) }));
      if (ok.includes(res.status)) return res.body as { id: string };
      if (attempt > 10 || (res.status >= 400 && res.status < 500 && res.status !== 429)) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
      await sleep(300 * attempt);
    }
  };
  const token = async (sub: string, groups: string[]): Promise<string> => ((await api('POST', '/dev/token', { sub, groups, name: sub })).body as { token: string }).token;

  try {
    await startRuntime();
    const admin = await token('soak-admin', ['chat-admins']);
    await must('PATCH', '/api/settings', { siteUrl: 'https://chat.example.com', acceptTimeoutSeconds: 10 }, admin, [200]);
    await must('POST', '/api/messenger-apps', { appId, appSecret }, admin, [201]);
    const queue = await must('POST', '/api/queues', { name: 'Soak', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: [], groups: ['agents'] } }, admin, [201]);
    const page = await must('POST', '/api/channels', { type: 'messenger', appId, pageId, pageAccessToken: pageToken }, admin, [201]);
    await must('PATCH', `/api/channels/${page.id}`, { queueId: queue.id, active: true }, admin, [200]);
    const bot = await must('POST', '/api/channels', { type: 'telegram', botToken }, admin, [201]);
    await must('PATCH', `/api/channels/${bot.id}`, { queueId: queue.id, active: true }, admin, [200]);
    const secretToken = telegram.webhooks.get(botToken)?.secretToken ?? '';

    // ---- agents: accept every offer, reply to some messages, close some chats; reconnect after a kill
    const seen = new Map<number, number[]>();
    let agentReplies = 0;
    let agentCloses = 0;
    let stopAgents = false;
    const agentIds = Array.from({ length: options.agents ?? 3 }, (_, i) => `soak-agent-${i}`);
    for (const id of agentIds) await must('PUT', `/api/agents/${id}`, { displayName: id, groups: ['agents'], simultaneousChats: 100 }, admin, [200, 201]);
    const agentLoops = agentIds.map(async (id) => {
      const agentToken = await token(id, ['agents']);
      let cursor: number | undefined;
      const perChat = new Map<string, number>();
      while (!stopAgents) {
        const socket = new WebSocket(`${baseUrl.replace('http', 'ws')}/ws?token=${encodeURIComponent(agentToken)}`);
        const closed = new Promise<void>((resolve) => {
          socket.once('close', () => resolve());
          socket.once('error', () => resolve());
        });
        const send = (frame: unknown) => socket.readyState === WebSocket.OPEN && socket.send(JSON.stringify(frame));
        socket.on('open', () => {
          send({ action: 'setStatus', status: 'active' });
          send({ action: 'sync', ...(cursor !== undefined && { since: cursor }) });
        });
        let assigned = 0;
        const onMessage = (chatId: string, message: { direction?: string; text?: string }) => {
          if (message.direction !== 'in' || !message.text) return;
          const found = marker.exec(message.text);
          if (!found) return;
          const list = seen.get(Number(found[1])) ?? [];
          list.push(Number(found[2]));
          seen.set(Number(found[1]), list);
          const count = (perChat.get(chatId) ?? 0) + 1;
          perChat.set(chatId, count);
          if (count % 3 === 1) {
            agentReplies += 1;
            send({ action: 'send', chatId, text: `Reply ✅ ${found[0]} 👍🏽`, clientMessageId: `r-${chatId}-${count}` });
          }
        };
        socket.on('message', (data) => {
          let frame: Record<string, unknown>;
          try {
            frame = JSON.parse(data.toString()) as Record<string, unknown>;
          } catch {
            return;
          }
          if (typeof frame.cursor === 'number') cursor = Math.max(cursor ?? 0, frame.cursor);
          const chat = frame.chat as { id?: string } | undefined;
          if (frame.type === 'chatOffered' && chat?.id) send({ action: 'accept', chatId: chat.id });
          // every second chat an agent takes is closed a moment later: what its customer writes next opens a new one
          if (frame.type === 'chatAssigned' && chat?.id && ++assigned % 2 === 0) {
            const chatId = chat.id;
            setTimeout(() => {
              agentCloses += 1;
              send({ action: 'close', chatId });
            }, 500);
          }
          if (frame.type === 'message' && typeof frame.chatId === 'string') onMessage(frame.chatId, frame.message as { direction?: string; text?: string });
          if (frame.type === 'snapshot') {
            for (const offered of (frame.offers as { chat?: { id?: string }; id?: string }[] | undefined) ?? []) {
              const offeredId = offered.chat?.id ?? offered.id;
              if (offeredId) send({ action: 'accept', chatId: offeredId });
            }
          }
        });
        await closed;
        if (!stopAgents) await sleep(300);
      }
    });

    // ---- customers
    const conversations: Conversation[] = Array.from({ length: options.conversations }, (_, index) => ({
      index,
      platform: index % 2 === 0 ? 'messenger' : 'telegram',
      customerId: index % 2 === 0 ? String(7_100_000_000 + index) : String(810_000 + index),
    }));
    const perConversation = conversations.map((c) => Math.floor(options.messages / options.conversations) + (c.index < options.messages % options.conversations ? 1 : 0));
    let sent = 0;
    let deliveries = 0;
    let acknowledged = 0;
    let refused = 0;
    let updateId = 1;
    const bodyOf = (c: Conversation, seq: number): { path: string; headers: Record<string, string>; body: string } => {
      const text = `${phrases[(c.index + seq) % phrases.length]} ⟦${c.index}:${seq}⟧`;
      const now = Date.now();
      if (c.platform === 'messenger') {
        const body = JSON.stringify({
          object: 'page',
          entry: [{ id: pageId, time: now, messaging: [{ sender: { id: c.customerId }, recipient: { id: pageId }, timestamp: now, message: { mid: `m_soak_${c.index}_${seq}`, text } }] }],
        });
        return { path: `/webhooks/messenger/${appId}`, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(body, appSecret) }, body };
      }
      const chat = Number(c.customerId);
      const body = JSON.stringify({
        update_id: c.index * 1_000_000 + seq,
        message: { message_id: seq + 1, from: { id: chat, is_bot: false, first_name: 'Zoë' }, chat: { id: chat, type: 'private', first_name: 'Zoë' }, date: Math.floor(now / 1000), text },
      });
      updateId += 1;
      return { path: `/webhooks/telegram/${bot.id}`, headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secretToken }, body };
    };
    /** Delivers until 200, as the platforms retry; the exact same bytes each time. */
    const deliver = async (request: { path: string; headers: Record<string, string>; body: string }) => {
      for (let attempt = 1; ; attempt++) {
        deliveries += 1;
        try {
          const res = await fetch(`${baseUrl}${request.path}`, { method: 'POST', headers: request.headers, body: request.body, signal: AbortSignal.timeout(10_000) });
          await res.text();
          if (res.status === 200) return;
          if (res.status < 500) {
            refused += 1;
            return;
          }
        } catch {
          // runtime down or no answer: the platform retries later
        }
        await sleep(Math.min(2_000, 100 * attempt));
      }
    };

    ddbProxy.faultRate = options.faultRate ?? 0.05;
    sqsProxy.faultRate = options.faultRate ?? 0.05;
    const killPoints = Array.from({ length: options.kills }, (_, k) => Math.floor(((k + 1) * options.messages) / (options.kills + 1)));
    let kills = 0;
    let killing: Promise<void> | undefined;
    const next = { conversation: 0 };
    const writer = async () => {
      for (;;) {
        const c = conversations[next.conversation++];
        if (!c) return;
        for (let seq = 0; seq < (perConversation[c.index] ?? 0); seq++) {
          const request = bodyOf(c, seq);
          sent += 1;
          if (sent % Math.max(1, Math.floor(options.messages / 10)) === 0) log(`${sent} sent, ${deliveries} deliveries, ${refused} refused, ${((Date.now() - started) / 1000).toFixed(1)} s`);
          await deliver(request);
          acknowledged += 1;
          if (Math.random() < duplicateShare) {
            const copies = Math.random() < 0.3 ? 2 : 1;
            for (let i = 0; i < copies; i++) await deliver(request);
          }
          if (killPoints[kills] !== undefined && sent >= killPoints[kills]! && !killing) {
            kills += 1;
            log(`kill -9 the runtime after ${sent} messages`);
            killing = (async () => {
              await killRuntime();
              await sleep(500);
              await startRuntime();
              killing = undefined;
            })();
          }
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 24, conversations.length) }, writer));
    await killing;
    // the faults go on while the router works through what is queued; the figures below are read around the proxies
    log(`all ${sent} messages acknowledged after ${Date.now() - started} ms; draining`);

    // ---- drain: the inbound queue empties (in-flight messages of a killed runtime come back after the visibility timeout)
    const sqs = new SQSClient({ endpoint: options.sqsEndpoint, region, credentials });
    const ddb = new DynamoDBClient({ endpoint: options.dynamodbEndpoint, region, credentials });
    cleanups.push(() => {
      sqs.destroy();
      ddb.destroy();
    });
    const queueUrl = async (name: string) => (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl ?? '';
    const inbound = await queueUrl(`${prefix}${queues.inbound.name}`);
    const inboundDlq = await queueUrl(`${prefix}${queues.inbound.dlqName}`);
    const depth = async (url: string) => {
      const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    };
    const drainUntil = Date.now() + 300_000;
    for (let left = await depth(inbound); left > 0 && Date.now() < drainUntil; left = await depth(inbound)) {
      log(`${left} message(s) still queued`);
      await sleep(2_000);
    }
    await sleep(1_000);
    ddbProxy.faultRate = 0;
    sqsProxy.faultRate = 0;
    stopAgents = true;

    // ---- what is stored, read from the table itself
    const storedSeqs = new Map<number, number[]>();
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page: ScanCommandOutput = await ddb.send(
        new ScanCommand({ TableName: `${prefix}omnichat`, ExclusiveStartKey: startKey, FilterExpression: 'begins_with(sk, :m) AND direction = :in', ExpressionAttributeValues: { ':m': { S: 'MSG#' }, ':in': { S: 'in' } } }),
      );
      for (const item of page.Items ?? []) {
        const found = marker.exec(item.text?.S ?? '');
        if (!found) continue;
        const list = storedSeqs.get(Number(found[1])) ?? [];
        list.push(Number(found[2]));
        storedSeqs.set(Number(found[1]), list);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);

    let stored = 0;
    let duplicates = 0;
    let lost = 0;
    let outOfOrder = 0;
    let seenByAgents = 0;
    for (const c of conversations) {
      const list = storedSeqs.get(c.index) ?? [];
      const unique = new Set(list);
      stored += unique.size;
      duplicates += list.length - unique.size;
      if (list.length > unique.size && examples.length < 10) examples.push(`conversation ${c.index}: stored ${list.length - unique.size} duplicate(s)`);
      for (let seq = 0; seq < (perConversation[c.index] ?? 0); seq++) {
        if (unique.has(seq)) continue;
        lost += 1;
        if (examples.length < 10) examples.push(`conversation ${c.index} (${c.platform}): message ${seq} lost`);
      }
      // order as agents saw the messages arrive, first sight of each
      let highest = -1;
      const firstSight = new Set<number>();
      for (const seq of seen.get(c.index) ?? []) {
        if (firstSight.has(seq)) continue;
        firstSight.add(seq);
        seenByAgents += 1;
        if (seq < highest) {
          outOfOrder += 1;
          if (examples.length < 10) examples.push(`conversation ${c.index}: message ${seq} reached the agent after ${highest}`);
        }
        highest = Math.max(highest, seq);
      }
    }
    const inDlq = await depth(inboundDlq);
    const stillQueued = await depth(inbound);
    await Promise.race([Promise.all(agentLoops), sleep(100)]);
    const faultsOf = (p: typeof ddbProxy) => ({ requests: p.counts.requests, ...p.counts.faults });
    return {
      sent,
      deliveries,
      acknowledged,
      refused,
      stored,
      duplicates,
      lost,
      outOfOrder,
      seenByAgents,
      inDlq,
      stillQueued,
      kills,
      agentReplies,
      agentCloses,
      faults: { dynamodb: faultsOf(ddbProxy), sqs: faultsOf(sqsProxy) },
      wallMs: Date.now() - started,
      examples,
    };
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)}\nRuntime output:\n${output.slice(-4_000)}`, { cause: error });
  } finally {
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  }
}
