import { signMetaBody } from '../../functions/domain/signature';
import { graphErrors, startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { eventually, startLocalRuntime, type AgentSocket, type LocalRuntime } from '../support/runtime';

/**
 * Messenger's platform rules on the local runtime, against a fake Graph API that checks every
 * request: profiles, receipts, echoes, the handover protocol with a bot, tokens Meta rejects,
 * rate limits, attachments.
 */
const appId = '444555666777888';
const botAppId = '1517776481860111';
const appSecret = 'platform-e2e-secret-0123456789';
const pageId = '105123456789012';
const pageToken = 'EAAG-platform-e2e-token';

type Frame = Record<string, unknown>;

describe('Messenger platform rules, end to end', () => {
  let local: LocalRuntime;
  let graph: FakeGraph;
  let admin: string;
  let agent: AgentSocket;
  let channelId: string;
  let clock = Date.now();

  /** Posts one signed webhook with a single event, in `messaging` or `standby`. */
  const post = async (customer: string, fields: Record<string, unknown>, standby = false) => {
    clock += 1000;
    const event = { sender: { id: customer }, recipient: { id: pageId }, timestamp: clock, ...fields };
    const body = JSON.stringify({ object: 'page', entry: [{ id: pageId, time: clock, [standby ? 'standby' : 'messaging']: [event] }] });
    const res = await fetch(`${local.baseUrl}/webhooks/messenger/${appId}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(body, appSecret) }, body });
    expect(res.status).toBe(200);
  };
  const echoFrom = (customer: string, app: string, mid: string, text: string) => {
    clock += 1000;
    const body = JSON.stringify({ object: 'page', entry: [{ id: pageId, time: clock, messaging: [{ sender: { id: pageId }, recipient: { id: customer }, timestamp: clock, message: { is_echo: true, app_id: Number(app), mid, text } }] }] });
    return fetch(`${local.baseUrl}/webhooks/messenger/${appId}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(body, appSecret) }, body });
  };
  const nextWhere = async (type: string, match: (f: Frame) => boolean): Promise<Frame> => {
    for (;;) {
      const frame = await agent.next(type, 15_000);
      if (match(frame)) return frame;
    }
  };
  const takeChat = async (customer: string, text: string): Promise<string> => {
    await post(customer, { message: { mid: `m-${customer}-${clock}`, text } });
    const offered = await nextWhere('chatOffered', (f) => (f.chat as { customer: { id: string } }).customer.id === customer);
    const chatId = (offered.chat as { id: string }).id;
    agent.send({ action: 'accept', chatId });
    await nextWhere('chatAssigned', (f) => (f.chat as { id: string }).id === chatId);
    return chatId;
  };

  beforeAll(async () => {
    graph = await startFakeGraph({
      pages: { [pageId]: { name: 'Acme Support', token: pageToken } },
      profiles: { 'psid-ana': { first_name: 'Ana', last_name: 'Silva', profile_pic: 'https://scontent.example.net/ana.jpg' } },
    });
    local = await startLocalRuntime({ env: { GRAPH_API_URL: graph.url } });
    admin = await local.token('admin', ['chat-admins'], 'Admin');
    expect((await local.api('POST', '/api/messenger-apps', { appId, appSecret }, admin)).status).toBe(201);
    const queue = await local.api('POST', '/api/queues', { name: 'Support', routingRule: 'all-agents', completionTimeoutSeconds: null, members: { users: ['alice'], groups: [] } }, admin);
    const channel = await local.api('POST', '/api/channels', { type: 'messenger', appId, pageId, pageAccessToken: pageToken }, admin);
    channelId = (channel.body as { id: string }).id;
    expect((await local.api('PATCH', `/api/channels/${channelId}`, { queueId: (queue.body as { id: string }).id, active: true }, admin)).status).toBe(200);
    expect((await local.api('PUT', '/api/agents/alice', { displayName: 'Alice', groups: ['agents'], simultaneousChats: 10 }, admin)).status).toBe(200);
    agent = await local.connectAgent(await local.token('alice', ['agents'], 'Alice'));
    agent.send({ action: 'sync' });
    await agent.next('snapshot');
  }, 90_000);

  afterAll(async () => {
    await agent?.close();
    await local?.stop();
    await graph?.stop();
  });

  afterEach(() => expect(graph.violations).toEqual([]));

  it('names the chat from the Messenger profile, sends text and attachments as RESPONSE, and shows delivery and read', async () => {
    const chatId = await takeChat('psid-ana', 'Where is my order?');
    const chat = await local.api('GET', `/api/chats/${chatId}`, undefined, admin);
    expect(chat.body).toMatchObject({ customer: { name: 'Ana Silva', avatarUrl: 'https://scontent.example.net/ana.jpg' } });

    agent.send({ action: 'send', chatId, clientMessageId: 'c-ana-1', text: 'Here is the label', attachments: [{ type: 'image', url: 'https://cdn.example.com/label.png' }] });
    const sent = await agent.next('sent');
    await nextWhere('messageStatus', (f) => f.messageId === sent.messageId && f.status === 'sent');
    const toAna = graph.sent.filter((s) => s.recipientId === 'psid-ana');
    expect(toAna).toEqual([
      expect.objectContaining({ messagingType: 'RESPONSE', attachment: { type: 'image', url: 'https://cdn.example.com/label.png' } }),
      expect.objectContaining({ messagingType: 'RESPONSE', text: 'Here is the label' }),
    ]);
    expect(toAna.every((s) => s.tag === undefined)).toBe(true);

    clock = Math.max(clock, Date.now()) + 1000;
    await post('psid-ana', { delivery: { mids: toAna.map((s) => s.messageId), watermark: clock } });
    await nextWhere('messageStatus', (f) => f.messageId === sent.messageId && f.status === 'delivered');
    await post('psid-ana', { read: { watermark: clock } });
    await nextWhere('messageStatus', (f) => f.messageId === sent.messageId && f.status === 'read');
  }, 40_000);

  it('shows the agent a reply sent from the Page inbox and ignores the echo of its own reply', async () => {
    const chatId = await takeChat('psid-echo', 'Hello?');
    expect((await echoFrom('psid-echo', appId, 'm-our-own', 'our own reply')).status).toBe(200);
    expect((await echoFrom('psid-echo', '263902037430900', 'm-inbox-1', 'Answered from the Page inbox')).status).toBe(200);
    const shown = await nextWhere('message', (f) => f.chatId === chatId && (f.message as { direction: string }).direction === 'out');
    expect(shown.message).toMatchObject({ text: 'Answered from the Page inbox', status: 'sent' });
    expect(agent.frames.some((f) => JSON.stringify(f).includes('our own reply'))).toBe(false);
  }, 30_000);

  it('keeps a bot’s conversation out of routing, routes it when the bot passes the thread, and passes it back on close', async () => {
    await post('psid-bot', { message: { mid: 'm-standby-1', text: 'opening hours?' } }, true);
    await eventually(async () => {
      const chats = await local.api('GET', '/api/chats?state=bot', undefined, admin);
      return (chats.body as { items: unknown[] }).items.length > 0 ? true : undefined;
    }, 15_000);
    await post('psid-bot', { pass_thread_control: { previous_owner_app_id: Number(botAppId), new_owner_app_id: Number(appId), metadata: 'wants a human' } });
    const offered = await nextWhere('chatOffered', (f) => (f.chat as { customer: { id: string } }).customer.id === 'psid-bot');
    const chatId = (offered.chat as { id: string }).id;
    expect(offered.chat).toMatchObject({ handoverMetadata: 'wants a human' });
    agent.send({ action: 'accept', chatId });
    await nextWhere('chatAssigned', (f) => (f.chat as { id: string }).id === chatId);
    agent.send({ action: 'close', chatId });
    await nextWhere('chatClosed', (f) => f.chatId === chatId);
    const passed = await eventually(async () => graph.handovers.find((h) => h.recipientId === 'psid-bot'), 15_000);
    expect(passed).toMatchObject({ pageId, action: 'pass', targetAppId: botAppId });
  }, 40_000);

  it('withdraws the chat from the agent when the bot takes the thread back', async () => {
    const chatId = await takeChat('psid-take', 'Hi');
    await post('psid-take', { take_thread_control: { previous_owner_app_id: Number(appId), new_owner_app_id: Number(botAppId), metadata: 'bot resumes' } });
    expect(await nextWhere('chatClosed', (f) => f.chatId === chatId)).toMatchObject({ reason: 'handover' });
  }, 30_000);

  it('lets an agent ask the bot for the thread, and reports Meta’s refusal', async () => {
    const chatId = await takeChat('psid-ask', 'Hi');
    agent.send({ action: 'requestThread', chatId, requestId: 'ask-1' });
    expect(await agent.next('threadRequested', 15_000)).toMatchObject({ chatId, requestId: 'ask-1' });
    expect(graph.handovers).toContainEqual(expect.objectContaining({ action: 'request', recipientId: 'psid-ask' }));
    graph.reply({ status: 400, body: { error: { message: '(#10) This Page has not enabled handover protocol.', type: 'OAuthException', code: 10, error_subcode: 2018300 } } });
    agent.send({ action: 'requestThread', chatId, requestId: 'ask-2' });
    expect(await nextWhere('error', (f) => f.requestId === 'ask-2')).toMatchObject({ code: 'handover_refused' });
  }, 30_000);

  it('pauses and retries a rate-limited send, and fails the channel visibly when Meta rejects its token until it is rotated', async () => {
    const chatId = await takeChat('psid-token', 'Hi');
    graph.reply(graphErrors.appRateLimited);
    agent.send({ action: 'send', chatId, clientMessageId: 'c-limited', text: 'after a pause' });
    const limited = await agent.next('sent');
    await nextWhere('messageStatus', (f) => f.messageId === limited.messageId && f.status === 'sent');

    graph.reply(graphErrors.tokenInvalid);
    agent.send({ action: 'send', chatId, clientMessageId: 'c-190', text: 'this one fails' });
    const failing = await agent.next('sent');
    expect(await nextWhere('messageStatus', (f) => f.messageId === failing.messageId)).toMatchObject({ status: 'failed', error: expect.stringContaining('190') });
    expect((await local.api('GET', `/api/channels/${channelId}`, undefined, admin)).body).toMatchObject({ provisioningState: 'failed', lastError: expect.stringContaining('190') });
    await eventually(async () => ((await local.events('ChannelFailed')).length > 0 ? true : undefined));

    agent.send({ action: 'send', chatId, clientMessageId: 'c-while-failed', text: 'refused', requestId: 'while-failed' });
    expect(await nextWhere('error', (f) => f.requestId === 'while-failed')).toMatchObject({ code: 'channel_failed' });

    const rotated = await local.api('PATCH', `/api/channels/${channelId}`, { pageAccessToken: pageToken }, admin);
    expect(rotated.body).toMatchObject({ provisioningState: 'running', lastError: null });
  }, 40_000);
});
