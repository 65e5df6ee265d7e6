import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram';
import { eventually, startLocalRuntime, type AgentSocket, type LocalRuntime } from '../support/runtime';

/**
 * The satisfaction survey on the local runtime against a fake Bot API: a closed chat sends the
 * question with an inline keyboard, the customer's tap is stored on the closed chat (no new chat),
 * a comment follows, anything else opens a chat; the reports count it, as JSON and CSV.
 */
const botToken = '7000000002:AAHsurveyBotTokenValue_0123456789';
const customerId = 48291077;

describe('a satisfaction survey after a Telegram chat', () => {
  let local: LocalRuntime;
  let telegram: FakeTelegram;
  let admin: string;
  let agent: AgentSocket;
  let channelId: string;
  let queueId: string;
  let secretToken: string;
  let chatId: string;
  let updateId = 905000000;

  const post = (update: Record<string, unknown>) =>
    fetch(`${local.baseUrl}/webhooks/telegram/${channelId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secretToken },
      body: JSON.stringify({ update_id: ++updateId, ...update }),
    });
  const from = { id: customerId, is_bot: false, first_name: 'Marta', last_name: 'Silva', language_code: 'pt' };
  const chat = { id: customerId, first_name: 'Marta', type: 'private' };
  const customerWrites = (text: string) => post({ message: { message_id: updateId, from, chat, date: Math.floor(Date.now() / 1000), text } });
  const customerTaps = (data: string, callbackId: string) =>
    post({
      callback_query: {
        id: callbackId,
        from,
        message: { message_id: 1, from: { id: 7000000002, is_bot: true, first_name: 'Acme' }, chat, date: Math.floor(Date.now() / 1000), text: 'Como correu?' },
        chat_instance: '-1',
        data,
      },
    });

  beforeAll(async () => {
    telegram = await startFakeTelegram({ bots: { [botToken]: { id: 7000000002, username: 'acme_survey_bot', first_name: 'Acme' } } });
    local = await startLocalRuntime({ env: { TELEGRAM_API_URL: telegram.url } });
    admin = await local.token('admin', ['chat-admins'], 'Admin');
    const queue = await local.api('POST', '/api/queues', { name: 'Support', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: ['alice'], groups: [] } }, admin);
    queueId = (queue.body as { id: string }).id;
    expect(queue.body).toMatchObject({ serviceLevelSeconds: 60 });
    expect((await local.api('PUT', '/api/agents/alice', { displayName: 'Alice', groups: ['agents'] }, admin)).status).toBe(200);
    expect((await local.api('PATCH', '/api/settings', { siteUrl: 'https://chat.example.com' }, admin)).status).toBe(200);
    const created = await local.api('POST', '/api/channels', { type: 'telegram', botToken }, admin);
    channelId = (created.body as { id: string }).id;
    secretToken = telegram.webhooks.get(botToken)?.secretToken ?? '';
    expect((await local.api('PATCH', `/api/channels/${channelId}`, { queueId, active: true }, admin)).status).toBe(200);
    agent = await local.connectAgent(await local.token('alice', ['agents'], 'Alice'));
    agent.send({ action: 'setStatus', status: 'active' });
    await agent.next('statusChanged');
  }, 90_000);

  afterAll(async () => {
    await agent?.close();
    await local?.stop();
    await telegram?.stop();
  });

  it('keeps a channel’s survey and refuses a bad one naming the field', async () => {
    const bad = await local.api('PUT', `/api/channels/${channelId}/survey`, { enabled: true, scale: 'stars', questions: {}, thankYou: {} }, admin);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('scale');
    const survey = {
      enabled: true,
      scale: '1-5',
      questions: { default: 'How did we do?', pt: 'Como correu? 😀 Escolha de 1 a 5' },
      commentPrompt: { default: 'Anything to add?', pt: 'Quer acrescentar algo? ✍️' },
      thankYou: { default: 'Thank you!', pt: 'Obrigado! 🙏🏽' },
    };
    const put = await local.api('PUT', `/api/channels/${channelId}/survey`, survey, admin);
    expect(put.status).toBe(200);
    expect((await local.api('GET', `/api/channels/${channelId}/survey`, undefined, admin)).body).toEqual(survey);
  });

  it('sends the question with buttons 1–5 when the agent closes the chat', async () => {
    expect((await customerWrites('Olá! A minha encomenda 📦 não chegou')).status).toBe(200);
    const offered = await agent.next('chatOffered', 15_000);
    chatId = (offered.chat as { id: string }).id;
    agent.send({ action: 'accept', chatId });
    await agent.next('chatAssigned', 15_000);
    agent.send({ action: 'send', chatId, text: 'Vou verificar já 👍', clientMessageId: 'r1' });
    await agent.next('sent', 15_000);
    agent.send({ action: 'close', chatId });
    await agent.next('chatClosed', 15_000);
    // then
    const question = await eventually(async () => telegram.sent.find((m) => m.keyboard !== undefined));
    expect(question.text).toBe('Como correu? 😀 Escolha de 1 a 5');
    expect(question.keyboard).toEqual([[1, 2, 3, 4, 5].map((n) => ({ text: String(n), callback_data: `CSAT:${chatId}:${n}` }))]);
  }, 60_000);

  it('stores a tap of 4 on the closed chat, publishes ChatRated, thanks the customer and opens no chat', async () => {
    // when the customer taps 4 (Telegram may deliver the update twice)
    expect((await customerTaps(`CSAT:${chatId}:4`, 'cb-4')).status).toBe(200);
    // then
    const read = await eventually(async () => {
      const r = await local.api('GET', `/api/chats/${chatId}`, undefined, admin);
      return (r.body as { survey?: unknown }).survey ? r : undefined;
    });
    expect(read.body).toMatchObject({ state: 'closed', survey: { rating: 4, answeredAt: expect.any(String) } });
    await eventually(async () => ((await local.events('ChatRated')).length === 1 ? true : undefined));
    expect((await local.events('ChatRated'))[0]?.detail).toMatchObject({ chatId, channelId, queueId, agentId: 'alice', rating: 4, scale: '1-5' });
    await eventually(async () => telegram.sent.find((m) => m.text === 'Obrigado! 🙏🏽'));
    await eventually(async () => telegram.sent.find((m) => m.text === 'Quer acrescentar algo? ✍️'));
    expect(telegram.answeredCallbacks).toContain('cb-4');
    // a second tap changes nothing
    expect((await customerTaps(`CSAT:${chatId}:1`, 'cb-1')).status).toBe(200);
    await eventually(async () => (telegram.answeredCallbacks.includes('cb-1') ? true : undefined));
    expect((await local.api('GET', `/api/chats/${chatId}`, undefined, admin)).body).toMatchObject({ survey: { rating: 4 } });
    expect(await local.events('ChatCreated')).toHaveLength(1);
    expect(await local.events('ChatRated')).toHaveLength(1);
  }, 60_000);

  it('stores the next text as the comment, and the text after it opens a new chat', async () => {
    expect((await customerWrites('Foi rápido, obrigado 👍🏽 𝕳')).status).toBe(200);
    const commented = await eventually(async () => {
      const r = await local.api('GET', `/api/chats/${chatId}`, undefined, admin);
      return (r.body as { survey?: { comment?: string } }).survey?.comment ? r : undefined;
    });
    expect(commented.body).toMatchObject({ survey: { rating: 4, comment: 'Foi rápido, obrigado 👍🏽 𝕳' } });
    expect(await local.events('ChatCreated')).toHaveLength(1);
    // when the customer writes again
    expect((await customerWrites('Outra pergunta 🇵🇹')).status).toBe(200);
    // then a new chat is offered
    const offered = await agent.next('chatOffered', 15_000);
    expect((offered.chat as { id: string }).id).not.toBe(chatId);
    expect(await local.events('ChatCreated')).toHaveLength(2);
  }, 60_000);

  it('counts the chats and the rating in the queue report, as JSON and as CSV, for supervisors only', async () => {
    const fromIso = new Date(Date.now() - 3600_000).toISOString();
    const toIso = new Date(Date.now() + 3600_000).toISOString();
    const path = `/api/reports/queues?from=${encodeURIComponent(fromIso)}&to=${encodeURIComponent(toIso)}&granularity=day&queueId=${queueId}`;
    const supervisor = await local.token('sam', ['supervisors'], 'Sam');
    const json = await eventually(async () => {
      const r = await local.api('GET', path, undefined, supervisor);
      const rows = (r.body as { rows?: { created: number; csat: { responses: number } }[] }).rows ?? [];
      return rows.reduce((n, row) => n + row.csat.responses, 0) === 1 ? r : undefined;
    });
    const rows = (json.body as { rows: Record<string, unknown>[] }).rows;
    const total = (field: string) => rows.reduce((n, row) => n + (row[field] as number), 0);
    expect(total('created')).toBe(2);
    expect(total('accepted')).toBe(1);
    expect(total('abandoned')).toBe(0);
    expect(total('messagesOut')).toBe(1);
    expect(rows.find((r) => (r.csat as { responses: number }).responses === 1)).toMatchObject({ queueId, csat: { responses: 1, average: 4 }, serviceLevel: { answeredWithin: 1, share: 1 } });
    // CSV
    const csv = await fetch(`${local.baseUrl}${path}`, { headers: { authorization: `Bearer ${supervisor}`, accept: 'text/csv' } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toMatch(/^start,queueId,created,offered,accepted,missed,abandoned,transferred,waitP50,waitP90,waitMax,/);
    expect(lines.slice(1).some((l) => l.includes(`,${queueId},`) && l.split(',')[18] === '4')).toBe(true);
    // an agent may not read reports; a supervisor may not change queues
    expect((await local.api('GET', path, undefined, await local.token('alice', ['agents'], 'Alice'))).status).toBe(403);
    expect((await local.api('PATCH', `/api/queues/${queueId}`, { serviceLevelSeconds: 30 }, supervisor)).status).toBe(403);
    const patched = await local.api('PATCH', `/api/queues/${queueId}`, { serviceLevelSeconds: 30 }, admin);
    expect(patched.body).toMatchObject({ serviceLevelSeconds: 30 });
  }, 60_000);
});
