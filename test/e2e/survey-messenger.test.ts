import { randomUUID } from 'node:crypto';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { eventually, startLocalRuntime, type AgentSocket, type LocalRuntime } from '../support/runtime';
import { messengerText, postMessenger } from '../support/webhooks';

/**
 * The satisfaction survey on the local runtime against a fake Graph API: a closed Messenger chat
 * sends the question as the Page with the scale as quick replies (RESPONSE, never a tag); the
 * customer's tap arrives as a signed webhook quick reply, is stored on the closed chat (no new
 * chat), publishes ChatRated and is thanked; a later text opens a new chat. A chat closed after
 * the customer's 24-hour window gets no survey: the sender refuses it without trying a tag.
 */
const appId = '515151515151515';
const appSecret = 'app-secret-for-survey-tests-0123';
const pageId = '109988776655443';
const pageToken = 'EAAG-page-token-for-survey-tests';
const marta = '7215550000011111';
const joao = '7215550000022222';
const hour = 3600_000;

const question = 'Como correu o atendimento? 😀 Escolha de 1 a 5';
const thankYou = 'Obrigado pela avaliação! 🙏🏽 🇵🇹';

interface ChatRead {
  state: string;
  customer: { id: string };
  survey?: { rating: number; comment?: string; answeredAt: string };
  messages: { direction: string; text?: string; payload?: string; status: string; error?: string }[];
}

describe('a satisfaction survey after a Messenger chat', () => {
  let local: LocalRuntime;
  let graph: FakeGraph;
  let admin: string;
  let agent: AgentSocket;
  let channelId: string;
  let queueId: string;
  let chatId: string;

  const post = (body: unknown) => postMessenger(local.baseUrl, appId, appSecret, body);
  /** The customer taps a quick reply: Meta sends its title as the text and its payload under `quick_reply`. */
  const tap = (psid: string, title: string, payload: string, mid: string) => {
    const body = messengerText({ pageId, psid, text: title, mid }) as { entry: { messaging: { message: Record<string, unknown> }[] }[] };
    body.entry[0]!.messaging[0]!.message.quick_reply = { payload };
    return post(body);
  };
  const read = async (id: string): Promise<ChatRead> => {
    const r = await local.api('GET', `/api/chats/${id}`, undefined, admin);
    expect(r.status).toBe(200);
    return r.body as ChatRead;
  };
  const chatsOf = async (psid: string) => (await local.events('ChatCreated')).filter((e) => JSON.stringify(e.detail).includes(psid));
  const sentTo = (psid: string) => graph.sent.filter((m) => m.recipientId === psid);

  /** A customer writes, the agent takes the chat (and replies when told to); resolves with the chat id. */
  const takeChat = async (psid: string, text: string, timestamp?: number, reply?: string): Promise<string> => {
    expect((await post(messengerText({ pageId, psid, text, ...(timestamp !== undefined ? { timestamp } : {}) }))).status).toBe(200);
    const offered = await agent.next('chatOffered', 15_000);
    const id = (offered.chat as { id: string }).id;
    agent.send({ action: 'accept', chatId: id });
    await agent.next('chatAssigned', 15_000);
    if (reply !== undefined) {
      agent.send({ action: 'send', chatId: id, text: reply, clientMessageId: randomUUID() });
      await agent.next('sent', 15_000);
      await eventually(async () => sentTo(psid).find((m) => m.text === reply), 15_000);
    }
    return id;
  };
  const close = async (id: string) => {
    agent.send({ action: 'close', chatId: id });
    const closed = await agent.next('chatClosed', 15_000);
    expect(closed.chatId ?? (closed.chat as { id?: string } | undefined)?.id).toBe(id);
  };

  beforeAll(async () => {
    graph = await startFakeGraph({ pages: { [pageId]: { name: 'Loja Acme 🛒', token: pageToken } } });
    local = await startLocalRuntime({ env: { GRAPH_API_URL: graph.url } });
    admin = await local.token('admin', ['chat-admins'], 'Admin');
    expect((await local.api('POST', '/api/messenger-apps', { appId, appSecret }, admin)).status).toBe(201);
    const queue = await local.api('POST', '/api/queues', { name: 'Apoio', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: ['alice'], groups: [] } }, admin);
    expect(queue.status).toBe(201);
    queueId = (queue.body as { id: string }).id;
    const channel = await local.api('POST', '/api/channels', { type: 'messenger', appId, pageId, pageAccessToken: pageToken }, admin);
    expect(channel.status).toBe(201);
    channelId = (channel.body as { id: string }).id;
    // the channel lets agents answer with the HUMAN_AGENT tag: the survey must still never use it
    const linked = await local.api('PATCH', `/api/channels/${channelId}`, { queueId, active: true, language: 'pt', humanAgentTag: true }, admin);
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({ active: true, language: 'pt', humanAgentTag: true });
    const survey = { enabled: true, scale: '1-5', questions: { default: 'How did we do?', pt: question }, thankYou: { default: 'Thank you!', pt: thankYou } };
    expect((await local.api('PUT', `/api/channels/${channelId}/survey`, survey, admin)).status).toBe(200);
    expect((await local.api('PUT', '/api/agents/alice', { displayName: 'Alice', groups: ['agents'] }, admin)).status).toBe(200);
    agent = await local.connectAgent(await local.token('alice', ['agents'], 'Alice'));
    agent.send({ action: 'setStatus', status: 'active' });
    await agent.next('statusChanged');
  }, 90_000);

  afterAll(async () => {
    await agent?.close();
    await local?.stop();
    await graph?.stop();
  });

  it('sends the question as the Page with quick replies 1–5 carrying CSAT:<chatId>:<rating>, as a RESPONSE without a tag', async () => {
    chatId = await takeChat(marta, 'Olá! A minha encomenda 📦 não chegou 👨‍👩‍👧', undefined, 'Vou verificar já 👍🏽');
    await close(chatId);
    // then
    const asked = await eventually(async () => sentTo(marta).find((m) => m.quickReplies !== undefined), 15_000);
    expect(asked).toEqual({
      pageId,
      recipientId: marta,
      messagingType: 'RESPONSE',
      text: question,
      quickReplies: [1, 2, 3, 4, 5].map((n) => ({ content_type: 'text', title: String(n), payload: `CSAT:${chatId}:${n}` })),
      messageId: expect.any(String),
    });
    expect(asked).not.toHaveProperty('tag');
    const post = graph.requests.find((r) => r.method === 'POST' && JSON.stringify(r.body).includes('quick_replies'));
    expect(post?.body).not.toHaveProperty('tag');
    expect(post?.token).toBe(pageToken);
    expect(graph.violations).toEqual([]);
    const stored = await eventually(async () => (await read(chatId)).messages.find((m) => m.text === question && m.status === 'sent'), 15_000);
    expect(stored.direction).toBe('out');
  }, 60_000);

  it('stores a tap of 4 on the closed chat once, publishes ChatRated, thanks the customer and opens no chat', async () => {
    // when the customer taps 4, and Meta delivers the webhook twice
    const mid = `m_csat_${randomUUID()}`;
    expect((await tap(marta, '4', `CSAT:${chatId}:4`, mid)).status).toBe(200);
    expect((await tap(marta, '4', `CSAT:${chatId}:4`, mid)).status).toBe(200);
    // then
    const rated = await eventually(async () => {
      const chat = await read(chatId);
      return chat.survey ? chat : undefined;
    }, 15_000);
    expect(rated).toMatchObject({ state: 'closed', survey: { rating: 4, answeredAt: expect.any(String) } });
    expect(rated.survey).not.toHaveProperty('comment');
    const thanks = await eventually(async () => sentTo(marta).find((m) => m.text === thankYou), 15_000);
    expect(thanks).toMatchObject({ messagingType: 'RESPONSE' });
    expect(thanks).not.toHaveProperty('tag');
    expect(thanks).not.toHaveProperty('quickReplies');
    await eventually(async () => ((await local.events('ChatRated')).length === 1 ? true : undefined));
    expect((await local.events('ChatRated'))[0]?.detail).toEqual({ chatId, channelId, queueId, agentId: 'alice', rating: 4, scale: '1-5' });
    // the tap joins the closed chat's history once
    const after = await read(chatId);
    expect(after.messages.filter((m) => m.payload === `CSAT:${chatId}:4`)).toEqual([expect.objectContaining({ direction: 'in', text: '4' })]);
    // a second tap changes nothing and thanks no one again
    expect((await tap(marta, '1', `CSAT:${chatId}:1`, `m_csat_${randomUUID()}`)).status).toBe(200);
    await eventually(async () => ((await read(chatId)).messages.some((m) => m.payload === `CSAT:${chatId}:1`) ? true : undefined), 15_000);
    expect((await read(chatId)).survey).toMatchObject({ rating: 4 });
    await new Promise((r) => setTimeout(r, 1000));
    expect(sentTo(marta).filter((m) => m.text === thankYou)).toHaveLength(1);
    expect(await local.events('ChatRated')).toHaveLength(1);
    expect(await chatsOf(marta)).toHaveLength(1);
    expect(agent.frames.filter((f) => (f as { type?: string }).type === 'chatOffered')).toHaveLength(1);
    expect(graph.violations).toEqual([]);
  }, 60_000);

  it('opens a new chat when the customer then writes a plain text', async () => {
    // when
    expect((await post(messengerText({ pageId, psid: marta, text: 'Outra pergunta: posso trocar o tamanho? 🇵🇹 𝕳' }))).status).toBe(200);
    // then
    const offered = await agent.next('chatOffered', 15_000);
    const second = offered.chat as { id: string; customer: { id: string } };
    expect(second.id).not.toBe(chatId);
    expect(second.customer.id).toBe(marta);
    expect(await chatsOf(marta)).toHaveLength(2);
    expect((await read(chatId)).survey).toMatchObject({ rating: 4 });
    agent.send({ action: 'accept', chatId: second.id });
    await agent.next('chatAssigned', 15_000);
    await close(second.id);
    // the second chat has its own survey, with its own payloads
    const asked = await eventually(async () => sentTo(marta).find((m) => m.quickReplies !== undefined && m.quickReplies[0]?.payload === `CSAT:${second.id}:1`), 15_000);
    expect(asked).toMatchObject({ messagingType: 'RESPONSE', text: question });
    expect(graph.violations).toEqual([]);
  }, 60_000);

  it('sends no survey for a chat closed after the customer’s 24-hour window, even where agents may use the HUMAN_AGENT tag', async () => {
    // given a customer who last wrote 25 hours ago; the agent may still answer, tagged
    const id = await takeChat(joao, 'Boa noite, preciso de ajuda com a fatura 🧾', Date.now() - 25 * hour, 'Desculpe a demora 🙏🏽');
    expect(sentTo(joao)).toEqual([expect.objectContaining({ messagingType: 'MESSAGE_TAG', tag: 'HUMAN_AGENT', text: 'Desculpe a demora 🙏🏽' })]);
    // when the agent closes the chat
    await close(id);
    // then the survey is refused before it reaches Meta, and kept as failed with the reason
    const refused = await eventually(async () => (await read(id)).messages.find((m) => m.text === question && m.status === 'failed'), 15_000);
    expect(refused.direction).toBe('out');
    expect(refused.error).toMatch(/24 hours/);
    await new Promise((r) => setTimeout(r, 1000));
    expect(sentTo(joao)).toHaveLength(1);
    expect(graph.sent.filter((m) => m.tag !== undefined && m.quickReplies !== undefined)).toEqual([]);
    expect(graph.violations).toEqual([]);
    expect((await read(id)).survey).toBeUndefined();
  }, 60_000);
});
