import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fakeFileContent, startFakeTelegram, telegramErrors, type FakeTelegram } from '../support/fake-telegram';
import { eventually, startLocalRuntime, type AgentSocket, type LocalRuntime } from '../support/runtime';

/**
 * A Telegram chat on the local runtime against a fake Bot API: connect the bot, updates through
 * the secret-token webhook, files through signed links, replies through sendMessage.
 */
const fixtures = resolve(__dirname, '../fixtures/telegram');
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(resolve(fixtures, name), 'utf8'));

const botToken = '7000000001:AAHsecretBotTokenValue_0123456789';
const siteUrl = 'https://chat.example.com';

interface Frame {
  chatId: string;
  message: { id: string; direction: string; text?: string; payload?: string; editedAt?: string; attachments?: { type: string; url: string; name?: string }[] };
}

describe('a Telegram chat from bot connection to agent and back', () => {
  let local: LocalRuntime;
  let telegram: FakeTelegram;
  let admin: string;
  let agent: AgentSocket;
  let channelId: string;
  let secretToken: string;
  let chatId: string;
  let firstMessageId: string;
  let queueId: string;

  const post = (body: unknown, secret: string | null = secretToken, channel = channelId) =>
    fetch(`${local.baseUrl}/webhooks/telegram/${channel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secret !== null && { 'x-telegram-bot-api-secret-token': secret }) },
      body: JSON.stringify(body),
    });

  /** The next customer message pushed to the agent (its own replies are pushed too). */
  const nextCustomerMessage = async (): Promise<Frame> => {
    for (;;) {
      const frame = (await agent.next('message', 15_000)) as unknown as Frame;
      if (frame.message.direction === 'in') return frame;
    }
  };

  const reply = async (text: string, clientMessageId: string) => {
    agent.send({ action: 'send', chatId, text, clientMessageId });
    const sent = await agent.next('sent', 15_000);
    for (;;) {
      const status = await agent.next('messageStatus', 20_000);
      if (status.messageId === sent.messageId) return status;
    }
  };

  beforeAll(async () => {
    telegram = await startFakeTelegram({ bots: { [botToken]: { id: 7000000001, username: 'acme_support_bot', first_name: 'Acme Support' } } });
    local = await startLocalRuntime({ env: { TELEGRAM_API_URL: telegram.url } });
    admin = await local.token('admin', ['chat-admins'], 'Admin');
    const queue = await local.api('POST', '/api/queues', { name: 'Support', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: ['alice'], groups: [] } }, admin);
    expect(queue.status).toBe(201);
    queueId = (queue.body as { id: string }).id;
    expect((await local.api('PUT', '/api/agents/alice', { displayName: 'Alice', groups: ['agents'] }, admin)).status).toBe(200);
    agent = await local.connectAgent(await local.token('alice', ['agents'], 'Alice'));
    agent.send({ action: 'sync' });
    await agent.next('snapshot');
  }, 90_000);

  afterAll(async () => {
    await agent?.close();
    await local?.stop();
    await telegram?.stop();
  });

  it('refuses to connect a bot before siteUrl is set, then connects it with getMe and setWebhook', async () => {
    // given no siteUrl
    const early = await local.api('POST', '/api/channels', { type: 'telegram', botToken }, admin);
    expect(early.status).toBe(409);
    expect(JSON.stringify(early.body)).toContain('siteUrl');

    // when the admin sets it and connects the bot
    expect((await local.api('PATCH', '/api/settings', { siteUrl }, admin)).status).toBe(200);
    const created = await local.api('POST', '/api/channels', { type: 'telegram', botToken }, admin);

    // then the channel is named after the bot and its webhook points at us with a fresh secret token
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ type: 'telegram', name: 'acme_support_bot', active: false });
    expect(JSON.stringify(created.body)).not.toContain(botToken);
    channelId = (created.body as { id: string }).id;
    expect(telegram.requests.map((r) => r.method)).toEqual(expect.arrayContaining(['getMe', 'setWebhook']));
    const hook = telegram.webhooks.get(botToken);
    expect(hook?.url).toBe(`${siteUrl}/webhooks/telegram/${channelId}`);
    expect(hook?.secretToken).toMatch(/^[A-Za-z0-9_-]{32,256}$/);
    expect(hook?.allowedUpdates).toEqual(['message', 'edited_message', 'callback_query']);
    secretToken = hook?.secretToken ?? '';

    expect((await local.api('PATCH', `/api/channels/${channelId}`, { queueId, active: true }, admin)).status).toBe(200);
    const test = await local.api('POST', `/api/channels/${channelId}/test`, undefined, admin);
    expect(test.body).toMatchObject({ ok: true, detail: expect.stringContaining('Webhook set to this channel. 0 pending update(s).') });
  });

  it('reports Telegram’s delivery errors and pending updates when the connection is tested', async () => {
    // given Telegram cannot deliver to the webhook
    telegram.reply({ status: 200, body: { ok: true, result: { id: 7000000001, is_bot: true, first_name: 'Acme Support', username: 'acme_support_bot' } } });
    const expected = `${siteUrl}/webhooks/telegram/${channelId}`;
    telegram.reply({ status: 200, body: { ok: true, result: { url: expected, pending_update_count: 7, last_error_date: 1763712000, last_error_message: 'Wrong response from the webhook: 502 Bad Gateway' } } });
    // when
    const test = await local.api('POST', `/api/channels/${channelId}/test`, undefined, admin);
    // then
    expect(test.body).toEqual({ ok: false, detail: expect.stringContaining('7 pending update(s). Last delivery error: Wrong response from the webhook: 502 Bad Gateway.') });
  });

  it('refuses an update without the right secret token, and one for an unknown channel', async () => {
    expect((await post(fixture('text-message.json'), null)).status).toBe(401);
    expect((await post(fixture('text-message.json'), 'wrong-secret')).status).toBe(401);
    expect((await post(fixture('text-message.json'), secretToken, 'no-such-channel')).status).toBe(404);
    expect(await local.events('ChatCreated')).toEqual([]);
  });

  it('offers a text message to the agent with the customer’s name and language from the update', async () => {
    // when
    expect((await post(fixture('text-message.json'))).status).toBe(200);
    // then
    const offered = await agent.next('chatOffered', 15_000);
    const chat = offered.chat as { id: string; customer: { id: string; name: string }; language: string; channelType: string };
    expect(chat).toMatchObject({ channelType: 'telegram', customer: { id: '48291034', name: 'Marta Silva' }, language: 'pt' });
    chatId = chat.id;
    agent.send({ action: 'accept', chatId });
    const assigned = await agent.next('chatAssigned', 15_000);
    const messages = assigned.messages as { id: string; text: string }[];
    expect(messages.map((m) => m.text)).toEqual(['Olá! Can I change my delivery address?']);
    firstMessageId = messages[0]!.id;
  });

  it('serves a photo to the agent through a signed link that never shows the bot token', async () => {
    // when
    expect((await post(fixture('photo-with-caption.json'))).status).toBe(200);
    // then
    const { message } = await nextCustomerMessage();
    expect(message.text).toBe('The box arrived damaged');
    const link = message.attachments?.[0];
    expect(link?.type).toBe('image');
    expect(link?.url.startsWith(`${local.baseUrl}/files/telegram/${channelId}/AgACAgQAAxkBAAIBQ2abc_large?expires=`)).toBe(true);
    expect(link?.url).not.toContain(botToken);
    const file = await fetch(link?.url ?? '');
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer())).toEqual(fakeFileContent('documents/AgACAgQAAxkBAAIBQ2abc_large'));
    expect(telegram.requests.filter((r) => r.method === 'getFile').at(-1)?.params).toEqual({ file_id: 'AgACAgQAAxkBAAIBQ2abc_large' });

    // a tampered link is refused
    const forged = new URL(link?.url ?? '');
    forged.searchParams.set('expires', String(Number(forged.searchParams.get('expires')) + 86_400));
    expect((await fetch(forged)).status).toBe(403);
  });

  it('passes a document on with its name and type', async () => {
    expect((await post(fixture('document.json'))).status).toBe(200);
    const { message } = await nextCustomerMessage();
    expect(message.attachments).toEqual([
      { type: 'application/pdf', name: 'invoice-4417.pdf', url: expect.stringContaining(`/files/telegram/${channelId}/BQACAgQAAxkBAAIBRGdoc?`) },
    ]);
  });

  it('updates an edited message in place and tells the agent', async () => {
    // when
    expect((await post(fixture('edited-message.json'))).status).toBe(200);
    // then the agent gets the same message id with the new text
    const { message } = await nextCustomerMessage();
    expect(message).toMatchObject({ id: firstMessageId, text: 'Olá! Can I change my delivery address to Rua Augusta 12?', editedAt: '2025-11-21T08:02:05.000Z' });
    const detail = await local.api('GET', `/api/chats/${chatId}`, undefined, admin);
    const stored = (detail.body as { messages: { id: string; text?: string }[] }).messages;
    expect(stored.find((m) => m.id === firstMessageId)?.text).toBe('Olá! Can I change my delivery address to Rua Augusta 12?');
  });

  it('stores a button press once however often it arrives, and stops the customer’s spinner', async () => {
    // when the same update arrives three times (each arrival is a distinct queue message)
    for (let i = 0; i < 3; i++) expect((await post(fixture('callback-query.json'))).status).toBe(200);
    // and the same text update again, then a marker message in the same conversation
    expect((await post(fixture('text-message.json'))).status).toBe(200);
    const marker = structuredClone(fixture('text-message.json')) as { update_id: number; message: { message_id: number; text: string } };
    marker.update_id += 100;
    marker.message.message_id += 100;
    marker.message.text = 'marker';
    expect((await post(marker)).status).toBe(200);

    // then, once the marker arrived, the press reached the agent once and nothing else did
    const press = await nextCustomerMessage();
    expect(press.message).toMatchObject({ text: 'helpful:yes', payload: 'helpful:yes' });
    expect((await nextCustomerMessage()).message.text).toBe('marker');
    expect(telegram.answeredCallbacks).toContain('4382000123456789012');
    const detail = await local.api('GET', `/api/chats/${chatId}`, undefined, admin);
    const texts = (detail.body as { messages: { text?: string }[] }).messages.map((m) => m.text);
    expect(texts.filter((t) => t === 'helpful:yes')).toHaveLength(1);
    expect(texts.filter((t) => t?.startsWith('Olá!'))).toHaveLength(1);
  });

  it('sends the agent’s reply to the customer’s chat', async () => {
    const status = await reply('Of course! Which address?', 'c-1');
    expect(status).toMatchObject({ chatId, status: 'sent' });
    expect(telegram.sent.at(-1)).toMatchObject({ token: botToken, chatId: '48291034', text: 'Of course! Which address?' });
    expect(telegram.violations).toEqual([]);
  });

  it('waits as long as a 429 retry_after asks before sending again', async () => {
    // given Telegram answers the next call with "retry after 3 s"
    telegram.reply(telegramErrors.rateLimited(3));
    // when
    const status = await reply('One moment please.', 'c-2');
    // then
    expect(status).toMatchObject({ status: 'sent' });
    const calls = telegram.requests.filter((r) => r.method === 'sendMessage');
    const limited = calls.findLast((r) => r.status === 429);
    const delivered = calls.at(-1);
    expect(delivered?.status).toBe(200);
    expect((delivered?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(2950);
  });

  it('shows a reply as failed, with the reason, when the customer blocked the bot', async () => {
    // given
    telegram.reply(telegramErrors.blocked);
    const before = telegram.requests.filter((r) => r.method === 'sendMessage').length;
    // when
    const status = await reply('Are you still there?', 'c-3');
    // then it failed at once, without retries
    expect(status).toMatchObject({ status: 'failed', error: expect.stringContaining('blocked the bot') });
    await eventually(async () => (telegram.requests.filter((r) => r.method === 'sendMessage').length === before + 1 ? true : undefined));
  });
});
