import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram';
import { eventually, startLocalRuntime, type AgentSocket, type LocalRuntime } from '../support/runtime';
import { messengerText, postMessenger } from '../support/webhooks';

/**
 * Automated messages through the local runtime: a Telegram chat is greeted by the bot and, when
 * its agent closes it, gets the closing message in the customer's language, before the survey;
 * a Messenger chat closed by a supervisor gets the Page's closing message. A transfer sends none.
 */
const botToken = '7000000077:AAHautomatedBotTokenValue_01234567';
const appId = '626262626262626';
const appSecret = 'app-secret-for-automated-tests-01';
const pageId = '118877665544332';
const pageToken = 'EAAG-page-token-for-automated-tests';

const texts = {
  default: { greeting: 'Hello! 👋 An agent will be with you shortly.', closing: 'Thanks for writing! 👋' },
  uk: { greeting: 'Вітаємо! 👋 Оператор скоро відповість.', closing: 'Дякуємо за звернення! 💙💛 Гарного дня.' },
  ja: { greeting: 'こんにちは！😀 担当者がすぐに対応します。', closing: 'お問い合わせありがとうございました！🙇‍♀️🌸' },
  pt: { greeting: 'Olá! 👋🏽 Um agente já responde.', closing: 'Obrigado pelo contacto! 🇵🇹 Até breve.' },
};

describe('automated messages on Telegram and Messenger', () => {
  let local: LocalRuntime;
  let telegram: FakeTelegram;
  let graph: FakeGraph;
  let admin: string;
  let supervisor: string;
  let alice: AgentSocket;
  let tgChannel: string;
  let fbChannel: string;
  let secretToken: string;
  let updateId = 771000000;

  const tgPost = (update: Record<string, unknown>) =>
    fetch(`${local.baseUrl}/webhooks/telegram/${tgChannel}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secretToken },
      body: JSON.stringify({ update_id: ++updateId, ...update }),
    });
  const tgWrites = (customerId: number, languageCode: string, text: string) =>
    tgPost({
      message: {
        message_id: updateId,
        from: { id: customerId, is_bot: false, first_name: 'Customer', language_code: languageCode },
        chat: { id: customerId, first_name: 'Customer', type: 'private' },
        date: Math.floor(Date.now() / 1000),
        text,
      },
    });
  const sentToTelegram = (customerId: number) => telegram.sent.filter((m) => m.chatId === String(customerId)).map((m) => m.text);
  const sentToMessenger = (psid: string) => graph.sent.filter((m) => m.recipientId === psid).map((m) => m.text);

  /** The next offer to alice: accepted; resolves with the chat id. */
  const takeOffer = async (): Promise<string> => {
    const offered = await alice.next('chatOffered', 20_000);
    const chatId = (offered.chat as { id: string }).id;
    alice.send({ action: 'accept', chatId });
    await alice.next('chatAssigned', 20_000);
    return chatId;
  };

  beforeAll(async () => {
    telegram = await startFakeTelegram({ bots: { [botToken]: { id: 7000000077, username: 'acme_auto_bot', first_name: 'Acme' } } });
    graph = await startFakeGraph({ pages: { [pageId]: { name: 'Loja Acme 🛒', token: pageToken } } });
    local = await startLocalRuntime({ env: { TELEGRAM_API_URL: telegram.url, GRAPH_API_URL: graph.url } });
    admin = await local.token('admin', ['chat-admins'], 'Admin');
    supervisor = await local.token('sam', ['supervisors'], 'Sam');
    const queue = await local.api('POST', '/api/queues', { name: 'Support', routingRule: 'available-agent', members: { users: ['alice'], groups: [] } }, admin);
    expect(queue.status).toBe(201);
    const queueId = (queue.body as { id: string }).id;
    expect((await local.api('PUT', '/api/agents/alice', { displayName: 'Alice', groups: ['agents'], simultaneousChats: 5 }, admin)).status).toBe(200);
    expect((await local.api('PATCH', '/api/settings', { siteUrl: 'https://chat.example.com' }, admin)).status).toBe(200);
    // Telegram: the chat's language is the customer's
    tgChannel = ((await local.api('POST', '/api/channels', { type: 'telegram', botToken }, admin)).body as { id: string }).id;
    secretToken = telegram.webhooks.get(botToken)?.secretToken ?? '';
    expect((await local.api('PATCH', `/api/channels/${tgChannel}`, { queueId, active: true }, admin)).status).toBe(200);
    const automated = { languages: { default: texts.default, uk: texts.uk, ja: texts.ja }, allAgentsBusyAfterSeconds: null };
    const put = await local.api('PUT', `/api/channels/${tgChannel}/automated-messages`, automated, admin);
    expect(put.status).toBe(200);
    const survey = { enabled: true, scale: 'thumbs', questions: { default: 'How did we do?', uk: 'Як ми впоралися? 🙂' }, thankYou: { default: 'Thanks!' } };
    expect((await local.api('PUT', `/api/channels/${tgChannel}/survey`, survey, admin)).status).toBe(200);
    // Messenger: the channel's language is Portuguese
    expect((await local.api('POST', '/api/messenger-apps', { appId, appSecret }, admin)).status).toBe(201);
    fbChannel = ((await local.api('POST', '/api/channels', { type: 'messenger', appId, pageId, pageAccessToken: pageToken }, admin)).body as { id: string }).id;
    expect((await local.api('PATCH', `/api/channels/${fbChannel}`, { queueId, active: true, language: 'pt' }, admin)).status).toBe(200);
    expect((await local.api('PUT', `/api/channels/${fbChannel}/automated-messages`, { languages: { pt: texts.pt }, allAgentsBusyAfterSeconds: null }, admin)).status).toBe(200);
    alice = await local.connectAgent(await local.token('alice', ['agents'], 'Alice'));
    alice.send({ action: 'setStatus', status: 'active' });
    await alice.next('statusChanged');
  }, 120_000);

  afterAll(async () => {
    await alice?.close();
    await local?.stop();
    await telegram?.stop();
    await graph?.stop();
  });

  it('keeps the attachmentRefused text with the others and refuses an unknown kind naming it', async () => {
    const bad = await local.api('PUT', `/api/channels/${tgChannel}/automated-messages`, { languages: { uk: { farewell: 'Бувайте' } }, allAgentsBusyAfterSeconds: null }, admin);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('farewell');
    const withRefusal = {
      languages: { default: texts.default, uk: { ...texts.uk, attachmentRefused: 'Вибачте, цей файл ми не можемо прийняти 📎🚫' }, ja: texts.ja },
      allAgentsBusyAfterSeconds: null,
    };
    expect((await local.api('PUT', `/api/channels/${tgChannel}/automated-messages`, withRefusal, admin)).status).toBe(200);
    expect((await local.api('GET', `/api/channels/${tgChannel}/automated-messages`, undefined, admin)).body).toEqual(withRefusal);
  });

  it('greets a Telegram customer as the bot and, when the agent closes, says goodbye in their language before the survey', async () => {
    const olena = 51000001;
    expect((await tgWrites(olena, 'uk', 'Добрий день! Де моє замовлення? 📦')).status).toBe(200);
    const chatId = await takeOffer();
    await eventually(async () => (sentToTelegram(olena).includes(texts.uk.greeting) ? true : undefined), 15_000);
    alice.send({ action: 'send', chatId, text: 'Перевіряю 👍🏽', clientMessageId: 'uk-1' });
    await alice.next('sent', 15_000);
    // when
    alice.send({ action: 'close', chatId });
    expect(await alice.next('chatClosed', 15_000)).toMatchObject({ chatId, reason: 'agent' });
    // then: greeting, reply, closing, survey, in that order, each once
    await eventually(async () => (sentToTelegram(olena).length >= 4 ? true : undefined), 20_000);
    expect(sentToTelegram(olena)).toEqual([texts.uk.greeting, 'Перевіряю 👍🏽', texts.uk.closing, 'Як ми впоралися? 🙂']);
    // the history shows them as the bot's (no agent)
    const read = await local.api('GET', `/api/chats/${chatId}`, undefined, admin);
    const messages = (read.body as { messages: { direction: string; text?: string; agentId?: string; status: string }[] }).messages;
    expect(messages.filter((m) => m.text === texts.uk.closing)).toEqual([expect.objectContaining({ direction: 'out', status: 'sent' })]);
    expect(messages.find((m) => m.text === texts.uk.closing)?.agentId).toBeUndefined();
  }, 90_000);

  it('speaks Japanese to a Japanese customer, and sends no closing message on a transfer', async () => {
    const haruto = 51000002;
    expect((await tgWrites(haruto, 'ja', '注文について質問があります 🙏')).status).toBe(200);
    const chatId = await takeOffer();
    await eventually(async () => (sentToTelegram(haruto).includes(texts.ja.greeting) ? true : undefined), 15_000);
    // a transfer back to the queue: the conversation goes on, no goodbye
    const queueId = ((await local.api('GET', `/api/chats/${chatId}`, undefined, admin)).body as { queueId: string }).queueId;
    alice.send({ action: 'transfer', chatId, queueId });
    expect(await alice.next('chatClosed', 15_000)).toMatchObject({ chatId, reason: 'transfer' });
    const again = await takeOffer();
    expect(again).toBe(chatId);
    alice.send({ action: 'close', chatId });
    expect(await alice.next('chatClosed', 15_000)).toMatchObject({ chatId, reason: 'agent' });
    await eventually(async () => (sentToTelegram(haruto).includes(texts.ja.closing) ? true : undefined), 20_000);
    // greeting once, closing once (the customer's language has no survey question: the default one follows)
    await eventually(async () => (sentToTelegram(haruto).length >= 3 ? true : undefined), 20_000);
    expect(sentToTelegram(haruto)).toEqual([texts.ja.greeting, texts.ja.closing, 'How did we do?']);
  }, 90_000);

  it('sends the Page’s closing message when a supervisor closes a Messenger chat', async () => {
    const psid = '7215550000033333';
    expect((await postMessenger(local.baseUrl, appId, appSecret, messengerText({ pageId, psid, text: 'Olá! A minha encomenda? 😀' }))).status).toBe(200);
    const chatId = await takeOffer();
    await eventually(async () => (sentToMessenger(psid).includes(texts.pt.greeting) ? true : undefined), 15_000);
    // when
    const closed = await local.api('POST', `/api/chats/${chatId}/close`, { reason: 'cliente satisfeito' }, supervisor);
    expect(closed.status).toBe(200);
    expect(await alice.next('chatClosed', 15_000)).toMatchObject({ chatId, reason: 'supervisor' });
    // then
    await eventually(async () => (sentToMessenger(psid).includes(texts.pt.closing) ? true : undefined), 20_000);
    expect(sentToMessenger(psid)).toEqual([texts.pt.greeting, texts.pt.closing]);
    const closing = graph.sent.find((m) => m.text === texts.pt.closing);
    expect(closing).toMatchObject({ messagingType: 'RESPONSE' });
    expect(closing?.tag).toBeUndefined();
  }, 90_000);
});
