import { randomUUID } from 'node:crypto';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram';
import { startLocalRuntime, type AgentSocket, type LocalRuntime } from '../support/runtime';
import { customerText, messengerText, postMessenger, postTelegram, telegramText } from '../support/webhooks';

/**
 * Agents' attachments, typing and seen through the local runtime: the agent uploads a file to
 * the presigned URL (checked as S3 checks it), sends it, and it reaches the fake Telegram as
 * sendPhoto and the fake Graph API as an uploaded image; typing is rate-limited per chat; a
 * channel that refuses customers' attachments answers politely and still delivers the text.
 */
const appId = '444555666777999';
const appSecret = 'app-secret-for-attachment-tests-0123';
const pageId = '105123456789099';
const pageToken = 'EAAG-page-token-for-attachments';
const botToken = '7000000009:AAHsecretBotTokenValue_attachments9';

/** A tiny JPEG (SOI, a comment with emoji, EOI): real bytes that must arrive unchanged. */
const photo = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xfe, 0x00, 0x10]), Buffer.from('fotografía 📷!', 'utf8'), Buffer.from([0xff, 0xd9])]);
const photoName = 'fotografía 📷.jpg';

/** Retries an assertion until it holds (or fails with its last error). */
async function eventually(assertion: () => void, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('agents’ attachments, typing and seen', () => {
  let local: LocalRuntime;
  let graph: FakeGraph;
  let telegram: FakeTelegram;
  let admin: string;
  let agent: AgentSocket;
  let messengerChannel: string;
  let telegramChannel: string;
  let secretToken: string;

  /** The customer writes; the agent accepts the offer; the chat id. */
  async function chatFrom(write: () => Promise<Response>): Promise<string> {
    expect((await write()).status).toBe(200);
    const offer = await agent.next('chatOffered', 20_000);
    const chatId = (offer.chat as { id: string }).id;
    agent.send({ action: 'accept', chatId });
    await agent.next('chatAssigned', 15_000);
    return chatId;
  }

  async function upload(chatId: string, requestId: string, size = photo.length): Promise<Record<string, unknown>> {
    agent.send({ action: 'upload', requestId, chatId, name: photoName, contentType: 'image/jpeg', size });
    for (;;) {
      const frame = await agent.next(undefined, 15_000);
      if (frame.requestId === requestId) return frame;
    }
  }

  async function sendAndWait(chatId: string, attachment: unknown, text?: string): Promise<{ sent: Record<string, unknown>; status: Record<string, unknown> }> {
    const clientMessageId = randomUUID();
    agent.send({ action: 'send', chatId, clientMessageId, attachments: [attachment], ...(text ? { text } : {}) });
    const sent = await agent.next('sent', 15_000);
    for (;;) {
      const status = await agent.next('messageStatus', 20_000);
      if (status.messageId === sent.messageId) return { sent, status };
    }
  }

  beforeAll(async () => {
    graph = await startFakeGraph({ pages: { [pageId]: { name: 'Acme Files', token: pageToken } } });
    telegram = await startFakeTelegram({ bots: { [botToken]: { id: 7000000009, username: 'acme_files_bot', first_name: 'Acme Files' } } });
    local = await startLocalRuntime({ env: { GRAPH_API_URL: graph.url, TELEGRAM_API_URL: telegram.url } });
    admin = await local.token('admin', ['chat-admins'], 'Admin');
    expect((await local.api('POST', '/api/messenger-apps', { appId, appSecret }, admin)).status).toBe(201);
    const queue = await local.api('POST', '/api/queues', { name: 'Files', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: ['alice'], groups: [] } }, admin);
    const queueId = (queue.body as { id: string }).id;
    const messenger = await local.api('POST', '/api/channels', { type: 'messenger', appId, pageId, pageAccessToken: pageToken }, admin);
    messengerChannel = (messenger.body as { id: string }).id;
    expect((await local.api('PATCH', `/api/channels/${messengerChannel}`, { queueId, active: true }, admin)).status).toBe(200);
    expect((await local.api('PATCH', '/api/settings', { siteUrl: 'https://chat.example.com' }, admin)).status).toBe(200);
    const bot = await local.api('POST', '/api/channels', { type: 'telegram', botToken }, admin);
    telegramChannel = (bot.body as { id: string }).id;
    secretToken = telegram.webhooks.get(botToken)?.secretToken ?? '';
    expect((await local.api('PATCH', `/api/channels/${telegramChannel}`, { queueId, active: true }, admin)).status).toBe(200);
    expect((await local.api('PUT', '/api/agents/alice', { displayName: 'Alice', groups: ['agents'], simultaneousChats: 10 }, admin)).status).toBe(200);
    agent = await local.connectAgent(await local.token('alice', ['agents'], 'Alice'));
    agent.send({ action: 'sync' });
    await agent.next('snapshot');
  }, 120_000);

  afterAll(async () => {
    await agent?.close();
    await local?.stop();
    await graph?.stop();
    await telegram?.stop();
  });

  it('uploads a photo through the presigned URL and sends it to Messenger as an uploaded image, with a download link for the agent', async () => {
    const chatId = await chatFrom(() => postMessenger(local.baseUrl, appId, appSecret, messengerText({ pageId, psid: '7000000101' })));

    const reply = await upload(chatId, 'u1');
    expect(reply).toMatchObject({ type: 'upload', method: 'PUT', headers: { 'content-type': 'image/jpeg' }, attachment: { type: 'image', name: photoName, contentType: 'image/jpeg', size: photo.length } });
    expect(Date.parse(String(reply.expiresAt))).toBeGreaterThan(Date.now());

    // what S3 refuses, the local bucket refuses: another type, another length, no signature
    const url = String(reply.url);
    expect((await fetch(url, { method: 'PUT', headers: { 'content-type': 'text/html' }, body: photo })).status).toBe(403);
    expect((await fetch(url, { method: 'PUT', headers: { 'content-type': 'image/jpeg' }, body: Buffer.concat([photo, photo]) })).status).toBe(403);
    expect((await fetch(url.split('?')[0]!, { method: 'PUT', headers: { 'content-type': 'image/jpeg' }, body: photo })).status).toBe(403);
    // sending before the upload: nothing to send
    agent.send({ action: 'send', chatId, clientMessageId: randomUUID(), attachments: [reply.attachment] });
    expect(await agent.next('error', 10_000)).toMatchObject({ code: 'attachment_missing' });

    const put = await fetch(url, { method: 'PUT', headers: reply.headers as Record<string, string>, body: photo });
    expect(put.status).toBe(200);

    const { sent, status } = await sendAndWait(chatId, reply.attachment, `Aqui está ${customerText}`);
    expect(status).toMatchObject({ status: 'sent' });
    const shown = (sent.message as { attachments: { type: string; url: string; name: string }[] }).attachments[0]!;
    expect(shown).toMatchObject({ type: 'image', name: photoName });
    const download = await fetch(shown.url);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(photo);
    expect(download.headers.get('content-disposition')).toContain("filename*=UTF-8''fotograf%C3%ADa%20%F0%9F%93%B7.jpg");

    const delivered = graph.sent.filter((m) => m.recipientId === '7000000101');
    expect(delivered.map((m) => m.attachment?.type ?? 'text')).toEqual(['image', 'text']);
    expect(delivered[0]!.attachment?.file).toMatchObject({ name: photoName, contentType: 'image/jpeg' });
    expect(delivered[0]!.attachment?.file?.bytes).toEqual(photo);
    expect(delivered[1]!.text).toBe(`Aqui está ${customerText}`);
    expect(graph.violations).toEqual([]);

    // a chat of another agent (or none) gets no upload URL; a file over Messenger's 25 MB neither
    agent.send({ action: 'upload', requestId: 'u2', chatId: 'no-such-chat', name: 'a.pdf', contentType: 'application/pdf', size: 10 });
    expect(await agent.next('error', 10_000)).toMatchObject({ code: 'not_your_chat', requestId: 'u2' });
    expect(await upload(chatId, 'u3', 25 * 1024 * 1024 + 1)).toMatchObject({ type: 'error', code: 'file_too_large', details: [{ field: 'size' }] });

    // typing: one typing_on per 5 s however often the agent types; seen marks the chat seen
    for (let i = 0; i < 5; i += 1) agent.send({ action: 'typing', chatId });
    agent.send({ action: 'seen', chatId });
    await eventually(() => expect(graph.senderActions.filter((a) => a.recipientId === '7000000101').map((a) => a.action).sort()).toEqual(['mark_seen', 'typing_on']));
    await new Promise((r) => setTimeout(r, 1000));
    expect(graph.senderActions.filter((a) => a.recipientId === '7000000101' && a.action === 'typing_on')).toHaveLength(1);
    agent.send({ action: 'close', chatId });
  }, 90_000);

  it('sends the photo to Telegram with sendPhoto, and limits typing to one sendChatAction per chat per 5 s', async () => {
    const chatId = await chatFrom(() => postTelegram(local.baseUrl, telegramChannel, secretToken, telegramText({ updateId: 880001, chatId: 990001 })));
    const reply = await upload(chatId, 't1');
    expect((await fetch(String(reply.url), { method: 'PUT', headers: reply.headers as Record<string, string>, body: photo })).status).toBe(200);
    const { status } = await sendAndWait(chatId, reply.attachment);
    expect(status).toMatchObject({ status: 'sent' });
    expect(telegram.files).toEqual([expect.objectContaining({ method: 'sendPhoto', chatId: '990001', name: photoName, contentType: 'image/jpeg', bytes: photo })]);
    expect(telegram.sent.filter((m) => m.chatId === '990001')).toEqual([]);

    for (let i = 0; i < 4; i += 1) agent.send({ action: 'typing', chatId });
    await eventually(() => expect(telegram.chatActions.filter((a) => a.chatId === '990001')).toHaveLength(1));
    await new Promise((r) => setTimeout(r, 5200));
    agent.send({ action: 'typing', chatId });
    agent.send({ action: 'seen', chatId }); // Telegram has no seen: nothing is called
    await eventually(() => expect(telegram.chatActions.filter((a) => a.chatId === '990001').map((a) => a.action)).toEqual(['typing', 'typing']));
    expect(telegram.violations).toEqual([]);
    agent.send({ action: 'close', chatId });
  }, 90_000);

  it('refuses customers’ attachments politely on a channel that takes none, still delivering the text, and agents’ uploads where turned off', async () => {
    const refusal = 'Desculpe, não recebemos anexos aqui 🙏 — escreva-nos, por favor.';
    expect((await local.api('PUT', `/api/channels/${messengerChannel}/automated-messages`, { languages: { default: { attachmentRefused: refusal } }, allAgentsBusyAfterSeconds: null }, admin)).status).toBe(200);
    const patched = await local.api('PATCH', `/api/channels/${messengerChannel}`, { customerAttachments: false, agentAttachments: false }, admin);
    expect(patched.body).toMatchObject({ customerAttachments: false, agentAttachments: false });

    const psid = '7000000202';
    const chatId = await chatFrom(() => postMessenger(local.baseUrl, appId, appSecret, messengerText({ pageId, psid, text: 'Olá 👋' })));
    const body = messengerText({ pageId, psid, text: `Veja a foto ${customerText}` }) as { entry: { messaging: { message: Record<string, unknown> }[] }[] };
    body.entry[0]!.messaging[0]!.message.attachments = [{ type: 'image', payload: { url: 'https://scontent.example.net/v/photo.jpg?oh=1' } }];
    expect((await postMessenger(local.baseUrl, appId, appSecret, body)).status).toBe(200);

    // the agent gets the text alone; the customer gets the polite reply
    for (;;) {
      const frame = await agent.next('message', 15_000);
      const message = frame.message as { direction: string; text?: string; attachments?: unknown };
      if (message.direction !== 'in') continue;
      expect(message.text).toBe(`Veja a foto ${customerText}`);
      expect(message.attachments).toBeUndefined();
      break;
    }
    await eventually(() => expect(graph.sent.filter((m) => m.recipientId === psid).map((m) => m.text)).toContain(refusal), 15_000);

    agent.send({ action: 'upload', requestId: 'off', chatId, name: photoName, contentType: 'image/jpeg', size: photo.length });
    expect(await agent.next('error', 10_000)).toMatchObject({ code: 'attachments_disabled', requestId: 'off' });

    // a new customer whose first message is a photo alone is answered too: the chat opens with a message saying what was refused
    const photoOnly = messengerText({ pageId, psid: '7000000203', text: 'unused' }) as { entry: { messaging: { message: Record<string, unknown> }[] }[] };
    delete photoOnly.entry[0]!.messaging[0]!.message.text;
    photoOnly.entry[0]!.messaging[0]!.message.attachments = [
      { type: 'image', payload: { url: 'https://scontent.example.net/v/a.jpg?oh=2' } },
      { type: 'image', payload: { url: 'https://scontent.example.net/v/b.jpg?oh=3' } },
    ];
    const photoChat = await chatFrom(() => postMessenger(local.baseUrl, appId, appSecret, photoOnly));
    const kept = await local.api('GET', `/api/chats/${photoChat}`, undefined, admin);
    const inbound = (kept.body as { messages: { direction: string; text?: string; attachments?: unknown; refusedAttachments?: number }[] }).messages.filter((m) => m.direction === 'in');
    expect(inbound).toEqual([expect.objectContaining({ refusedAttachments: 2 })]);
    expect(inbound[0]?.text).toBeUndefined();
    expect(inbound[0]?.attachments).toBeUndefined();
    await eventually(() => expect(graph.sent.filter((m) => m.recipientId === '7000000203').map((m) => m.text)).toContain(refusal), 15_000);
    agent.send({ action: 'close', chatId: photoChat });
  }, 90_000);
});
