import { signMetaBody } from '../../functions/domain/signature';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { eventually, startLocalRuntime, type AgentSocket, type LocalRuntime } from '../support/runtime';

/**
 * A chat too long for one WebSocket frame, over real sockets on the local runtime: accepting it
 * sends the newest messages that fit, `history` pages the rest, `sync` keeps working, and no
 * frame the product sends is over API Gateway's 128 KB. Ids longer than the caps get typed errors.
 */
const appId = '611222333444777';
const appSecret = 'long-chats-app-secret-0123456789';
const page = '105000000000777';
const pageToken = 'EAAG-long-chats-page-token';
const maxFrameBytes = 128 * 1024;

type Frame = Record<string, unknown>;
type MessageFrame = { id: string; text?: string; sentAt: string; direction: string; truncated?: boolean };

/** 1,900 characters: CJK of three scripts and every kind of emoji, numbered so each is distinct. */
function longText(n: number): string {
  const tail = ` 😀👍🏽🇵🇹👨‍👩‍👧𝕳 #${n}`;
  const cjk = '漢字の長い文章、한국어 문장과 中文句子。';
  let text = '';
  while ([...text].length + [...tail].length < 1_900) text += cjk[[...text].length % cjk.length];
  return text + tail;
}

describe('long chats over the agent WebSocket', () => {
  let local: LocalRuntime;
  let graph: FakeGraph;
  let admin: string;
  let alice: AgentSocket;
  /** UTF-8 bytes of every frame alice received, as sent on the wire. */
  const sizes: { type: string; bytes: number }[] = [];
  let mid = 0;
  let chatId = '';
  const texts = Array.from({ length: 25 }, (_, i) => longText(i + 1));

  const customerWrites = async (psid: string, text: string) => {
    mid += 1;
    const body = JSON.stringify({
      object: 'page',
      entry: [{ id: page, time: Date.now(), messaging: [{ sender: { id: psid }, recipient: { id: page }, timestamp: Date.now() + mid, message: { mid: `m_long_${mid}`, text } }] }],
    });
    const res = await fetch(`${local.baseUrl}/webhooks/messenger/${appId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(body, appSecret) },
      body,
    });
    expect(res.status).toBe(200);
  };
  const next = async (socket: AgentSocket, type: string, where: (f: Frame) => boolean = () => true, timeoutMs = 15_000): Promise<Frame> => {
    for (;;) {
      const frame = await socket.next(type, timeoutMs);
      if (where(frame)) return frame;
    }
  };
  const errorFor = (requestId: string) => next(alice, 'error', (f) => f.requestId === requestId);

  beforeAll(async () => {
    graph = await startFakeGraph({ pages: { [page]: { name: 'Long Chats', token: pageToken } }, profiles: {} });
    local = await startLocalRuntime({ env: { GRAPH_API_URL: graph.url } });
    admin = await local.token('admin', ['chat-admins'], 'Admin');
    const call = async (method: string, path: string, body: unknown) => {
      const res = await local.api(method, path, body, admin);
      if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
      return res.body as { id: string };
    };
    await call('POST', '/api/messenger-apps', { appId, appSecret });
    await call('PATCH', '/api/settings', { simultaneousChats: 10, acceptTimeoutSeconds: 600 });
    const queue = (await call('POST', '/api/queues', { name: 'Long', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: ['alice'], groups: [] } })).id;
    const channel = await call('POST', '/api/channels', { type: 'messenger', appId, pageId: page, pageAccessToken: pageToken });
    await call('PATCH', `/api/channels/${channel.id}`, { queueId: queue, active: true, language: 'ja' });
    await call('PUT', '/api/agents/alice', { displayName: 'Alice', groups: ['agents'] });
    alice = await local.connectAgent(await local.token('alice', ['agents'], 'Alice'));
    alice.socket.on('message', (data: Buffer) => {
      const parsed = JSON.parse(data.toString()) as Frame;
      sizes.push({ type: String(parsed.type ?? parsed.message), bytes: data.length });
    });
  }, 90_000);

  afterAll(async () => {
    await alice?.close();
    await local?.stop();
    await graph?.stop();
  });

  it('assigns a 25 × 1,900-character chat with the newest messages that fit, and pages the rest with history exactly once, in order', async () => {
    // given a customer who wrote 25 long messages (~140 KB) before the agent accepts
    for (const text of texts) await customerWrites('7300000000007771', text);
    const offered = await next(alice, 'chatOffered');
    chatId = (offered.chat as { id: string }).id;
    await eventually(async () => {
      const res = await local.api('GET', `/api/chats/${chatId}`, undefined, admin);
      return (res.body as { messages?: unknown[] }).messages?.length === 25 ? true : undefined;
    }, 90_000, 500);

    // when the agent accepts it
    alice.send({ action: 'accept', chatId, requestId: 'accept-long' });

    // then chatAssigned arrives, under 128 KB, with the newest messages and a cursor to the older ones
    const assigned = await next(alice, 'chatAssigned');
    expect(sizes.find((s) => s.type === 'chatAssigned')!.bytes).toBeLessThanOrEqual(maxFrameBytes);
    const recent = assigned.messages as MessageFrame[];
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.length).toBeLessThan(25);
    expect(recent.map((m) => m.text)).toEqual(texts.slice(25 - recent.length));
    expect(typeof assigned.olderCursor).toBe('string');

    // and history pages the older messages, newest page first, until there is no cursor
    const pages: MessageFrame[][] = [];
    let before = assigned.olderCursor as string | undefined;
    for (let n = 0; before && n < 30; n++) {
      alice.send({ action: 'history', chatId, before, requestId: `h${n}` });
      const history = await next(alice, 'history', (f) => f.requestId === `h${n}`);
      expect(history.chatId).toBe(chatId);
      pages.unshift(history.messages as MessageFrame[]);
      before = history.olderCursor as string | undefined;
    }
    expect(before).toBeUndefined();
    const all = [...pages.flat(), ...recent];
    expect(all.map((m) => m.text)).toEqual(texts);
    expect(new Set(all.map((m) => m.id)).size).toBe(25);
    expect(all.some((m) => m.truncated)).toBe(false);
    for (const size of sizes) expect(size.bytes).toBeLessThanOrEqual(maxFrameBytes);
  }, 180_000);

  it('keeps sync working after the long chat was assigned: bounded snapshots with every event', async () => {
    // when the agent reconnects from the start of its log, and without a cursor
    alice.send({ action: 'sync', since: 0, requestId: 'sync-all' });
    const replay = await next(alice, 'snapshot', (f) => f.requestId === 'sync-all');
    alice.send({ action: 'sync', requestId: 'sync-now' });
    const now = await next(alice, 'snapshot', (f) => f.requestId === 'sync-now');

    // then both snapshots fit and carry the chat with its newest messages
    for (const snapshot of [replay, now]) {
      const held = (snapshot.chats as { chat: { id: string }; messages: MessageFrame[]; olderCursor?: string }[]).find((c) => c.chat.id === chatId)!;
      expect(held.messages.length).toBeGreaterThan(0);
      expect(held.messages.at(-1)!.text).toBe(texts[24]);
      expect(typeof held.olderCursor).toBe('string');
    }
    // events that do not fit one snapshot are paged with since = cursor
    const events = [...(replay.events as Frame[])];
    let more = replay;
    for (let n = 0; more.moreEvents === true && n < 20; n++) {
      expect(events.length).toBeGreaterThan(0);
      alice.send({ action: 'sync', since: more.cursor, requestId: `sync-more-${n}` });
      more = await next(alice, 'snapshot', (f) => f.requestId === `sync-more-${n}`);
      events.push(...(more.events as Frame[]));
    }
    expect(more.moreEvents).toBeUndefined();
    const cursors = events.map((e) => e.cursor as number);
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    expect(new Set(cursors).size).toBe(cursors.length);
    expect(events.map((e) => e.type)).toContain('chatAssigned');
    // messages are the chat's, read with the held chat and history, not logged per agent
    expect(events.filter((e) => e.type === 'message')).toEqual([]);
    for (const size of sizes) expect(size.bytes).toBeLessThanOrEqual(maxFrameBytes);

    // and history from the snapshot's cursor continues where the snapshot stops
    const held = (now.chats as { chat: { id: string }; messages: MessageFrame[]; olderCursor: string }[]).find((c) => c.chat.id === chatId)!;
    alice.send({ action: 'history', chatId, before: held.olderCursor, requestId: 'from-snapshot' });
    const older = await next(alice, 'history', (f) => f.requestId === 'from-snapshot');
    const olderTexts = (older.messages as MessageFrame[]).map((m) => m.text);
    expect(olderTexts).toEqual(texts.slice(25 - held.messages.length - olderTexts.length, 25 - held.messages.length));
  }, 60_000);

  it('answers ids over the length caps and foreign or malformed history requests with typed errors, never a 5xx', async () => {
    const long = 'x'.repeat(5_000);
    const cases: [Frame, string][] = [
      [{ action: 'transfer', chatId, queueId: long }, 'queueId'],
      [{ action: 'transfer', chatId, agentId: long }, 'agentId'],
      [{ action: 'transfer', chatId: long, queueId: 'q' }, 'chatId'],
      [{ action: 'runAction', chatId, actionId: long }, 'actionId'],
      [{ action: 'runAction', chatId: long, actionId: 'a' }, 'chatId'],
      [{ action: 'accept', chatId: long }, 'chatId'],
      [{ action: 'close', chatId: long }, 'chatId'],
      [{ action: 'requestThread', chatId: long }, 'chatId'],
      [{ action: 'send', chatId, text: 'hi', clientMessageId: long }, 'clientMessageId'],
      [{ action: 'history', chatId: long }, 'chatId'],
      [{ action: 'history', chatId, before: long }, 'before'],
      [{ action: 'history', chatId, before: 'not-a-cursor' }, 'before'],
    ];
    for (const [i, [frame, field]] of cases.entries()) {
      alice.send({ ...frame, requestId: `cap-${i}` });
      const error = await errorFor(`cap-${i}`);
      expect(error).toMatchObject({ code: 'bad_frame' });
      expect((error.details as { field: string }[]).map((d) => d.field)).toContain(field);
    }
    alice.send({ action: 'history', chatId: 'someone-elses-chat', requestId: 'foreign' });
    expect(await errorFor('foreign')).toMatchObject({ code: 'not_your_chat' });
    alice.send({ action: 'ping', requestId: 'still-up' });
    expect(await next(alice, 'pong')).toMatchObject({ requestId: 'still-up' });
    expect(alice.frames.some((f) => (f as Frame).message === 'Internal server error')).toBe(false);
    expect(local.output()).not.toMatch(/failed: /);
  }, 60_000);
});
