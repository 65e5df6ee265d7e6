import { signMetaBody } from '../../functions/domain/signature';
import { dynamodbEndpoint, sqsEndpoint } from '../support/aws';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy';
import { eventually, startLocalRuntime, type LocalRuntime } from '../support/runtime';

/**
 * The webhooks answer within 3 s whatever DynamoDB and SQS do: the runtime talks to both through
 * proxies that hold every request until released. Past the deadline the answer is 503, so the
 * platform retries; the retry after the stall is answered 200 and the message is stored once.
 */
const appId = '515151515151515';
const appSecret = 'deadline-app-secret-0123456789';
const pageId = '105999888777666';
const pageToken = 'EAAG-deadline-page-token';
const botToken = '7100000001:AAHdeadlineBotTokenValue_012345678';

describe('webhook deadlines while DynamoDB or SQS hang', () => {
  let ddb: FaultProxy;
  let sqs: FaultProxy;
  let graph: FakeGraph;
  let telegram: FakeTelegram;
  let local: LocalRuntime;
  let admin: string;
  let telegramChannel: string;
  let secretToken: string;
  let updateId = 900_000;

  const timed = async (request: () => Promise<Response>) => {
    const started = Date.now();
    const res = await request();
    return { status: res.status, body: await res.text(), millis: Date.now() - started };
  };

  const postMessenger = (senderId: string, mid: string, text: string) => {
    const now = Date.now();
    const raw = JSON.stringify({
      object: 'page',
      entry: [{ id: pageId, time: now, messaging: [{ sender: { id: senderId }, recipient: { id: pageId }, timestamp: now, message: { mid, text } }] }],
    });
    return timed(() =>
      fetch(`${local.baseUrl}/webhooks/messenger/${appId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(raw, appSecret) },
        body: raw,
      }),
    );
  };

  const telegramUpdate = (chat: number, messageId: number, text: string) => ({
    update_id: (updateId += 1),
    message: { message_id: messageId, from: { id: chat, is_bot: false, first_name: 'Zoë' }, chat: { id: chat, type: 'private', first_name: 'Zoë' }, date: Math.floor(Date.now() / 1000), text },
  });
  const postTelegram = (update: unknown) =>
    timed(() =>
      fetch(`${local.baseUrl}/webhooks/telegram/${telegramChannel}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secretToken },
        body: JSON.stringify(update),
      }),
    );

  /** How many times each inbound text is stored, across every chat. */
  const storedCount = async (text: string): Promise<number> => {
    const chats = await local.api('GET', '/api/chats?limit=100', undefined, admin);
    let count = 0;
    for (const chat of (chats.body as { items: { id: string }[] }).items) {
      const detail = await local.api('GET', `/api/chats/${chat.id}`, undefined, admin);
      count += (detail.body as { messages: { direction: string; text?: string }[] }).messages.filter((m) => m.direction === 'in' && m.text === text).length;
    }
    return count;
  };
  const storedOnce = (text: string) => eventually(async () => ((await storedCount(text)) >= 1 ? true : undefined), 20_000, 200);

  beforeAll(async () => {
    ddb = await startFaultProxy({ target: dynamodbEndpoint(), service: 'dynamodb' });
    sqs = await startFaultProxy({ target: sqsEndpoint(), service: 'sqs' });
    graph = await startFakeGraph({ pages: { [pageId]: { name: 'Acme Deadlines', token: pageToken } } });
    telegram = await startFakeTelegram({ bots: { [botToken]: { id: 7100000001, username: 'acme_deadline_bot', first_name: 'Acme' } } });
    local = await startLocalRuntime({
      env: { GRAPH_API_URL: graph.url, TELEGRAM_API_URL: telegram.url, OMNICHAT_DYNAMODB_ENDPOINT: ddb.url, OMNICHAT_SQS_ENDPOINT: sqs.url, OMNICHAT_RETRY_DELAY_SECONDS: '1' },
      startTimeoutMs: 60_000,
    });
    admin = await local.token('admin', ['chat-admins'], 'Admin');
    const ok = (res: { status: number; body: unknown }, status: number) => {
      if (res.status !== status) throw new Error(`setup answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body as { id: string };
    };
    ok(await local.api('PATCH', '/api/settings', { siteUrl: 'https://chat.example.com' }, admin), 200);
    ok(await local.api('POST', '/api/messenger-apps', { appId, appSecret }, admin), 201);
    const queue = ok(await local.api('POST', '/api/queues', { name: 'Deadlines', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: [], groups: ['agents'] } }, admin), 201);
    const page = ok(await local.api('POST', '/api/channels', { type: 'messenger', appId, pageId, pageAccessToken: pageToken }, admin), 201);
    ok(await local.api('PATCH', `/api/channels/${page.id}`, { queueId: queue.id, active: true }, admin), 200);
    telegramChannel = ok(await local.api('POST', '/api/channels', { type: 'telegram', botToken }, admin), 201).id;
    ok(await local.api('PATCH', `/api/channels/${telegramChannel}`, { queueId: queue.id, active: true }, admin), 200);
    secretToken = telegram.webhooks.get(botToken)?.secretToken ?? '';
  }, 90_000);

  afterAll(async () => {
    ddb?.release();
    sqs?.release();
    await local?.stop();
    await Promise.all([ddb?.stop(), sqs?.stop(), graph?.stop(), telegram?.stop()]);
  });

  it('answers 503 within 3 s for a channel it has not read yet while DynamoDB hangs, then 200, storing the update once', async () => {
    // given DynamoDB hangs and the webhook has never read this channel
    const update = telegramUpdate(55501, 1, 'Olá 👋🏽 — я жду ответа 🇵🇹');
    ddb.stall();
    // when Telegram delivers
    const during = await postTelegram(update);
    // then it is told to retry, in time
    expect(during.status).toBe(503);
    expect(during.millis).toBeLessThan(3_000);
    expect(JSON.parse(during.body)).toMatchObject({ error: { code: 'temporarily_unavailable' } });
    // when DynamoDB answers again and Telegram retries the same update
    ddb.release();
    const after = await postTelegram(update);
    expect(after.status).toBe(200);
    // then it is stored once, although the first attempt went on once released
    await storedOnce('Olá 👋🏽 — я жду ответа 🇵🇹');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await storedCount('Olá 👋🏽 — я жду ответа 🇵🇹')).toBe(1);
  });

  it('keeps answering 200 within 3 s for a channel it knows while DynamoDB hangs', async () => {
    // given the webhook has read the channel (the previous delivery) and DynamoDB hangs
    ddb.stall();
    // when
    const during = await postTelegram(telegramUpdate(55502, 1, '𝕳𝖊𝖑𝖑𝖔 👨‍👩‍👧'));
    const messenger = await postMessenger('7000111', 'm_deadline_warmup', 'مرحبا 😀');
    ddb.release();
    // then the known Telegram channel needs no table read; the Meta app was never read, so that one is told to retry
    expect(during).toMatchObject({ status: 200 });
    expect(during.millis).toBeLessThan(3_000);
    expect(messenger.status).toBe(503);
    expect(messenger.millis).toBeLessThan(3_000);
    await storedOnce('𝕳𝖊𝖑𝖑𝖔 👨‍👩‍👧');
  });

  it('answers 503 within 3 s while SQS hangs, on both webhooks, and 200 on the retry, storing each message once', async () => {
    // given both webhooks know their app and channel
    expect((await postMessenger('7000222', 'm_deadline_warm', '你好 🙂')).status).toBe(200);
    const telegramMessage = telegramUpdate(55503, 1, 'नमस्ते 🙏 ещё раз');
    // when SQS hangs
    sqs.stall();
    const messenger = await postMessenger('7000333', 'm_deadline_sqs', 'שלום 👍🏽 queue stalled');
    const tg = await postTelegram(telegramMessage);
    // then
    expect(messenger.status).toBe(503);
    expect(messenger.millis).toBeLessThan(3_000);
    expect(tg.status).toBe(503);
    expect(tg.millis).toBeLessThan(3_000);
    // when SQS answers again and the platforms retry
    sqs.release();
    expect((await postMessenger('7000333', 'm_deadline_sqs', 'שלום 👍🏽 queue stalled')).status).toBe(200);
    expect((await postTelegram(telegramMessage)).status).toBe(200);
    // then
    await storedOnce('שלום 👍🏽 queue stalled');
    await storedOnce('नमस्ते 🙏 ещё раз');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await storedCount('שלום 👍🏽 queue stalled')).toBe(1);
    expect(await storedCount('नमस्ते 🙏 ещё раз')).toBe(1);
  });
});
