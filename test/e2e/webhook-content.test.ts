import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram';
import { startLocalRuntime, type AgentSocket, type LocalRuntime } from '../support/runtime';
import { customerText, hardEmoji, messengerText, postMessenger, postTelegram, telegramText } from '../support/webhooks';

/**
 * Whatever a customer writes reaches the agent whole, through the local runtime (signed webhook →
 * SQS emulator → router on DynamoDB Local → WebSocket); what cannot be kept is refused with a 4xx
 * naming the field, never acknowledged and then lost.
 */
const appId = '444555666777999';
const appSecret = 'content-test-app-secret-0123456789';
const pageId = '105123456789777';
const pageToken = 'EAAG-page-token-content-tests';
const botToken = '7000000002:AAHcontentTestsBotToken_0123456789';

interface MessageFrame {
  chatId: string;
  message: { id: string; direction: string; text?: string; platformMessageId?: string; sentAt: string };
}
interface ErrorBody {
  error: { code: string; details?: { field: string; message: string }[] };
}

describe('customer content through the webhooks', () => {
  let local: LocalRuntime;
  let graph: FakeGraph;
  let telegram: FakeTelegram;
  let admin: string;
  let agent: AgentSocket;
  let channelId = '';
  let secretToken = '';
  let messengerChatId = '';

  const messenger = (body: unknown) => postMessenger(local.baseUrl, appId, appSecret, body);
  const nextCustomerMessage = async (): Promise<MessageFrame> => {
    for (;;) {
      const frame = (await agent.next('message', 20_000)) as unknown as MessageFrame;
      if (frame.message.direction === 'in') return frame;
    }
  };
  /** Opens a chat with a first message and has the agent accept it; the texts the agent sees. */
  const acceptNextOffer = async (): Promise<{ chatId: string; texts: string[] }> => {
    const offered = await agent.next('chatOffered', 20_000);
    const chatId = (offered.chat as { id: string }).id;
    agent.send({ action: 'accept', chatId });
    const assigned = await agent.next('chatAssigned', 20_000);
    return { chatId, texts: (assigned.messages as { text?: string }[]).map((m) => m.text ?? '') };
  };

  beforeAll(async () => {
    graph = await startFakeGraph({ pages: { [pageId]: { name: 'Acme Поддержка 🛟', token: pageToken } } });
    telegram = await startFakeTelegram({ bots: { [botToken]: { id: 7000000002, username: 'acme_content_bot', first_name: 'Acme' } } });
    local = await startLocalRuntime({ env: { GRAPH_API_URL: graph.url, TELEGRAM_API_URL: telegram.url } });
    admin = await local.token('admin', ['chat-admins'], 'Admin');
    expect((await local.api('PATCH', '/api/settings', { siteUrl: 'https://chat.example.com' }, admin)).status).toBe(200);
    expect((await local.api('POST', '/api/messenger-apps', { appId, appSecret }, admin)).status).toBe(201);
    const queue = await local.api('POST', '/api/queues', { name: 'Support', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: ['alice'], groups: [] } }, admin);
    const queueId = (queue.body as { id: string }).id;
    const page = await local.api('POST', '/api/channels', { type: 'messenger', appId, pageId, pageAccessToken: pageToken }, admin);
    expect((await local.api('PATCH', `/api/channels/${(page.body as { id: string }).id}`, { queueId, active: true }, admin)).status).toBe(200);
    const bot = await local.api('POST', '/api/channels', { type: 'telegram', botToken }, admin);
    expect(bot.status).toBe(201);
    channelId = (bot.body as { id: string }).id;
    secretToken = telegram.webhooks.get(botToken)?.secretToken ?? '';
    expect((await local.api('PATCH', `/api/channels/${channelId}`, { queueId, active: true }, admin)).status).toBe(200);
    expect((await local.api('PUT', '/api/agents/alice', { displayName: 'Alice', groups: ['agents'] }, admin)).status).toBe(200);
    agent = await local.connectAgent(await local.token('alice', ['agents'], 'Alice'));
    agent.send({ action: 'sync' });
    await agent.next('snapshot');
  }, 90_000);

  afterAll(async () => {
    await agent?.close();
    await local?.stop();
    await graph?.stop();
    await telegram?.stop();
  });

  it('brings a signed Messenger message with 😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳 and mixed scripts to the agent intact', async () => {
    const res = await messenger(messengerText({ pageId, psid: '7215550000000001' }));
    expect(res.status).toBe(200);
    const { chatId, texts } = await acceptNextOffer();
    messengerChatId = chatId;
    expect(texts).toEqual([customerText]);
    for (const emoji of hardEmoji) expect(texts[0]).toContain(emoji);
    // and each emoji alone, as the only content of a message
    for (const emoji of hardEmoji) {
      expect((await messenger(messengerText({ pageId, psid: '7215550000000001', text: emoji }))).status).toBe(200);
      expect((await nextCustomerMessage()).message.text).toBe(emoji);
    }
  });

  it('brings a Telegram update with the same emoji to the agent intact', async () => {
    const res = await postTelegram(local.baseUrl, channelId, secretToken, telegramText({ updateId: 900001, chatId: 48290001 }));
    expect(res.status).toBe(200);
    const { texts } = await acceptNextOffer();
    expect(texts).toEqual([customerText]);
    expect((await postTelegram(local.baseUrl, channelId, secretToken, telegramText({ updateId: 900002, chatId: 48290001, text: hardEmoji.join(' ') }))).status).toBe(200);
    expect((await nextCustomerMessage()).message.text).toBe('😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳');
  });

  it('keeps a text with U+FFFE and U+FFFF, each replaced by U+FFFD, instead of failing the delivery', async () => {
    const res = await messenger(messengerText({ pageId, psid: '7215550000000001', text: 'bad\uFFFE chars\uFFFF 😀' }));
    expect(res.status).toBe(200);
    expect((await nextCustomerMessage()).message.text).toBe('bad\uFFFD chars\uFFFD 😀');
    const tg = await postTelegram(local.baseUrl, channelId, secretToken, telegramText({ updateId: 900003, chatId: 48290001, text: '\uFFFF👍🏽' }));
    expect(tg.status).toBe(200);
    expect((await nextCustomerMessage()).message.text).toBe('\uFFFD👍🏽');
  });

  it('keeps a 300,000-character CJK text (~900 KB) whole, as consecutive parts in order', async () => {
    const pattern = Array.from('客服你好订单还没有到😀');
    const text = Array.from({ length: 300_000 }, (_, i) => pattern[i % pattern.length]).join('');
    const res = await messenger(messengerText({ pageId, psid: '7215550000000001', text, mid: 'm_long_cjk' }));
    expect(res.status).toBe(200);
    const parts: MessageFrame['message'][] = [];
    let joined = '';
    while (joined.length < text.length) {
      const frame = await nextCustomerMessage();
      expect(frame.chatId).toBe(messengerChatId);
      parts.push(frame.message);
      joined += frame.message.text ?? '';
    }
    // (compared by length and equality to keep a failure's output readable)
    expect(joined.length).toBe(text.length);
    expect(joined === text).toBe(true);
    expect(parts.length).toBeGreaterThan(20);
    expect(parts.every((p) => p.platformMessageId === 'm_long_cjk' && Buffer.byteLength(p.text ?? '') <= 32 * 1024)).toBe(true);
    // stored in the same order: the chat's messages, as the admin API reads them from the table
    const detail = await local.api('GET', `/api/chats/${messengerChatId}`, undefined, admin);
    const stored = ((detail.body as { messages?: { id: string; text?: string }[] }).messages ?? []).filter((m) => parts.some((p) => p.id === m.id));
    expect(stored.map((m) => m.id)).toEqual(parts.map((p) => p.id).slice(-stored.length));
    // a redelivery by Meta is stored once
    expect((await messenger(messengerText({ pageId, psid: '7215550000000001', text, mid: 'm_long_cjk' }))).status).toBe(200);
    expect((await messenger(messengerText({ pageId, psid: '7215550000000001', text: 'after the long one 🇵🇹' }))).status).toBe(200);
    expect((await nextCustomerMessage()).message.text).toBe('after the long one 🇵🇹');
  }, 120_000);

  it('refuses what the store cannot keep with a 400 naming the field, and stores nothing of it', async () => {
    const cases: [unknown, string][] = [
      [messengerText({ pageId, psid: '7215550000000001', timestamp: 1e300 }), 'entry.0.messaging.0.timestamp'],
      [messengerText({ pageId, psid: '7215550000000001', mid: 'm'.repeat(5000) }), 'entry.0.messaging.0.message.mid'],
      [messengerText({ pageId: '1'.repeat(3000), psid: '7215550000000001' }), 'entry.0.id'],
    ];
    for (const [body, field] of cases) {
      const res = await messenger(body);
      expect(res.status).toBe(400);
      const error = ((await res.json()) as ErrorBody).error;
      expect(error.code).toBe('validation_failed');
      expect(error.details?.map((d) => d.field)).toContain(field);
    }
    const tg = await postTelegram(local.baseUrl, channelId, secretToken, telegramText({ updateId: 900010, chatId: 48290001, date: 1e300 }));
    expect(tg.status).toBe(400);
    expect(((await tg.json()) as ErrorBody).error.details?.map((d) => d.field)).toEqual(['message.date']);
    // nothing of them reached the agent: the next customer message is this one
    expect((await messenger(messengerText({ pageId, psid: '7215550000000001', text: 'still here 👨‍👩‍👧' }))).status).toBe(200);
    expect((await nextCustomerMessage()).message.text).toBe('still here 👨‍👩‍👧');
  });

  it('answers 413 naming the field when an event would exceed the 1 MiB a queue message carries, never 200', async () => {
    // a body just within 1 MiB whose event, once enveloped (the mid twice, the channel), is over it
    const mid = `m_${'x'.repeat(250)}`;
    const skeleton = JSON.stringify(messengerText({ pageId, psid: '7215550000000001', mid, text: '' }));
    const text = 'a'.repeat(1024 * 1024 - Buffer.byteLength(skeleton));
    const res = await messenger(messengerText({ pageId, psid: '7215550000000001', mid, text }));
    expect(res.status).toBe(413);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({ code: 'payload_too_large', details: [{ field: 'entry.0.messaging.0.message.text' }] });
    // one byte more in the body is refused as a body
    const over = await messenger(messengerText({ pageId, psid: '7215550000000001', mid, text: `${text}a` }));
    expect(over.status).toBe(413);
  });

  it('answers 404, never 5xx, for webhook paths with ids no admin could register', async () => {
    const digits = '1'.repeat(5000);
    const body = JSON.stringify(messengerText({ pageId, psid: '7215550000000001' }));
    const post = await fetch(`${local.baseUrl}/webhooks/messenger/${digits}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(post.status).toBe(404);
    const verify = await fetch(`${local.baseUrl}/webhooks/messenger/${digits}?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1`);
    expect(verify.status).toBe(404);
    const tg = await postTelegram(local.baseUrl, 'c'.repeat(5000), secretToken, telegramText({ updateId: 900020, chatId: 48290001 }));
    expect(tg.status).toBe(404);
    expect(((await tg.json()) as ErrorBody).error.code).toBe('not_found');
  });
});
