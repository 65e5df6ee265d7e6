import { signMetaBody } from '../../functions/domain/signature';
import { graphErrors, startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { eventually, startLocalRuntime, type AgentSocket, type LocalRuntime } from '../support/runtime';

/**
 * The agent WebSocket protocol of docs/websocket.md over real sockets on the local runtime: every action,
 * every state event, reconnect-and-sync, several connections per agent, and bad frames.
 */
const appId = '611222333444555';
const appSecret = 'protocol-app-secret-0123456789';
const supportPage = '105000000000001';
const salesPage = '105000000000002';
const pageToken = 'EAAG-protocol-page-token';

type Frame = Record<string, unknown>;
type ChatFrame = { id: string; state: string; customer: { id: string; name: string }; channelType: string; queueId: string };

describe('the agent WebSocket protocol', () => {
  let local: LocalRuntime;
  let graph: FakeGraph;
  let admin: string;
  let supportQueue: string;
  let billingQueue: string;
  const tokens: Record<string, string> = {};
  const sockets: AgentSocket[] = [];
  let mid = 0;
  /** The chat whose messages arrive while alice is cut off. */
  let cutChat: ChatFrame;

  /** A signed Messenger text from a customer to one of the Pages. */
  const customerWrites = async (page: string, psid: string, text: string) => {
    mid += 1;
    const body = JSON.stringify({
      object: 'page',
      entry: [{ id: page, time: Date.now(), messaging: [{ sender: { id: psid }, recipient: { id: page }, timestamp: Date.now(), message: { mid: `m_protocol_${mid}`, text } }] }],
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

  /** The next frame of a type that also matches `where`; frames of that type that do not match are skipped. */
  const next = async (socket: AgentSocket, type: string, where: (f: Frame) => boolean = () => true, timeoutMs = 10_000): Promise<Frame> => {
    for (;;) {
      const frame = await socket.next(type, timeoutMs);
      if (where(frame)) return frame;
    }
  };
  const inbound = (text: string) => (f: Frame) => (f.message as { direction: string; text?: string }).direction === 'in' && (f.message as { text?: string }).text === text;

  /** A fresh chat of the support queue, offered to and accepted by `agent`. */
  const assignedChat = async (agent: AgentSocket, psid: string, text: string): Promise<ChatFrame> => {
    await customerWrites(supportPage, psid, text);
    const offered = await next(agent, 'chatOffered', (f) => (f.chat as ChatFrame).customer.id === psid);
    const chat = offered.chat as ChatFrame;
    agent.send({ action: 'accept', chatId: chat.id });
    await next(agent, 'chatAssigned', (f) => (f.chat as ChatFrame).id === chat.id);
    return chat;
  };

  const agentStatus = async (agentId: string) => {
    const res = await local.api('GET', `/api/agents/${agentId}`, undefined, admin);
    return res.body as { status: string; connected: boolean };
  };

  beforeAll(async () => {
    graph = await startFakeGraph({
      pages: { [supportPage]: { name: 'Protocol Support', token: pageToken }, [salesPage]: { name: 'Protocol Sales', token: pageToken } },
      profiles: { '7300000000000001': { first_name: 'Ana', last_name: 'Costa' } },
    });
    local = await startLocalRuntime({ env: { GRAPH_API_URL: graph.url } });
    admin = await local.token('admin', ['chat-admins'], 'Admin');
    const call = async (method: string, path: string, body: unknown) => {
      const res = await local.api(method, path, body, admin);
      if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body as { id: string };
    };
    await call('POST', '/api/messenger-apps', { appId, appSecret });
    await call('PATCH', '/api/settings', { simultaneousChats: 10, acceptTimeoutSeconds: 600 });
    supportQueue = (await call('POST', '/api/queues', { name: 'Support', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: ['alice'], groups: [] } })).id;
    billingQueue = (await call('POST', '/api/queues', { name: 'Billing', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: ['bob'], groups: [] } })).id;
    const salesQueue = (await call('POST', '/api/queues', { name: 'Sales', routingRule: 'all-agents', completionTimeoutSeconds: null, members: { users: ['alice', 'bob'], groups: [] } })).id;
    for (const [page, queueId] of [[supportPage, supportQueue], [salesPage, salesQueue]] as const) {
      const channel = await call('POST', '/api/channels', { type: 'messenger', appId, pageId: page, pageAccessToken: pageToken });
      await call('PATCH', `/api/channels/${channel.id}`, { queueId, active: true, language: 'en' });
    }
    for (const agentId of ['alice', 'bob']) {
      await call('PUT', `/api/agents/${agentId}`, { displayName: agentId, groups: ['agents'] });
      tokens[agentId] = await local.token(agentId, ['agents'], agentId);
    }
  }, 90_000);

  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.close()));
    await local?.stop();
    await graph?.stop();
  });

  it('refuses a connection without a valid token or without the agents group, and keeps nothing open', async () => {
    await expect(local.connectAgent('not-a-token')).rejects.toMatchObject({ status: 401 });
    await expect(local.connectAgent(await local.token('eve', ['chat-admins']))).rejects.toMatchObject({ status: 403 });
    await expect(local.connectAgent(await local.token('stranger', ['agents']))).rejects.toMatchObject({ status: 403 });
  });

  it('answers ping with pong and sync with a snapshot of status, chats and offers', async () => {
    // given a freshly connected agent
    const alice = await connect('alice');

    // when the client pings and asks for its state
    alice.send({ action: 'ping', requestId: 'p1' });
    alice.send({ action: 'sync', requestId: 's1' });

    // then
    expect(await alice.next('pong')).toEqual({ type: 'pong', requestId: 'p1' });
    const snapshot = await alice.next('snapshot');
    expect(snapshot).toMatchObject({ requestId: 's1', status: 'active', chats: [], offers: [], events: [] });
    expect(typeof snapshot.cursor).toBe('number');
  });

  it('pushes statusChanged with a growing cursor when the agent sets themselves inactive and active', async () => {
    const alice = sockets[0]!;
    alice.send({ action: 'setStatus', status: 'inactive' });
    const inactive = await alice.next('statusChanged');
    expect(inactive).toMatchObject({ status: 'inactive' });
    alice.send({ action: 'setStatus', status: 'active' });
    const active = await alice.next('statusChanged');
    expect(active).toMatchObject({ status: 'active' });
    expect(active.cursor as number).toBeGreaterThan(inactive.cursor as number);
    expect((await agentStatus('alice')).status).toBe('active');
  });

  it('offers a chat with its expiry, assigns it with its history on accept, and refuses a second accept with offer_gone', async () => {
    const alice = sockets[0]!;
    // when a customer writes to the support Page
    await customerWrites(supportPage, '7300000000000001', 'Hello, where is my parcel?');

    // then the chat is offered with an expiry about acceptTimeoutSeconds ahead
    const offered = await next(alice, 'chatOffered');
    const chat = offered.chat as ChatFrame;
    expect(chat).toMatchObject({ state: 'offered', channelType: 'messenger', queueId: supportQueue, customer: { id: '7300000000000001', name: 'Ana Costa' } });
    const expiresIn = Date.parse(offered.expiresAt as string) - Date.now();
    expect(expiresIn).toBeGreaterThan(500_000);
    expect(expiresIn).toBeLessThanOrEqual(600_000);

    // when the agent accepts, then the chat is assigned with the customer's message
    alice.send({ action: 'accept', chatId: chat.id, requestId: 'a1' });
    const assigned = await alice.next('chatAssigned');
    expect(assigned.chat).toMatchObject({ id: chat.id, state: 'assigned', agentId: 'alice' });
    expect((assigned.messages as { text: string; direction: string }[]).map((m) => [m.direction, m.text])).toEqual([['in', 'Hello, where is my parcel?']]);

    // and accepting again loses cleanly
    alice.send({ action: 'accept', chatId: chat.id, requestId: 'a2' });
    expect(await alice.next('error')).toMatchObject({ code: 'offer_gone', requestId: 'a2' });
  });

  it('sends a reply once however often the client retries its clientMessageId, and reports it sent', async () => {
    const alice = sockets[0]!;
    const chat = (alice.frames.find((f) => (f as Frame).type === 'chatAssigned')) as { chat: ChatFrame };
    const chatId = chat.chat.id;
    const before = graph.sent.length;

    // when the same send arrives twice (a client retrying after a cut)
    alice.send({ action: 'send', chatId, text: 'It left our warehouse today.', clientMessageId: 'retry-1', requestId: 'r1' });
    alice.send({ action: 'send', chatId, text: 'It left our warehouse today.', clientMessageId: 'retry-1', requestId: 'r2' });

    // then both are answered with the same message id, and the platform gets it once
    const first = await alice.next('sent');
    const second = await alice.next('sent');
    const [original, retry] = first.duplicate ? [second, first] : [first, second];
    expect(original).toMatchObject({ chatId, clientMessageId: 'retry-1' });
    expect(retry).toMatchObject({ chatId, clientMessageId: 'retry-1', duplicate: true, messageId: original.messageId });
    expect(await next(alice, 'messageStatus', (f) => f.messageId === original.messageId)).toMatchObject({ chatId, status: 'sent' });
    await new Promise((r) => setTimeout(r, 500));
    expect(graph.sent.slice(before).map((s) => s.text)).toEqual(['It left our warehouse today.']);
  });

  it('reports a reply the platform refuses for good as failed, with the reason', async () => {
    const alice = sockets[0]!;
    const chatId = ((alice.frames.find((f) => (f as Frame).type === 'chatAssigned') as { chat: ChatFrame }).chat).id;
    graph.reply(graphErrors.recipientUnavailable);
    alice.send({ action: 'send', chatId, text: 'Are you still there?', clientMessageId: 'refused-1' });
    const sent = await alice.next('sent');
    const failed = await next(alice, 'messageStatus', (f) => f.messageId === sent.messageId && f.status === 'failed', 20_000);
    expect(typeof failed.error).toBe('string');
  });

  it('pushes each customer message of an assigned chat as a message event', async () => {
    const alice = sockets[0]!;
    await customerWrites(supportPage, '7300000000000001', 'Thanks! Any tracking number?');
    const pushed = await next(alice, 'message', inbound('Thanks! Any tracking number?'));
    expect(pushed.message).toMatchObject({ direction: 'in', status: 'received' });
  });

  it('runs a chat action and answers actionRun, publishing it on the bus', async () => {
    const alice = sockets[0]!;
    const chatId = ((alice.frames.find((f) => (f as Frame).type === 'chatAssigned') as { chat: ChatFrame }).chat).id;
    const action = await local.api('POST', '/api/actions', { caption: 'Refund', queueId: supportQueue, detailType: 'RefundRequested' }, admin);
    expect(action.status).toBe(201);
    const actionId = (action.body as { id: string }).id;

    alice.send({ action: 'runAction', chatId, actionId, requestId: 'ra1' });
    expect(await alice.next('actionRun')).toEqual({ type: 'actionRun', requestId: 'ra1', chatId, actionId, detailType: 'RefundRequested' });
    const published = await eventually(async () => (await local.events('RefundRequested'))[0]);
    expect(published.detail).toMatchObject({ actionId, chatId, agentId: 'alice' });

    alice.send({ action: 'runAction', chatId, actionId: 'no-such-action', requestId: 'ra2' });
    expect(await alice.next('error')).toMatchObject({ requestId: 'ra2' });
  });

  it('gives agents the quick replies and chat actions of their queues, and the transfer targets, in the snapshot', async () => {
    const alice = sockets[0]!;
    const reply = await local.api('POST', '/api/quick-replies', { language: 'en', text: 'One moment please.', queueId: supportQueue }, admin);
    const elsewhere = await local.api('POST', '/api/queues', { name: 'Elsewhere', routingRule: 'all-agents', completionTimeoutSeconds: null, members: { users: [], groups: [] } }, admin);
    const hidden = await local.api('POST', '/api/actions', { caption: 'Hidden', queueId: (elsewhere.body as { id: string }).id, detailType: 'Hidden' }, admin);
    expect([reply.status, hidden.status]).toEqual([201, 201]);
    // when
    alice.send({ action: 'sync', requestId: 'ws1' });
    const snapshot = await next(alice, 'snapshot', (f) => f.requestId === 'ws1');
    // then
    expect((snapshot.quickReplies as { text: string }[]).map((r) => r.text)).toContain('One moment please.');
    const captions = (snapshot.actions as { caption: string }[]).map((a) => a.caption);
    expect(captions).toContain('Refund');
    expect(captions).not.toContain('Hidden');
    expect((snapshot.queues as { name: string }[]).map((q) => q.name)).toEqual(expect.arrayContaining(['Elsewhere']));
    expect((snapshot.agents as { id: string }[]).map((a) => a.id)).toContain('alice');
  });

  it('transfers a chat to a named agent, who is offered it, and to a queue, whose agent is offered it', async () => {
    const alice = sockets[0]!;
    const bob = await connect('bob');
    bob.send({ action: 'sync' });
    await bob.next('snapshot');
    const chat = await assignedChat(alice, '7300000000000002', 'I want to change my address');

    // when alice hands the chat to bob
    alice.send({ action: 'transfer', chatId: chat.id, agentId: 'bob', requestId: 't1' });
    expect(await next(alice, 'chatClosed', (f) => f.chatId === chat.id)).toMatchObject({ reason: 'transfer' });
    const offered = await next(bob, 'chatOffered', (f) => (f.chat as ChatFrame).id === chat.id);
    expect(typeof offered.expiresAt).toBe('string');
    bob.send({ action: 'accept', chatId: chat.id });
    const assigned = await next(bob, 'chatAssigned', (f) => (f.chat as ChatFrame).id === chat.id);
    expect((assigned.messages as { text: string }[]).map((m) => m.text)).toContain('I want to change my address');

    // when bob hands it on to the support queue, alice (its agent) is offered it
    bob.send({ action: 'transfer', chatId: chat.id, queueId: supportQueue });
    expect(await next(bob, 'chatClosed', (f) => f.chatId === chat.id)).toMatchObject({ reason: 'transfer' });
    await next(alice, 'chatOffered', (f) => (f.chat as ChatFrame).id === chat.id);

    // and a transfer that names both or neither target, or a queue that does not exist, is refused
    alice.send({ action: 'transfer', chatId: chat.id, requestId: 't2' });
    expect(await alice.next('error')).toMatchObject({ code: 'bad_frame', requestId: 't2' });
    alice.send({ action: 'accept', chatId: chat.id });
    await next(alice, 'chatAssigned', (f) => (f.chat as ChatFrame).id === chat.id);
    alice.send({ action: 'transfer', chatId: chat.id, queueId: 'no-such-queue', requestId: 't3' });
    expect(await alice.next('error')).toMatchObject({ code: 'queue_not_found', requestId: 't3' });
    alice.send({ action: 'transfer', chatId: chat.id, queueId: billingQueue });
    await next(bob, 'chatOffered', (f) => (f.chat as ChatFrame).id === chat.id);
  });

  it('withdraws an all-agents offer from the others when one agent takes it', async () => {
    const [alice, bob] = [sockets[0]!, sockets[1]!];
    await customerWrites(salesPage, '7300000000000003', 'Do you ship to Madeira?');
    const toAlice = await next(alice, 'chatOffered', (f) => (f.chat as ChatFrame).customer.id === '7300000000000003');
    const toBob = await next(bob, 'chatOffered', (f) => (f.chat as ChatFrame).customer.id === '7300000000000003');
    const chatId = (toAlice.chat as ChatFrame).id;
    expect((toBob.chat as ChatFrame).id).toBe(chatId);
    expect(toAlice.expiresAt).toBeUndefined();

    bob.send({ action: 'accept', chatId });
    await next(bob, 'chatAssigned', (f) => (f.chat as ChatFrame).id === chatId);
    expect(await next(alice, 'offerWithdrawn', (f) => f.chatId === chatId)).toMatchObject({ reason: 'taken' });
  });

  it('closes a chat at the agent’s request, and refuses to close someone else’s', async () => {
    const [alice, bob] = [sockets[0]!, sockets[1]!];
    const chat = await assignedChat(alice, '7300000000000004', 'Please close my ticket');
    bob.send({ action: 'close', chatId: chat.id, requestId: 'c0' });
    expect(await bob.next('error')).toMatchObject({ code: 'not_your_chat', requestId: 'c0' });
    alice.send({ action: 'close', chatId: chat.id, requestId: 'c1' });
    expect(await next(alice, 'chatClosed', (f) => f.chatId === chat.id)).toMatchObject({ reason: 'agent' });
    alice.send({ action: 'send', chatId: chat.id, text: 'late', clientMessageId: 'late-1', requestId: 'c2' });
    expect(await alice.next('error')).toMatchObject({ code: 'not_your_chat', requestId: 'c2' });
  });

  it('Chatwoot #14934, a reconnect gap: gives a reconnecting agent every message it missed in the held chat, and the state events after its cursor', async () => {
    // given alice holds a chat and has seen events up to some cursor
    const first = sockets[0]!;
    const chat = (cutChat = await assignedChat(first, '7300000000000005', 'I will write a few things'));
    first.send({ action: 'sync', requestId: 'before-cut' });
    const before = await next(first, 'snapshot', (f) => f.requestId === 'before-cut');
    const seen = before.cursor as number;

    // when her connection drops and the customer writes three times meanwhile
    await first.close();
    for (const text of ['one', 'two', 'three']) await customerWrites(supportPage, '7300000000000005', text);
    await eventually(async () => {
      const res = await local.api('GET', `/api/chats/${chat.id}`, undefined, admin);
      return (res.body as { messages: unknown[] }).messages.length >= 4 ? true : undefined;
    });

    // then a new connection's sync carries the held chat with those messages, in order
    const again = await connect('alice');
    again.send({ action: 'sync', since: seen, requestId: 'after-cut' });
    const snapshot = await again.next('snapshot');
    const held = (snapshot.chats as { chat: ChatFrame; messages: { text: string }[] }[]).find((c) => c.chat.id === chat.id);
    expect(held?.messages.map((m) => m.text)).toEqual(['I will write a few things', 'one', 'two', 'three']);
    // and messages are not logged per agent a second time: only state events after her cursor, which only grow
    const events = snapshot.events as Frame[];
    expect(events.filter((e) => e.type === 'message')).toEqual([]);
    const cursors = events.map((e) => e.cursor as number);
    expect(cursors.every((c) => c > seen)).toBe(true);
    expect([...cursors].sort((a, b) => a - b)).toEqual(cursors);
    expect(snapshot.cursor as number).toBeGreaterThanOrEqual(seen);

    // and a message after the snapshot comes live, without a cursor, and is already in the chat for a next sync
    await customerWrites(supportPage, '7300000000000005', 'four');
    const live = await next(again, 'message', inbound('four'));
    expect(live.cursor).toBeUndefined();
    again.send({ action: 'sync', since: snapshot.cursor, requestId: 'after-four' });
    const later = await next(again, 'snapshot', (f) => f.requestId === 'after-four');
    const heldLater = (later.chats as { chat: ChatFrame; messages: { id: string; text: string }[] }[]).find((c) => c.chat.id === chat.id);
    expect(heldLater?.messages.at(-1)).toMatchObject({ id: (live.message as { id: string }).id, text: 'four' });
  });

  it('pushes every event to each of an agent’s connections and makes the agent offline only when the last one closes', async () => {
    // given alice on two connections
    const tab = sockets[sockets.length - 1]!;
    const phone = await connect('alice');
    const chat = cutChat;

    // when the customer writes, both see the same message
    await customerWrites(supportPage, '7300000000000005', 'five');
    const onTab = await next(tab, 'message', inbound('five'));
    const onPhone = await next(phone, 'message', inbound('five'));
    expect(onPhone.message).toEqual(onTab.message);
    expect(onPhone.chatId).toBe(chat.id);

    // and a reply from one connection reaches the other as a message event
    tab.send({ action: 'send', chatId: chat.id, text: 'Noted all five.', clientMessageId: 'two-tabs-1' });
    expect(await next(phone, 'message', (f) => (f.message as { text?: string }).text === 'Noted all five.')).toMatchObject({ chatId: chat.id });

    // when one closes, alice stays online; when the last closes, she is offline
    await tab.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(await agentStatus('alice')).toMatchObject({ status: 'active', connected: true });
    await phone.close();
    expect(await eventually(async () => ((await agentStatus('alice')).status === 'offline' ? true : undefined))).toBe(true);
  });

  it('answers bad frames with an error carrying its code and the requestId, and keeps the connection', async () => {
    const bob = sockets[1]!;
    bob.send('this is not json');
    expect(await bob.next('error')).toMatchObject({ code: 'bad_frame' });
    bob.send({ action: 'dance', requestId: 'b1' });
    expect(await bob.next('error')).toMatchObject({ code: 'bad_frame', requestId: 'b1' });
    bob.send({ action: 'send', text: 'hello', requestId: 'b2' });
    const missing = await bob.next('error');
    expect(missing).toMatchObject({ code: 'bad_frame', requestId: 'b2' });
    expect((missing.details as { field: string }[]).map((d) => d.field)).toEqual(expect.arrayContaining(['chatId', 'clientMessageId']));
    bob.send({ action: 'setStatus', status: 'sleeping', requestId: 'b3' });
    expect(await bob.next('error')).toMatchObject({ code: 'bad_frame', requestId: 'b3' });
    bob.send({ action: 'accept', chatId: 'no-such-chat', requestId: 'b4' });
    expect(await bob.next('error')).toMatchObject({ requestId: 'b4' });
    bob.send({ action: 'ping', requestId: 'still-up' });
    expect(await bob.next('pong')).toMatchObject({ requestId: 'still-up' });
  });

  it('answers a text over the length limit with bad_frame, and closes with 1009 on a message over 128 KB as API Gateway does', async () => {
    const bob = sockets[1]!;
    bob.send({ action: 'send', chatId: 'x', text: 'y'.repeat(21_000), clientMessageId: 'long', requestId: 'long' });
    expect(await bob.next('error')).toMatchObject({ code: 'bad_frame', requestId: 'long' });
    bob.send({ action: 'ping', requestId: 'after-long' });
    expect(await bob.next('pong')).toMatchObject({ requestId: 'after-long' });

    const closed = new Promise<number>((resolve) => bob.socket.once('close', (code) => resolve(code)));
    bob.send({ action: 'send', chatId: 'x', text: 'y'.repeat(200 * 1024), clientMessageId: 'big', requestId: 'huge' });
    expect(await closed).toBe(1009);
  });
});
