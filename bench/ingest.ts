/**
 * Ingest: requests per second and latency of signed webhooks against the local runtime, at
 * concurrency 1, 10 and 50. Run alone with `node --import tsx bench/ingest.ts`.
 */
import { z } from 'zod';
import { startFakeGraph } from '../test/support/fake-graph';
import { startFakeTelegram } from '../test/support/fake-telegram';
import {
  adminCall,
  bench,
  heading,
  load,
  messengerText,
  ms,
  note,
  onCleanup,
  postMessenger,
  printTable,
  runIfMain,
  setUpMessenger,
  startRuntimeChild,
  summarize,
  verdict,
  type RuntimeChild,
} from './support';

const levels = [1, 10, 50] as const;
const requestsPerLevel = 400;
const warmup = 30;
/** Distinct customers the deliveries come from, so the router behind the webhook does realistic work. */
const customers = 40;
const goalP99AtFifty = 100;

export async function main(): Promise<void> {
  heading('ingest: signed webhooks → 200 against the local runtime (127.0.0.1)');
  const graph = await startFakeGraph({ pages: { [bench.pageId]: { name: 'Bench Page', token: bench.pageToken } } });
  onCleanup(() => graph.stop());
  const telegram = await startFakeTelegram({ bots: { [telegramBotToken]: { id: 7001, username: 'bench_bot', first_name: 'Bench' } } });
  onCleanup(() => telegram.stop());
  const runtime = await startRuntimeChild({ GRAPH_API_URL: graph.url, TELEGRAM_API_URL: telegram.url });
  try {
    const setup = await setUpMessenger(runtime, { siteUrl: 'https://bench.omnichat.example' });
    note(`${requestsPerLevel} requests per level after ${warmup} warm-up requests; each a text message from one of ${customers} customers.`);
    note('The router consumes the queue in the same runtime meanwhile, as it would in AWS.');

    let sequence = 0;
    const messenger = (i: number) => {
      const n = sequence++;
      return postMessenger(runtime.baseUrl, messengerText(`72100000000${String(n % customers).padStart(4, '0')}`, `m_bench_ingest_${n}_${i}`, `bench message ${n}`));
    };
    const rows = await measure(messenger);
    console.log('\n  Messenger  POST /webhooks/messenger/{appId}  (X-Hub-Signature-256 checked, 200 EVENT_RECEIVED)');
    printTable(['concurrency', 'requests', 'errors', 'req/s', 'p50', 'p90', 'p99', 'max'], rows.map((r) => r.row));
    const atFifty = rows.find((r) => r.concurrency === 50)?.p99 ?? Number.NaN;
    note(`goal: p99 ≤ ${goalP99AtFifty} ms at concurrency 50 → ${ms(atFifty)}, ${verdict(atFifty <= goalP99AtFifty)}`);

    await telegramIngest(runtime, setup.admin, telegram.webhooks);
  } finally {
    await runtime.stop();
  }
}

const telegramBotToken = '7001:AAbench-telegram-token';

async function measure(task: (i: number) => Promise<void>) {
  const warm = await load(warmup, 5, task);
  if (warm.failures.length > 0) throw new Error(`warm-up failed: ${warm.failures[0]}`);
  const rows = [];
  for (const concurrency of levels) {
    const run = await load(requestsPerLevel, concurrency, task);
    const s = summarize(run.latencies);
    rows.push({
      concurrency,
      p99: s.p99,
      row: [concurrency, requestsPerLevel, run.failures.length, (run.latencies.length / (run.wallMs / 1000)).toFixed(0), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)],
    });
    if (run.failures.length > 0) note(`concurrency ${concurrency}: first error: ${run.failures[0]}`);
  }
  return rows;
}

const channelCreated = z.object({ id: z.string() });

/** Telegram ingest, when the route and the channel type are there. */
async function telegramIngest(runtime: RuntimeChild, admin: string, webhooks: Map<string, { secretToken?: string }>): Promise<void> {
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
