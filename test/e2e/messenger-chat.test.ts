import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { signMetaBody } from '../../functions/domain/signature';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { eventually, startLocalRuntime, type AgentSocket, type LocalRuntime } from '../support/runtime';
import { customerText, hardEmoji } from '../support/webhooks';

/**
 * The whole path, as a new user would try it: set up through the management API, a signed
 * Messenger webhook, an offer over the WebSocket, accept, reply through the Send API.
 */
const fixtures = resolve(__dirname, '../fixtures/messenger');
/** What customers add to the fixtures' texts here: scripts and emoji that must survive every hop. */
const real = ` ${customerText}`;
/** A fixture as Meta would send it now (the messaging window is counted from the event timestamps), its texts as customers write. */
const fixture = (name: string): Record<string, unknown> => {
  const body = JSON.parse(readFileSync(resolve(fixtures, name), 'utf8')) as { entry: { time: number; messaging?: { timestamp: number; message?: { text?: string } }[] }[] };
  const shift = Date.now() - Math.max(...body.entry.flatMap((e) => (e.messaging ?? []).map((m) => m.timestamp)));
  for (const entry of body.entry) {
    entry.time += shift;
    for (const event of entry.messaging ?? []) {
      event.timestamp += shift;
      if (event.message?.text !== undefined) event.message.text += real;
    }
  }
  return body as unknown as Record<string, unknown>;
};

const appId = '444555666777888';
const appSecret = 'app-secret-for-tests-0123456789';
const pageId = '105123456789012';
const secondPageId = '208765432109876';
const pageToken = 'EAAG-page-token-for-tests';

describe('a Messenger chat from webhook to agent and back', () => {
  let local: LocalRuntime;
  let graph: FakeGraph;
  let admin: string;
  let agent: AgentSocket;
  let verifyToken: string;

  /** The next customer message pushed to the agent (the agent's own replies are pushed too, for their other tabs). */
  const nextCustomerMessage = async (): Promise<Record<string, unknown>> => {
    for (;;) {
      const frame = await agent.next('message');
      if ((frame.message as { direction: string }).direction === 'in') return frame;
    }
  };

  const post = (body: unknown, signature?: string | null, path = `/webhooks/messenger/${appId}`) => {
    const raw = typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const sig = signature === undefined ? signMetaBody(raw, appSecret) : signature;
    if (sig !== null) headers['x-hub-signature-256'] = sig;
    return fetch(`${local.baseUrl}${path}`, { method: 'POST', headers, body: raw });
  };

  beforeAll(async () => {
    graph = await startFakeGraph({
      pages: { [pageId]: { name: 'Acme Support', token: pageToken }, [secondPageId]: { name: 'Acme Lisbon', token: pageToken } },
    });
    local = await startLocalRuntime({ env: { GRAPH_API_URL: graph.url } });
    admin = await local.token('admin', ['chat-admins'], 'Admin');

    // 1. an admin registers the Meta app, connects the Page, creates a queue, links it, registers an agent
    const app = await local.api('POST', '/api/messenger-apps', { appId, appSecret }, admin);
    expect(app.status).toBe(201);
    verifyToken = (app.body as { verifyToken: string }).verifyToken;
    expect(JSON.stringify(app.body)).not.toContain(appSecret);

    const queue = await local.api('POST', '/api/queues', { name: 'Support', routingRule: 'available-agent', completionTimeoutSeconds: null, members: { users: ['alice'], groups: [] } }, admin);
    expect(queue.status).toBe(201);
    const queueId = (queue.body as { id: string }).id;

    for (const page of [pageId, secondPageId]) {
      const channel = await local.api('POST', '/api/channels', { type: 'messenger', appId, pageId: page, pageAccessToken: pageToken }, admin);
      expect(channel.status).toBe(201);
      expect(channel.body).toMatchObject({ type: 'messenger', active: false });
      const linked = await local.api('PATCH', `/api/channels/${(channel.body as { id: string }).id}`, { queueId, active: true }, admin);
      expect(linked.status).toBe(200);
      expect(linked.body).toMatchObject({ active: true, queueId });
    }

    const registered = await local.api('PUT', '/api/agents/alice', { displayName: 'Alice', groups: ['agents'] }, admin);
    expect(registered.status).toBe(200);

    agent = await local.connectAgent(await local.token('alice', ['agents'], 'Alice'));
    // nothing can be pushed during $connect; a client asks for its state once connected
    agent.send({ action: 'sync', requestId: 'hello' });
    expect(await agent.next('snapshot')).toMatchObject({ requestId: 'hello', status: 'active', chats: [], offers: [] });
  }, 90_000);

  afterAll(async () => {
    await agent?.close();
    await local?.stop();
    await graph?.stop();
  });

  it('names the channel after the Page, read from the Graph API', async () => {
    const channels = await local.api('GET', '/api/channels', undefined, admin);
    const names = (channels.body as { items: { name: string }[] }).items.map((c) => c.name).sort();
    expect(names).toEqual(['Acme Lisbon', 'Acme Support']);
  });

  it('answers Meta’s verification handshake with the challenge, and refuses a wrong verify token', async () => {
    const ok = await fetch(`${local.baseUrl}/webhooks/messenger/${appId}?hub.mode=subscribe&hub.verify_token=${verifyToken}&hub.challenge=1158201444`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    const wrong = await fetch(`${local.baseUrl}/webhooks/messenger/${appId}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`);
    expect(wrong.status).toBe(403);
  });

  it('offers a signed customer message to the agent, carries the accepted reply out through the Send API, and keeps the conversation with the agent', async () => {
    // 3. a signed webhook arrives and is offered to the agent
    const res = await post(fixture('text-message.json'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('EVENT_RECEIVED');
    const offered = await agent.next('chatOffered');
    const chat = offered.chat as { id: string; customer: { id: string }; state: string };
    expect(chat.customer.id).toBe('7215551234567890');
    expect(typeof offered.expiresAt).toBe('string');
    expect(typeof offered.cursor).toBe('number');

    // 4. accept, reply, and the reply leaves as the page
    agent.send({ action: 'accept', chatId: chat.id, requestId: 'r1' });
    const assigned = await agent.next('chatAssigned');
    expect((assigned.chat as { state: string }).state).toBe('assigned');
    expect((assigned.messages as { text: string }[]).map((m) => m.text)).toEqual([`Hi, my order #4417 has not arrived yet${real}`]);

    agent.send({ action: 'send', chatId: chat.id, text: 'Sorry about that! Let me check.', clientMessageId: 'c-1', requestId: 'r2' });
    const sent = await agent.next('sent');
    expect(sent).toMatchObject({ requestId: 'r2', clientMessageId: 'c-1' });
    const status = await agent.next('messageStatus');
    expect(status).toMatchObject({ chatId: chat.id, messageId: sent.messageId, status: 'sent' });
    expect(graph.sent).toEqual([
      expect.objectContaining({ pageId, recipientId: '7215551234567890', messagingType: 'RESPONSE', text: 'Sorry about that! Let me check.' }),
    ]);
    expect(graph.requests.find((r) => r.method === 'POST')?.token).toBe(pageToken);
    expect(graph.violations).toEqual([]);

    // 5. further messages of the conversation reach the same agent, in order
    const base = fixture('text-message.json') as { entry: { messaging: { timestamp: number; message: { mid: string; text: string } }[] }[] };
    for (const n of [1, 2, 3]) {
      const next = structuredClone(base);
      const event = next.entry[0]!.messaging[0]!;
      event.timestamp += n * 1000;
      event.message = { mid: `m_followup_${n}`, text: `follow-up ${n} ${hardEmoji[n]}` };
      expect((await post(next)).status).toBe(200);
    }
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await nextCustomerMessage();
      texts.push((m.message as { text: string }).text);
      expect(m.chatId).toBe(chat.id);
    }
    expect(texts).toEqual(['follow-up 1 👍🏽', 'follow-up 2 🇵🇹', 'follow-up 3 👨‍👩‍👧']);

    // the dashboard's figures leave as embedded metrics; no INFO line carries what the customer or agent wrote
    const lines = local.output().split('\n').filter((line) => line.startsWith('{'));
    const recorded = new Map<string, unknown>();
    for (const line of lines) {
      const parsed = JSON.parse(line) as { _aws?: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] } } & Record<string, unknown>;
      for (const directive of parsed._aws?.CloudWatchMetrics ?? []) {
        expect(directive.Namespace).toBe('Omnichat/local');
        for (const metric of directive.Metrics) recorded.set(metric.Name, parsed[metric.Name]);
      }
    }
    expect([...recorded.keys()]).toEqual(expect.arrayContaining(['InboundMessages', 'ChatsOffered', 'TimeToOffer', 'ChatsAccepted', 'QueueWait', 'TimeToAccept']));
    expect(recorded.get('ChatsAccepted')).toBe(1);
    const infoLines = lines.filter((line) => line.includes('"level":"INFO"'));
    expect(infoLines.length).toBeGreaterThan(5);
    for (const secret of ['order #4417', 'Let me check', 'follow-up 2', pageToken]) {
      expect(infoLines.filter((line) => line.includes(secret))).toEqual([]);
    }
  });

  it('stores a message delivered three times once', async () => {
    const body = fixture('quick-reply.json');
    for (let i = 0; i < 3; i++) expect((await post(body)).status).toBe(200);
    const first = await nextCustomerMessage();
    expect((first.message as { payload?: string }).payload).toBe('TRACK_ORDER');
    await new Promise((r) => setTimeout(r, 1500));
    const copies = agent.frames.filter((f) => (f as { message?: { text?: string } }).message?.text === `Track my order${real}`);
    expect(copies).toHaveLength(1);
    const chats = await local.api('GET', `/api/chats?state=assigned`, undefined, admin);
    const chatId = (chats.body as { items: { id: string }[] }).items[0]!.id;
    const detail = await local.api('GET', `/api/chats/${chatId}`, undefined, admin);
    const stored = (detail.body as { messages: { text?: string }[] }).messages.filter((m) => m.text === `Track my order${real}`);
    expect(stored).toHaveLength(1);
  });

  it('routes both Pages of a two-Page delivery', async () => {
    const res = await post(fixture('batch-two-pages.json'));
    expect(res.status).toBe(200);
    const offered = await agent.next('chatOffered');
    expect((offered.chat as { customer: { id: string } }).customer.id).toBe('6103339876543210');
    const created = await eventually(async () => {
      const events = await local.events('ChatCreated');
      return events.length >= 2 ? events : undefined;
    });
    expect(created.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses unsigned, mis-signed, unknown-app, malformed and oversized webhooks without storing them', async () => {
    const body = fixture('postback.json');
    const before = (await local.events('ChatCreated')).length;
    expect((await post(body, null)).status).toBe(401);
    expect((await post(body, 'sha256=' + '0'.repeat(64))).status).toBe(401);
    expect((await post(body, signMetaBody(JSON.stringify(body), 'another-secret'))).status).toBe(401);
    expect((await post(body, undefined, '/webhooks/messenger/999999')).status).toBe(404);

    const malformed = await post('{"object": "page", "entry": [');
    expect(malformed.status).toBe(400);
    const wrongShape = await post({ object: 'page', entry: [{ id: 42, time: 'x' }] });
    expect(wrongShape.status).toBe(400);
    const problem = (await wrongShape.json()) as { error: { details: { field: string }[] } };
    expect(problem.error.details.map((d) => d.field)).toEqual(expect.arrayContaining(['entry.0.id']));

    const huge = JSON.stringify({ object: 'page', entry: [], padding: 'x'.repeat(1024 * 1024 + 10) });
    expect((await post(huge)).status).toBe(413);

    await new Promise((r) => setTimeout(r, 500));
    expect((await local.events('ChatCreated')).length).toBe(before);
    expect(agent.frames.some((f) => JSON.stringify(f).includes('m_postback_1'))).toBe(false);
  });
});
