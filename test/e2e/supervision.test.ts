import { signMetaBody } from '../../functions/domain/signature';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { eventually, startLocalRuntime, type AgentSocket, type LocalRuntime } from '../support/runtime';

/**
 * Supervisors over the local runtime's real HTTP API and WebSocket: the live view, moving chats
 * between agents and queues, closing them, setting agents' status, and watching a chat live.
 */
const appId = '611222333444777';
const appSecret = 'supervision-app-secret-0123456789';
const supportPage = '105000000000071';
const pageToken = 'EAAG-supervision-page-token';

type Frame = Record<string, unknown>;
type ChatFrame = { id: string; state: string; agentId: string | null; queueId: string; customer: { id: string } };
type Live = {
  queues: { queueId: string; waiting: number; oldestWaitSeconds: number | null; offersPending: number; agents: Record<string, number>; load: number; capacity: number }[];
  agents: { agentId: string; status: string; load: number; capacity: number; chatsHeld: number; statusSince: string | null; queues: string[] }[];
};

describe('supervisors', () => {
  let local: LocalRuntime;
  let graph: FakeGraph;
  let admin: string;
  let supervisor: string;
  let agentToken: string;
  let support: string;
  let billing: string;
  const sockets: AgentSocket[] = [];
  const tokens: Record<string, string> = {};
  let mid = 0;

  const customerWrites = async (psid: string, text: string) => {
    mid += 1;
    const body = JSON.stringify({
      object: 'page',
      entry: [{ id: supportPage, time: Date.now(), messaging: [{ sender: { id: psid }, recipient: { id: supportPage }, timestamp: Date.now(), message: { mid: `m_sup_${mid}`, text } }] }],
    });
    const res = await fetch(`${local.baseUrl}/webhooks/messenger/${appId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(body, appSecret) },
      body,
    });
    expect(res.status).toBe(200);
  };
  const connect = async (agentId: string): Promise<AgentSocket> => {
    const socket = await local.connectAgent(tokens[agentId]!);
    sockets.push(socket);
    return socket;
  };
  const next = async (socket: AgentSocket, type: string, where: (f: Frame) => boolean = () => true, timeoutMs = 10_000): Promise<Frame> => {
    for (;;) {
      const frame = await socket.next(type, timeoutMs);
      if (where(frame)) return frame;
    }
  };
  const ofCustomer = (psid: string) => (f: Frame) => (f.chat as ChatFrame).customer.id === psid;
  const ofChat = (chatId: string) => (f: Frame) => f.chatId === chatId || (f.chat as ChatFrame | undefined)?.id === chatId;
  const live = async (): Promise<Live> => {
    const res = await local.api('GET', '/api/live', undefined, supervisor);
    expect(res.status).toBe(200);
    return res.body as Live;
  };

  let alice: AgentSocket;
  let bob: AgentSocket;

  beforeAll(async () => {
    graph = await startFakeGraph({ pages: { [supportPage]: { name: 'Supervised Support', token: pageToken } } });
    local = await startLocalRuntime({ env: { GRAPH_API_URL: graph.url } });
    admin = await local.token('admin', ['chat-admins'], 'Admin');
    const call = async (method: string, path: string, body: unknown) => {
      const res = await local.api(method, path, body, admin);
      if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body as { id: string };
    };
    await call('POST', '/api/messenger-apps', { appId, appSecret });
    await call('PATCH', '/api/settings', { simultaneousChats: 3, acceptTimeoutSeconds: 600 });
    support = (await call('POST', '/api/queues', { name: 'Support', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: ['alice'], groups: [] } })).id;
    billing = (await call('POST', '/api/queues', { name: 'Billing', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: ['bob'], groups: [] } })).id;
    const channel = await call('POST', '/api/channels', { type: 'messenger', appId, pageId: supportPage, pageAccessToken: pageToken });
    await call('PATCH', `/api/channels/${channel.id}`, { queueId: support, active: true, language: 'en' });
    for (const agentId of ['alice', 'bob']) {
      await call('PUT', `/api/agents/${agentId}`, { displayName: agentId, groups: ['agents'] });
      tokens[agentId] = await local.token(agentId, ['agents'], agentId);
    }
    // a supervisor connects to the socket as a registered agent in no queue
    await call('PUT', '/api/agents/sam', { displayName: 'Sam Supervisor', groups: ['supervisors'] });
    tokens.sam = await local.token('sam', ['supervisors'], 'Sam');
    supervisor = tokens.sam;
    agentToken = tokens.alice!;
    alice = await connect('alice');
    bob = await connect('bob');
  }, 90_000);

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await local?.stop();
    await graph?.stop();
  });

  it('lets supervisors read chats, agents and queues and use their routes, and nothing else; agents get 403 forbidden', async () => {
    for (const path of ['/api/chats', '/api/agents', '/api/queues', '/api/live']) {
      expect({ path, status: (await local.api('GET', path, undefined, supervisor)).status }).toEqual({ path, status: 200 });
      expect({ path, status: (await local.api('GET', path, undefined, admin)).status }).toEqual({ path, status: 200 });
    }
    expect((await local.api('GET', '/api/settings', undefined, supervisor)).status).toBe(403);
    expect((await local.api('PUT', '/api/agents/zed', { displayName: 'Zed', groups: [] }, supervisor)).status).toBe(403);
    for (const [method, path, body] of [
      ['GET', '/api/live', undefined],
      ['POST', '/api/chats/any-chat/reassign', { queueId: billing }],
      ['POST', '/api/chats/any-chat/close', {}],
      ['PUT', '/api/agents/bob/status', { status: 'inactive' }],
      ['GET', '/api/chats', undefined],
    ] as const) {
      const res = await local.api(method, path, body, agentToken);
      expect({ path, status: res.status, body: res.body }).toEqual({ path, status: 403, body: { error: expect.objectContaining({ code: 'forbidden' }) } });
    }
    // an agent may not watch
    alice.send({ action: 'watch', chatId: 'any-chat', requestId: 'w-no' });
    expect(await next(alice, 'error', (f) => f.requestId === 'w-no')).toMatchObject({ code: 'forbidden' });
    // bad bodies name the field
    const both = await local.api('POST', '/api/chats/any-chat/reassign', { agentId: 'bob', queueId: billing }, supervisor);
    expect(both).toMatchObject({ status: 400, body: { error: { code: 'validation_failed', details: [expect.objectContaining({ field: 'agentId' })] } } });
    expect((await local.api('POST', '/api/chats/no-such-chat/reassign', { queueId: billing }, supervisor)).status).toBe(404);
    expect((await local.api('POST', '/api/chats/no-such-chat/close', { reason: 'x'.repeat(501) }, supervisor)).status).toBe(400);
  });

  it('shows the live view: waiting, offers, agents by status, load, chats held and since when', async () => {
    await customerWrites('7400000000000001', 'Olá, preciso de ajuda 🇵🇹');
    await customerWrites('7400000000000002', 'مرحبا 😀');
    // the two offers come in either order
    const offers: ChatFrame[] = [];
    while (offers.length < 2) offers.push((await next(alice, 'chatOffered', (f) => ['7400000000000001', '7400000000000002'].includes((f.chat as ChatFrame).customer.id))).chat as ChatFrame);
    const first = offers.find((c) => c.customer.id === '7400000000000001')!;
    alice.send({ action: 'accept', chatId: first.id });
    await next(alice, 'chatAssigned', ofChat(first.id));
    // bob is made inactive by the supervisor, and is told so
    const status = await local.api('PUT', '/api/agents/bob/status', { status: 'inactive' }, supervisor);
    expect(status).toMatchObject({ status: 200, body: { agent: { id: 'bob', status: 'inactive' } } });
    expect(await next(bob, 'statusChanged', (f) => f.reason === 'supervisor')).toMatchObject({ status: 'inactive', reason: 'supervisor' });

    const view = await live();
    expect(view.queues.find((q) => q.queueId === support)).toMatchObject({ waiting: 0, offersPending: 1, agents: { active: 1, inactive: 0, offline: 0 }, load: 2, capacity: 3 });
    expect(view.queues.find((q) => q.queueId === billing)).toMatchObject({ waiting: 0, offersPending: 0, agents: { active: 0, inactive: 1, offline: 0 }, load: 0, capacity: 0 });
    expect(view.agents.find((a) => a.agentId === 'alice')).toMatchObject({ status: 'active', load: 2, capacity: 3, chatsHeld: 1, queues: [support] });
    const bobView = view.agents.find((a) => a.agentId === 'bob');
    expect(bobView).toMatchObject({ status: 'inactive', load: 0, chatsHeld: 0 });
    expect(Date.now() - Date.parse(bobView?.statusSince ?? '')).toBeLessThan(15_000);

    // alice can hold three: a third chat is offered to her, a fourth waits
    await customerWrites('7400000000000003', 'Привет 👋🏽');
    await next(alice, 'chatOffered', ofCustomer('7400000000000003'));
    await customerWrites('7400000000000004', '你好 👨‍👩‍👧');
    const waiting = await eventually(async () => {
      const q = (await live()).queues.find((x) => x.queueId === support);
      return q && q.waiting === 1 ? q : undefined;
    });
    expect(waiting).toMatchObject({ waiting: 1, offersPending: 2, load: 3 });
    expect(waiting.oldestWaitSeconds).toEqual(expect.any(Number));
    // back to active for what follows
    expect((await local.api('PUT', '/api/agents/bob/status', { status: 'active' }, supervisor)).status).toBe(200);
  });

  it('reassigns: an offer to a named agent, a forced assignment beyond capacity, and a move to another queue; the previous agent sees it go', async () => {
    const chats = (await local.api('GET', `/api/chats?state=offered&queueId=${support}`, undefined, supervisor)).body as { items: ChatFrame[] };
    const offered = chats.items[0]!;
    // as an offer to bob
    const toBob = await local.api('POST', `/api/chats/${offered.id}/reassign`, { agentId: 'bob' }, supervisor);
    expect(toBob).toMatchObject({ status: 200, body: { chat: { id: offered.id, state: 'offered', agentId: null } } });
    expect(await next(alice, 'offerWithdrawn', ofChat(offered.id))).toMatchObject({ reason: 'transfer' });
    await next(bob, 'chatOffered', ofChat(offered.id));
    bob.send({ action: 'accept', chatId: offered.id });
    await next(bob, 'chatAssigned', ofChat(offered.id));
    expect(await eventually(async () => (await local.events('ChatReassigned')).find((e) => (e.detail as Frame).chatId === offered.id))).toMatchObject({
      detail: { chatId: offered.id, fromAgentId: null, toAgentId: 'bob', toQueueId: null, forced: false, by: 'sam' },
    });

    // alice's held chat forced onto bob
    const held = ((await local.api('GET', '/api/chats?agentId=alice', undefined, supervisor)).body as { items: ChatFrame[] }).items.find((c) => c.state === 'assigned')!;
    const forced = await local.api('POST', `/api/chats/${held.id}/reassign`, { agentId: 'bob', force: true }, supervisor);
    expect(forced).toMatchObject({ status: 200, body: { chat: { id: held.id, state: 'assigned', agentId: 'bob' } } });
    expect(await next(alice, 'chatClosed', ofChat(held.id))).toMatchObject({ reason: 'transfer' });
    const assigned = await next(bob, 'chatAssigned', ofChat(held.id));
    expect((assigned.messages as { text?: string }[]).map((m) => m.text)).toContain('Olá, preciso de ajuda 🇵🇹');

    // bob's chat to the support queue: alice (room again) is offered it
    const toQueue = await local.api('POST', `/api/chats/${held.id}/reassign`, { queueId: support }, supervisor);
    expect(toQueue).toMatchObject({ status: 200, body: { chat: { id: held.id, queueId: support } } });
    expect(await next(bob, 'chatClosed', ofChat(held.id))).toMatchObject({ reason: 'transfer' });
    await next(alice, 'chatOffered', ofChat(held.id));

    // an offline agent cannot be given a chat, even forced
    await local.api('PUT', '/api/agents/olga', { displayName: 'Olga', groups: ['agents'] }, admin);
    const offline = await local.api('POST', `/api/chats/${held.id}/reassign`, { agentId: 'olga', force: true }, supervisor);
    expect(offline).toMatchObject({ status: 409, body: { error: { code: 'agent_unavailable' } } });
  });

  it('watches a chat live (read-only) and closes it as a supervisor: the agent and the watcher see chatClosed with reason supervisor', async () => {
    const sam = await connect('sam');
    await customerWrites('7400000000000009', 'Hello, is anyone there? 𝕳');
    const found = await eventually(async () =>
      ((await local.api('GET', '/api/chats', undefined, supervisor)).body as { items: ChatFrame[] }).items.find((c) => c.customer.id === '7400000000000009'),
    );
    sam.send({ action: 'watch', chatId: found.id, requestId: 'w1' });
    const watching = await next(sam, 'watching', (f) => f.requestId === 'w1');
    expect(watching).toMatchObject({ chatId: found.id, chat: { id: found.id } });
    expect((watching.messages as { text?: string }[]).map((m) => m.text)).toContain('Hello, is anyone there? 𝕳');
    // supervisors may page a watched chat's history; agents only their own chats'
    sam.send({ action: 'history', chatId: found.id, requestId: 'h1' });
    expect(await next(sam, 'history', (f) => f.requestId === 'h1')).toMatchObject({ chatId: found.id, messages: [expect.objectContaining({ text: 'Hello, is anyone there? 𝕳' })] });
    alice.send({ action: 'history', chatId: found.id, requestId: 'h-no' });
    expect(await next(alice, 'error', (f) => f.requestId === 'h-no')).toMatchObject({ code: 'not_your_chat' });

    // the customer writes again: the watcher gets the message frame, marked watching
    await customerWrites('7400000000000009', 'Still here 👍🏽');
    const seen = await next(sam, 'message', (f) => f.chatId === found.id);
    expect(seen).toMatchObject({ watching: true, message: { direction: 'in', text: 'Still here 👍🏽' } });

    // a supervisor closes it, with a note
    const closed = await local.api('POST', `/api/chats/${found.id}/close`, { reason: 'Duplicate of an earlier chat' }, supervisor);
    expect(closed).toMatchObject({ status: 200, body: { chat: { id: found.id, state: 'closed' } } });
    expect(await next(sam, 'chatClosed', (f) => f.chatId === found.id)).toMatchObject({ reason: 'supervisor', watching: true });
    const event = await eventually(async () => (await local.events('ChatClosed')).find((e) => (e.detail as Frame).chatId === found.id));
    expect(event.detail).toMatchObject({ reason: 'supervisor', note: 'Duplicate of an earlier chat' });
    expect(await local.api('POST', `/api/chats/${found.id}/close`, {}, supervisor)).toMatchObject({ status: 409, body: { error: { code: 'chat_closed' } } });

    // an agent holding a chat sees it closed by the supervisor
    const held = ((await local.api('GET', '/api/chats?agentId=bob', undefined, supervisor)).body as { items: ChatFrame[] }).items.find((c) => c.state === 'assigned')!;
    sam.send({ action: 'watch', chatId: held.id, requestId: 'w2' });
    await next(sam, 'watching', (f) => f.requestId === 'w2');
    bob.send({ action: 'send', chatId: held.id, text: 'Um momento, por favor 🙏', clientMessageId: 'sup-1' });
    const reply = await next(sam, 'message', (f) => f.chatId === held.id);
    expect(reply).toMatchObject({ watching: true, message: { direction: 'out', text: 'Um momento, por favor 🙏' } });
    // the sender's outcome reaches the watcher too
    const messageId = (reply.message as { id: string }).id;
    expect(await next(sam, 'messageStatus', (f) => f.chatId === held.id && f.messageId === messageId)).toMatchObject({ watching: true, status: 'sent' });
    sam.send({ action: 'unwatch', chatId: held.id, requestId: 'u2' });
    expect(await next(sam, 'unwatched', (f) => f.requestId === 'u2')).toMatchObject({ chatId: held.id });
    expect((await local.api('POST', `/api/chats/${held.id}/close`, undefined, supervisor)).status).toBe(200);
    expect(await next(bob, 'chatClosed', ofChat(held.id))).toMatchObject({ reason: 'supervisor' });
    // no longer watching: nothing more for that chat reached the supervisor
    await new Promise((r) => setTimeout(r, 500));
    expect(sam.frames.filter((f) => (f as Frame).chatId === held.id && (f as Frame).type === 'chatClosed')).toEqual([]);
  });
});
