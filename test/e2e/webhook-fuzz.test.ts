import fc from 'fast-check';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram';
import { eventually, startLocalRuntime, type LocalRuntime } from '../support/runtime';
import { customerText, postMessenger, postTelegram } from '../support/webhooks';

/**
 * Fuzzing the public webhooks through the local runtime (signed, so the parser is what is tried):
 * whatever the body, never a 5xx; a 4xx keeps nothing; a 200 keeps exactly the events sent, once,
 * however often the platform delivers them again. Bodies are well-formed deliveries with every
 * kind of text, a defect injected into some, and arbitrary JSON.
 */
const appId = '444555666777321';
const appSecret = 'fuzz-test-app-secret-0123456789abc';
const pageId = '105123456789321';
const pageToken = 'EAAG-page-token-fuzz-tests';
const botToken = '7000000009:AAHfuzzTestsBotToken_0123456789xyz';
const runs = Number(process.env.OMNICHAT_FUZZ_RUNS ?? 40);

/** What SQS cannot carry is replaced, as the webhooks do: noncharacters U+FFFE/U+FFFF and lone surrogates. */
const kept = (text: string) => text.replace(/[\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

const realTexts = fc.constantFrom(customerText, 'Bom dia 👋', 'Где мой заказ? 📦', '注文番号 4417 🙏', 'مرحبا 🇸🇦', '𝕳𝖊𝖑𝖑𝖔 👨‍👩‍👧', 'ok');
/** A customer text: a real one, then anything Unicode can hold (astral characters, controls, noncharacters, lone surrogates). */
const anyText = fc
  .tuple(
    realTexts,
    fc.string({ unit: fc.oneof(fc.constantFrom('\uFFFE', '\uFFFF', '\uD83D', '\uDE00', '\u0000', '\u200D', '\u202E', '\n'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 300 }),
  )
  .map(([a, b]) => `${a} ${b}`);

/** Things a field can wrongly hold. */
const badNumber = fc.constantFrom<unknown>(1e300, -1, 0, 1.5, '1700000000000', null, {}, [], Number.MAX_SAFE_INTEGER * 4);
const badId = fc.constantFrom<unknown>('', 'x'.repeat(5000), 12, null, {}, ['a']);
const badText = fc.constantFrom<unknown>(12, {}, ['text'], true);

type Defect = (event: Record<string, unknown>) => void;

interface Case {
  body: unknown;
  /** The texts a 200 must keep, for this customer; undefined when the body must be refused. */
  expect?: { customer: string; texts: string[] };
  /** Arbitrary bodies: only "never 5xx, nothing kept when refused" is asked of them. */
  arbitrary?: boolean;
  /** Whose chat a refused body would have opened. */
  refusedCustomer?: string;
}

let sequence = 0;
const nextPsid = () => `72155${String(Date.now() % 1e6).padStart(6, '0')}${String(++sequence).padStart(5, '0')}`;

function messengerCase(defect: Defect | undefined, texts: string[]): Case {
  const psid = nextPsid();
  const now = Date.now();
  const messaging = texts.map((text, i) => ({
    sender: { id: psid },
    recipient: { id: pageId },
    timestamp: now - (texts.length - i) * 1000,
    message: { mid: `m_fuzz_${psid}_${i}`, text },
  }));
  if (defect) defect(messaging[messaging.length - 1]!);
  const body = { object: 'page', entry: [{ id: pageId, time: now, messaging }] };
  return defect ? { body } : { body, expect: { customer: psid, texts: texts.map(kept) } };
}

const messengerDefects: fc.Arbitrary<Defect> = fc.oneof(
  badNumber.map((v): Defect => (e) => void (e.timestamp = v)),
  badId.map((v): Defect => (e) => void ((e.message as Record<string, unknown>).mid = v)),
  badId.map((v): Defect => (e) => void ((e.sender as Record<string, unknown>).id = v)),
  badText.map((v): Defect => (e) => void ((e.message as Record<string, unknown>).text = v)),
  fc.constant<Defect>((e) => void delete e.sender),
  fc.constant<Defect>((e) => void (e.message = 'hello')),
);

let updateId = 500_000 + (Date.now() % 100_000) * 10;
function telegramCase(defect: Defect | undefined, text: string): Case {
  const chatId = 48_000_000 + (++sequence % 1_000_000);
  const update = {
    update_id: ++updateId,
    message: {
      message_id: updateId,
      from: { id: chatId, is_bot: false, first_name: 'Марта', language_code: 'pt' },
      chat: { id: chatId, first_name: 'Марта', type: 'private' },
      date: Math.floor(Date.now() / 1000),
      text,
    },
  };
  if (defect) defect(update as unknown as Record<string, unknown>);
  return defect ? { body: update, refusedCustomer: String(chatId) } : { body: update, expect: { customer: String(chatId), texts: [kept(text)] } };
}

const telegramDefects: fc.Arbitrary<Defect> = fc.oneof(
  badNumber.map((v): Defect => (u) => void ((u.message as Record<string, unknown>).date = v)),
  badNumber.map((v): Defect => (u) => void (u.update_id = v)),
  badId.filter((v) => typeof v !== 'number').map((v): Defect => (u) => void (((u.message as Record<string, unknown>).chat as Record<string, unknown>).id = v)),
  badText.map((v): Defect => (u) => void ((u.message as Record<string, unknown>).text = v)),
  fc.constant<Defect>((u) => void delete (u.message as Record<string, unknown>).chat),
);

describe('webhook fuzzing through the local runtime', () => {
  let local: LocalRuntime;
  let graph: FakeGraph;
  let telegram: FakeTelegram;
  let admin: string;
  let channelId = '';
  let secretToken = '';
  const statuses = new Map<number, number>();
  const refusedCustomers = new Set<string>();

  beforeAll(async () => {
    graph = await startFakeGraph({ pages: { [pageId]: { name: 'Acme Fuzz 🧪', token: pageToken } } });
    telegram = await startFakeTelegram({ bots: { [botToken]: { id: 7000000009, username: 'acme_fuzz_bot', first_name: 'Acme' } } });
    local = await startLocalRuntime({ env: { GRAPH_API_URL: graph.url, TELEGRAM_API_URL: telegram.url, POWERTOOLS_LOG_LEVEL: 'ERROR' } });
    admin = await local.token('admin', ['chat-admins'], 'Admin');
    expect((await local.api('PATCH', '/api/settings', { siteUrl: 'https://chat.example.com' }, admin)).status).toBe(200);
    expect((await local.api('POST', '/api/messenger-apps', { appId, appSecret }, admin)).status).toBe(201);
    // nobody is online: every chat waits in the queue, holding what it was sent
    const queue = await local.api('POST', '/api/queues', { name: 'Fuzz', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: ['nobody'], groups: [] } }, admin);
    const queueId = (queue.body as { id: string }).id;
    const page = await local.api('POST', '/api/channels', { type: 'messenger', appId, pageId, pageAccessToken: pageToken }, admin);
    expect((await local.api('PATCH', `/api/channels/${(page.body as { id: string }).id}`, { queueId, active: true }, admin)).status).toBe(200);
    const bot = await local.api('POST', '/api/channels', { type: 'telegram', botToken }, admin);
    channelId = (bot.body as { id: string }).id;
    secretToken = telegram.webhooks.get(botToken)?.secretToken ?? '';
    expect((await local.api('PATCH', `/api/channels/${channelId}`, { queueId, active: true }, admin)).status).toBe(200);
  }, 90_000);

  afterAll(async () => {
    // eslint-disable-next-line no-console
    console.log(`webhook fuzz: ${[...statuses].map(([s, n]) => `${n}×${s}`).join(', ')}`);
    await local?.stop();
    await graph?.stop();
    await telegram?.stop();
  });

  /** Every chat of a customer with its inbound texts, in order. */
  async function textsOf(customer: string): Promise<string[][]> {
    const found: string[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await local.api('GET', `/api/chats?limit=100${nextToken ? `&nextToken=${nextToken}` : ''}`, undefined, admin);
      const body = page.body as { items: { id: string; customer: { id: string } }[]; nextToken?: string };
      for (const chat of body.items.filter((c) => c.customer.id === customer)) {
        const detail = await local.api('GET', `/api/chats/${chat.id}`, undefined, admin);
        found.push((detail.body as { messages: { direction: string; text?: string }[] }).messages.filter((m) => m.direction === 'in').map((m) => m.text ?? ''));
      }
      nextToken = body.nextToken;
    } while (nextToken);
    return found;
  }

  async function deliver(post: () => Promise<Response>, c: Case): Promise<void> {
    const res = await post();
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    expect(res.status).toBeLessThan(500);
    if (c.arbitrary) return;
    if (!c.expect) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      return;
    }
    expect(res.status).toBe(200);
    const expected = c.expect;
    // kept whole, in order, in one chat
    await eventually(async () => {
      const chats = await textsOf(expected.customer);
      return chats.length === 1 && chats[0]!.length === expected.texts.length ? chats : undefined;
    }, 15_000);
    // the platform delivers it again: still once
    expect((await post()).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(await textsOf(expected.customer)).toEqual([expected.texts]);
  }

  it('Messenger: never 5xx; a refused body keeps nothing; an accepted one keeps its texts once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(messengerDefects, { freq: 2 }), fc.array(anyText, { minLength: 1, maxLength: 3 }), async (defect, texts) => {
        const c = messengerCase(defect ?? undefined, texts);
        if (!c.expect) refusedCustomers.add(((c.body as { entry: { messaging: { sender?: { id?: unknown } }[] }[] }).entry[0]!.messaging[0]!.sender?.id as string) ?? '');
        await deliver(() => postMessenger(local.baseUrl, appId, appSecret, c.body), c);
      }),
      { numRuns: runs },
    );
  }, 600_000);

  it('Telegram: never 5xx; a refused update keeps nothing; an accepted one keeps its text once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(telegramDefects, { freq: 2 }), anyText, async (defect, text) => {
        const c = telegramCase(defect ?? undefined, text);
        if (c.refusedCustomer) refusedCustomers.add(c.refusedCustomer);
        await deliver(() => postTelegram(local.baseUrl, channelId, secretToken, c.body), c);
      }),
      { numRuns: runs },
    );
  }, 600_000);

  it('arbitrary JSON, signed, to either webhook: never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.record({ object: fc.constant('page'), entry: fc.jsonValue() }), fc.record({ update_id: fc.jsonValue(), message: fc.jsonValue() })), async (body) => {
        const c: Case = { body, arbitrary: true };
        await deliver(() => postMessenger(local.baseUrl, appId, appSecret, JSON.stringify(body) ?? 'null'), c);
        await deliver(() => postTelegram(local.baseUrl, channelId, secretToken, JSON.stringify(body) ?? 'null'), c);
      }),
      { numRuns: runs * 2 },
    );
  }, 600_000);

  it('kept nothing of any refused Messenger body or Telegram update', async () => {
    await new Promise((r) => setTimeout(r, 1000));
    for (const customer of [...refusedCustomers].filter((c) => /^\d+$/.test(c))) {
      expect({ customer, chats: await textsOf(customer) }).toEqual({ customer, chats: [] });
    }
  }, 120_000);
});
