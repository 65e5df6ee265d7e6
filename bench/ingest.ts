/**
 * Ingest: requests per second and latency of signed webhooks at concurrency 1, 10 and 50, with the
 * router and the other queue consumers in a process of their own (as Lambdas are apart in AWS), and
 * beside it a bare floor: a plain node:http server that checks X-Hub-Signature-256 and does one
 * SendMessage to the same inbound FIFO queue of the same SQS emulator. Four processes: this one
 * (load and the SQS emulator), the API (bench/ingest-processes.ts api: the local runtime with no
 * pollers), the consumers and the floor. Run alone with `node --import tsx bench/ingest.ts`.
 */
import { randomBytes } from 'node:crypto';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { signMetaBody } from '../functions/domain/signature';
import { startFakeGraph } from '../test/support/fake-graph';
import { startFakeTelegram } from '../test/support/fake-telegram';
import { customerText, messengerText } from '../test/support/webhooks';
import {
  adminCall,
  bench,
  benchProcessReady as readyLine,
  clientFor,
  emulators,
  heading,
  load,
  ms,
  note,
  onCleanup,
  printTable,
  runIfMain,
  setUpMessenger,
  sleep,
  startChild,
  summarize,
  verdict,
  type RuntimeClient,
} from './support';

const levels = [1, 10, 50] as const;
/** Requests per level and target, sent in rounds that alternate the targets, and pooled. */
const rounds = 5;
const requestsPerRound = 400;
const requestsPerLevel = rounds * requestsPerRound;
const warmup = 30;
/** Distinct customers the deliveries come from, so the router behind the webhook does realistic work. */
const customers = 40;
const goalP99AtFifty = 100;
const goalFloorRatio = 1.5;

/** What customers write: every script, emoji (skin tones, flags, ZWJ families, astral letters), a long text. */
const texts = [
  customerText,
  'Здравствуйте, где мой заказ? 👍🏽',
  'مرحبا، أحتاج إلى مساعدة 🇵🇹',
  '你好，我的包裹在哪里？ 😀',
  'नमस्ते, मुझे मदद चाहिए 👨‍👩‍👧',
  '𝕳𝖊𝖑𝖑𝖔 — שלום, ההזמנה שלי לא הגיעה',
  `${'Long story: '.padEnd(1_500, 'ä€😀 ')}end`,
];

interface Target {
  name: string;
  url: string;
  /** The consumers are paused (SIGSTOP) during the run and resumed after it. */
  pauseConsumers: boolean;
}

interface Row {
  target: string;
  concurrency: number;
  errors: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** The longest the consumers took to empty the inbound queue after one of this target's rounds. */
  drainMs: number;
  /** The p99 of each round alone, to show how much one round of 400 requests varies. */
  roundP99: number[];
}

const handlerEnvLine = /handler env (\{.*\})\n/;

export async function main(): Promise<void> {
  heading('ingest: signed webhooks → 200, router in another process, against a bare floor (127.0.0.1)');
  const { dynamodbEndpoint, sqsEndpoint } = await emulators();
  const graph = await startFakeGraph({ pages: { [bench.pageId]: { name: 'Bench Page', token: bench.pageToken } } });
  onCleanup(() => graph.stop());
  const telegram = await startFakeTelegram({ bots: { [telegramBotToken]: { id: 7001, username: 'bench_bot', first_name: 'Bench' } } });
  onCleanup(() => telegram.stop());
  const shared = {
    OMNICHAT_BENCH_PREFIX: `i${randomBytes(4).toString('hex')}-`,
    OMNICHAT_BENCH_DYNAMODB_ENDPOINT: dynamodbEndpoint,
    OMNICHAT_BENCH_SQS_ENDPOINT: sqsEndpoint,
    GRAPH_API_URL: graph.url,
    TELEGRAM_API_URL: telegram.url,
    // the handlers' INFO logs and embedded-metric lines would only load the processes
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
  };
  const script = 'bench/ingest-processes.ts';
  const apiProcess = await startChild([script, 'api'], shared, new RegExp(`${readyLine} at (http://[\\w.:]+)`));
  const handlerEnv = z.record(z.string(), z.string()).parse(JSON.parse(handlerEnvLine.exec(apiProcess.output())?.[1] ?? '{}'));
  const inboundUrl = handlerEnv.INBOUND_QUEUE_URL ?? '';
  const inboundDlqUrl = handlerEnv.INBOUND_DLQ_URL ?? '';
  const consumers = await startChild([script, 'consumers'], { ...shared, OMNICHAT_BENCH_HANDLER_ENV: JSON.stringify(handlerEnv) }, new RegExp(readyLine));
  const floorProcess = await startChild(
    [script, 'floor'],
    { ...shared, OMNICHAT_BENCH_APP_SECRET: bench.appSecret, OMNICHAT_BENCH_QUEUE_URL: inboundUrl },
    new RegExp(`${readyLine} at (http://[\\w.:]+)`),
  );
  const runtime = clientFor(apiProcess.ready[1] ?? '');
  const sqs = new SQSClient({ endpoint: sqsEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  onCleanup(async () => sqs.destroy());
  const depth = async (url: string) => {
    const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  };
  /** Waits until the consumers have emptied the inbound queue; the milliseconds it took. */
  const drain = async () => {
    const started = performance.now();
    const deadline = Date.now() + 180_000;
    while ((await depth(inboundUrl)) > 0 && Date.now() < deadline) await sleep(100);
    return performance.now() - started;
  };

  const setup = await setUpMessenger(runtime, { siteUrl: 'https://bench.omnichat.example' });
  const webhookUrl = `${runtime.baseUrl}/webhooks/messenger/${bench.appId}`;
  const targets: Target[] = [
    { name: 'webhook', url: webhookUrl, pauseConsumers: true },
    { name: 'floor', url: floorProcess.ready[1] ?? '', pauseConsumers: true },
    { name: 'webhook, router routing meanwhile', url: webhookUrl, pauseConsumers: false },
  ];
  let sequence = 0;
  /** A signed Messenger delivery from one of the customers, as Meta sends it; the same bytes go to either target. */
  const post = async (url: string) => {
    const n = sequence++;
    const raw = JSON.stringify(
      messengerText({ pageId: bench.pageId, psid: `72100000000${String(n % customers).padStart(4, '0')}`, mid: `m_bench_ingest_${n}`, text: `${texts[n % texts.length]} #${n}` }),
    );
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(raw, bench.appSecret) }, body: raw });
    const answer = await res.text();
    if (res.status !== 200 || answer !== 'EVENT_RECEIVED') throw new Error(`answered ${res.status} ${answer.slice(0, 200)}`);
  };

  note(`${requestsPerLevel} requests per level and target (${rounds} rounds of ${requestsPerRound}, the targets taking turns, pooled) after ${warmup}`);
  note(`warm-up requests each; text messages (every script, emoji, one 1.5 KB text) from ${customers} customers.`);
  note(`Processes: this one (load, SQS emulator), the API (local runtime, no pollers), the`);
  note('consumers (router, sender, timer over their event source mappings) and the floor; DynamoDB Local is its own JVM.');
  note('The queue is empty before each run. In AWS the router has CPUs of its own; on this machine it would take them from the');
  note('webhook, so the consumers process is paused (SIGSTOP) during the webhook and floor runs and works off the queue after each;');
  note('the last row has the router routing meanwhile on the same cores. The consumers acknowledge the floor\'s messages unrouted.');
  for (const target of targets) {
    const warm = await load(warmup, 5, () => post(target.url));
    if (warm.failures.length > 0) throw new Error(`${target.name} warm-up failed: ${warm.failures[0]}`);
  }
  const rows: Row[] = [];
  for (const concurrency of levels) {
    const pooled = targets.map(() => ({ latencies: [] as number[], failures: [] as string[], wallMs: 0, drainMs: 0, roundP99: [] as number[] }));
    for (let round = 0; round < rounds; round++) {
      // Each round runs every target once, starting from a different one, so a slow stretch of the
      // machine (DynamoDB Local's collector, another process) falls on both sides alike.
      for (let k = 0; k < targets.length; k++) {
        const index = (k + round) % targets.length;
        const target = targets[index];
        const into = pooled[index];
        if (!target || !into) continue;
        await drain();
        if (target.pauseConsumers) consumers.signal('SIGSTOP');
        let run: Awaited<ReturnType<typeof load>>;
        try {
          run = await load(requestsPerRound, concurrency, () => post(target.url));
        } finally {
          if (target.pauseConsumers) consumers.signal('SIGCONT');
        }
        into.drainMs = Math.max(into.drainMs, await drain());
        into.latencies.push(...run.latencies);
        into.failures.push(...run.failures);
        into.wallMs += run.wallMs;
        into.roundP99.push(summarize(run.latencies).p99);
      }
    }
    targets.forEach((target, index) => {
      const into = pooled[index];
      if (!into) return;
      const s = summarize(into.latencies);
      rows.push({
        target: target.name,
        concurrency,
        errors: into.failures.length,
        rps: into.latencies.length / (into.wallMs / 1000),
        p50: s.p50,
        p90: s.p90,
        p99: s.p99,
        max: s.max,
        drainMs: into.drainMs,
        roundP99: into.roundP99,
      });
      if (into.failures.length > 0) note(`${target.name} at concurrency ${concurrency}: first error: ${into.failures[0]}`);
    });
  }
  console.log('\n  POST /webhooks/messenger/{appId} (X-Hub-Signature-256 checked, 200 EVENT_RECEIVED) against the floor');
  printTable(
    ['target', 'concurrency', 'requests', 'errors', 'req/s', 'p50', 'p90', 'p99', 'max', 'queue drained after'],
    rows.map((r) => [r.target, r.concurrency, requestsPerLevel, r.errors, r.rps.toFixed(0), ms(r.p50), ms(r.p90), ms(r.p99), ms(r.max), ms(r.drainMs)]),
  );
  const at = (target: string) => rows.find((r) => r.target === target && r.concurrency === 50);
  const webhook50 = at('webhook');
  const floor50 = at('floor');
  const ratio = (pick: (r: Row) => number) => (webhook50 && floor50 ? pick(webhook50) / pick(floor50) : Number.NaN);
  note(`at concurrency 50: webhook / floor  p50 ${ratio((r) => r.p50).toFixed(2)}×, p90 ${ratio((r) => r.p90).toFixed(2)}×, p99 ${ratio((r) => r.p99).toFixed(2)}×, max ${ratio((r) => r.max).toFixed(2)}×; throughput ${(1 / ratio((r) => r.rps)).toFixed(2)}× the floor's time per request`);
  const spread = (r?: Row) => (r ? r.roundP99.map((v) => v.toFixed(0)).join(', ') : 'n/a');
  note(`p99 of each round of ${requestsPerRound} at concurrency 50, in ms: webhook ${spread(webhook50)}; floor ${spread(floor50)}`);
  note(`goal: webhook p99 ≤ ${goalFloorRatio}× the floor's p99 at concurrency 50 → ${ratio((r) => r.p99).toFixed(2)}× (${ms(webhook50?.p99 ?? Number.NaN)} / ${ms(floor50?.p99 ?? Number.NaN)}), ${verdict(ratio((r) => r.p99) <= goalFloorRatio)}`);
  note(`goal: webhook p99 ≤ ${goalP99AtFifty} ms at concurrency 50 → ${ms(webhook50?.p99 ?? Number.NaN)}, ${verdict((webhook50?.p99 ?? Number.NaN) <= goalP99AtFifty)}`);
  const busy = at('webhook, router routing meanwhile');
  note(`with the router routing meanwhile on the same cores: p99 ${ms(busy?.p99 ?? Number.NaN)}, ${busy && floor50 ? (busy.p99 / floor50.p99).toFixed(2) : 'n/a'}× the floor's p99`);
  const routed = rows.filter((r) => r.target !== 'floor');
  note(`router (consumers process): ${routed.length * requestsPerLevel} measured webhook messages consumed, the inbound queue emptied within ${ms(Math.max(...routed.map((r) => r.drainMs)))} after a run;`);
  note(`the inbound DLQ holds ${await depth(inboundDlqUrl)} message(s).`);

  await telegramIngest(runtime, setup.admin, telegram.webhooks);
  await floorProcess.stop();
  await consumers.stop();
  await apiProcess.stop();
  const routerErrors = consumers.output().split('\n').filter((line) => /"level":"(ERROR|CRITICAL)"|failed|threw/i.test(line));
  if (routerErrors.length > 0) note(`consumers logged ${routerErrors.length} error line(s); first: ${routerErrors[0]?.slice(0, 300)}`);
}

const telegramBotToken = '7001:AAbench-telegram-token';

async function measure(task: (i: number) => Promise<void>) {
  const warm = await load(warmup, 5, task);
  if (warm.failures.length > 0) throw new Error(`warm-up failed: ${warm.failures[0]}`);
  const rows = [];
  for (const concurrency of levels) {
    const run = await load(requestsPerRound, concurrency, task);
    const s = summarize(run.latencies);
    rows.push({
      concurrency,
      p99: s.p99,
      row: [concurrency, requestsPerRound, run.failures.length, (run.latencies.length / (run.wallMs / 1000)).toFixed(0), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)],
    });
    if (run.failures.length > 0) note(`concurrency ${concurrency}: first error: ${run.failures[0]}`);
  }
  return rows;
}

const channelCreated = z.object({ id: z.string() });

/** Telegram ingest, when the route and the channel type are there. */
async function telegramIngest(runtime: RuntimeClient, admin: string, webhooks: Map<string, { secretToken?: string }>): Promise<void> {
  console.log('\n  Telegram  POST /webhooks/telegram/{channelId}  (X-Telegram-Bot-Api-Secret-Token checked)');
  let channelId: string;
  try {
    channelId = channelCreated.parse(await adminCall(runtime, admin, 'POST', '/api/channels', { type: 'telegram', botToken: telegramBotToken }, [201])).id;
  } catch (error) {
    note(`not available: a Telegram channel cannot be created (${error instanceof Error ? error.message : String(error)})`);
    return;
  }
  const secret = webhooks.get(telegramBotToken)?.secretToken;
  if (!secret) {
    note('not available: the channel registered no webhook secret with the Bot API');
    return;
  }
  let sequence = 0;
  const post = async () => {
    const n = sequence++;
    const userId = 48200000 + (n % customers);
    const update = {
      update_id: 900000000 + n,
      message: {
        message_id: 10_000 + n,
        from: { id: userId, is_bot: false, first_name: 'Bench', language_code: 'en' },
        chat: { id: userId, first_name: 'Bench', type: 'private' },
        date: Math.floor(Date.now() / 1000),
        text: `bench message ${n}`,
      },
    };
    const res = await fetch(`${runtime.baseUrl}/webhooks/telegram/${channelId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secret },
      body: JSON.stringify(update),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`webhook answered ${res.status} ${text.slice(0, 200)}`);
  };
  try {
    await post();
  } catch (error) {
    note(`not available: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  // A handler that answers 200 without checking the secret is not the product's ingest yet.
  const forged = await fetch(`${runtime.baseUrl}/webhooks/telegram/${channelId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'not-the-secret' },
    body: '{"update_id":1}',
  });
  await forged.body?.cancel();
  if (forged.status !== 401) {
    note(`not available: a wrong secret token is answered ${forged.status}, not 401, so the handler is not the real one yet`);
    return;
  }
  const rows = await measure(post);
  printTable(['concurrency', 'requests', 'errors', 'req/s', 'p50', 'p90', 'p99', 'max'], rows.map((r) => r.row));
}

runIfMain(import.meta.url, main);
