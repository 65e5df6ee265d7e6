import { signMetaBody } from '../../functions/domain/signature';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { startLocalRuntime, type AgentSocket, type LocalRuntime } from '../support/runtime';

/** Each queue rule on the local runtime, with short timeouts set through the settings and queue APIs. */
const appId = '900100200300';
const appSecret = 'routing-rules-secret';
const token = 'EAAG-routing-rules';
const pages = { available: '300000000000001', all: '300000000000002', timeout: '300000000000003', tenSeconds: '300000000000004' };

describe('queue rules on the local runtime', () => {
  let local: LocalRuntime;
  let graph: FakeGraph;
  let admin: string;
  const sockets: AgentSocket[] = [];
  let customerSeq = 0;

  const customerWrites = async (pageId: string, customerId = `cust-${++customerSeq}`, text = 'hello'): Promise<string> => {
    const body = JSON.stringify({
      object: 'page',
      entry: [
        {
          id: pageId,
          time: Date.now(),
          messaging: [{ sender: { id: customerId }, recipient: { id: pageId }, timestamp: Date.now(), message: { mid: `m-${customerId}-${Date.now()}-${Math.random()}`, text } }],
        },
      ],
    });
    const res = await fetch(`${local.baseUrl}/webhooks/messenger/${appId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(body, appSecret) },
      body,
    });
    expect(res.status).toBe(200);
    return customerId;
  };

  const connect = async (agentId: string): Promise<AgentSocket> => {
    const socket = await local.connectAgent(await local.token(agentId, ['agents'], agentId));
    socket.send({ action: 'sync' });
    await socket.next('snapshot');
    sockets.push(socket);
    return socket;
  };

  const queueFor = async (pageId: string, body: Record<string, unknown>): Promise<string> => {
    const queue = await local.api('POST', '/api/queues', { completionTimeoutSeconds: null, ...body }, admin);
    expect(queue.status).toBe(201);
    const queueId = (queue.body as { id: string }).id;
    const channel = await local.api('POST', '/api/channels', { type: 'messenger', appId, pageId, pageAccessToken: token }, admin);
    const linked = await local.api('PATCH', `/api/channels/${(channel.body as { id: string }).id}`, { queueId, active: true }, admin);
    expect(linked.status).toBe(200);
    return queueId;
  };

  beforeAll(async () => {
    graph = await startFakeGraph({
      pages: Object.fromEntries(Object.values(pages).map((id) => [id, { name: `Page ${id}`, token }])),
    });
    local = await startLocalRuntime({ env: { GRAPH_API_URL: graph.url } });
    admin = await local.token('admin', ['chat-admins']);
    expect((await local.api('POST', '/api/messenger-apps', { appId, appSecret }, admin)).status).toBe(201);
    expect((await local.api('PATCH', '/api/settings', { acceptTimeoutSeconds: 5 }, admin)).status).toBe(200);
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) await s.close();
    await local?.stop();
    await graph?.stop();
  });

  it('hands an unaccepted available-agent chat to the next agent after the accept timeout and makes the first inactive', async () => {
    // given two connected agents of an available-agent queue
    await queueFor(pages.available, { name: 'Available', routingRule: 'available-agent', members: { users: ['ava', 'ben'], groups: [] } });
    for (const id of ['ava', 'ben']) expect((await local.api('PUT', `/api/agents/${id}`, { displayName: id, groups: [] }, admin)).status).toBe(200);
    const ava = await connect('ava');
    const ben = await connect('ben');
    // when a customer writes, the tie (nobody took a chat yet) goes to ava by id; she does not accept
    await customerWrites(pages.available);
    const offered = await ava.next('chatOffered');
    const chatId = (offered.chat as { id: string }).id;
    const expiresIn = Date.parse(offered.expiresAt as string) - Date.now();
    expect(expiresIn).toBeGreaterThan(2_000);
    expect(expiresIn).toBeLessThanOrEqual(5_000);
    // then after about five seconds
    expect(await ava.next('offerWithdrawn', 15_000)).toMatchObject({ chatId, reason: 'timeout' });
    expect(await ava.next('statusChanged', 5_000)).toMatchObject({ status: 'inactive', reason: 'accept_timeout' });
    const handedOn = await ben.next('chatOffered', 5_000);
    expect((handedOn.chat as { id: string }).id).toBe(chatId);
    ben.send({ action: 'accept', chatId });
    expect(((await ben.next('chatAssigned')).chat as { agentId: string }).agentId).toBe('ben');
    const agents = await local.api('GET', '/api/agents/ava', undefined, admin);
    expect(agents.body).toMatchObject({ status: 'inactive', load: 0 });
  }, 40_000);

  it('offers an all-agents chat to every agent at once and lets exactly one accept win', async () => {
    await queueFor(pages.all, { name: 'All', routingRule: 'all-agents', members: { users: [], groups: ['team-all'] } });
    for (const id of ['cat', 'dan', 'eve']) expect((await local.api('PUT', `/api/agents/${id}`, { displayName: id, groups: ['team-all'] }, admin)).status).toBe(200);
    const team = await Promise.all(['cat', 'dan', 'eve'].map(connect));
    await customerWrites(pages.all);
    const offers = await Promise.all(team.map((s) => s.next('chatOffered')));
    const chatId = (offers[0]!.chat as { id: string }).id;
    expect(offers.every((o) => (o.chat as { id: string }).id === chatId && o.expiresAt === undefined)).toBe(true);
    // when all three accept at the same moment
    team.forEach((s, i) => s.send({ action: 'accept', chatId, requestId: `acc-${i}` }));
    // then one gets the chat, each other one sees the offer taken or its accept refused
    const outcomes = await Promise.all(
      team.map((s) =>
        Promise.race([
          s.next('chatAssigned').then(() => 'won'),
          s.next('offerWithdrawn').then((f) => `withdrawn:${f.reason}`),
          s.next('error').then((f) => `error:${f.code}`),
        ]),
      ),
    );
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    expect(outcomes.filter((o) => o !== 'won').every((o) => o === 'withdrawn:taken' || o === 'error:offer_gone')).toBe(true);
  }, 30_000);

  it('closes a chat when the customer stays silent for the completion timeout, and routes their next message as a new chat', async () => {
    await queueFor(pages.timeout, { name: 'Timeout', routingRule: 'available-agent', completionTimeoutSeconds: 10, members: { users: ['fay'], groups: [] } });
    expect((await local.api('PUT', '/api/agents/fay', { displayName: 'Fay', groups: [] }, admin)).status).toBe(200);
    const fay = await connect('fay');
    const customer = await customerWrites(pages.timeout);
    const chatId = ((await fay.next('chatOffered')).chat as { id: string }).id;
    fay.send({ action: 'accept', chatId });
    await fay.next('chatAssigned');
    fay.send({ action: 'send', chatId, text: 'Anything else?', clientMessageId: 'fay-1' });
    await fay.next('sent');
    // when ten seconds pass without a customer message
    expect(await fay.next('chatClosed', 20_000)).toMatchObject({ chatId, reason: 'timeout' });
    // then the customer's next message opens a new chat
    await customerWrites(pages.timeout, customer, 'one more thing');
    const again = await fay.next('chatOffered', 10_000);
    expect((again.chat as { id: string }).id).not.toBe(chatId);
    const closed = await local.api('GET', `/api/chats/${chatId}`, undefined, admin);
    expect(closed.body).toMatchObject({ state: 'closed' });
  }, 45_000);

  it('keeps a chat waiting while the agent is at their own limit and offers it when a chat closes', async () => {
    expect((await local.api('PUT', '/api/agents/ben', { displayName: 'ben', groups: [], simultaneousChats: 1 }, admin)).status).toBe(200);
    const ben = sockets[1]!;
    // ben holds one chat already (from the first test): a new chat must wait
    const ava = sockets[0]!;
    ava.send({ action: 'setStatus', status: 'inactive' });
    await ava.next('statusChanged');
    await customerWrites(pages.available);
    await new Promise((r) => setTimeout(r, 1_000));
    const waiting = await local.api('GET', '/api/chats?state=waiting', undefined, admin);
    const waitingIds = (waiting.body as { items: { id: string }[] }).items.map((c) => c.id);
    expect(waitingIds).toHaveLength(1);
    // when ben closes his chat
    const held = await local.api('GET', '/api/chats?agentId=ben', undefined, admin);
    const heldId = (held.body as { items: { id: string; state: string }[] }).items.find((c) => c.state === 'assigned')!.id;
    ben.send({ action: 'close', chatId: heldId });
    expect(await ben.next('chatClosed')).toMatchObject({ chatId: heldId, reason: 'agent' });
    // then the waiting chat is offered to him
    const offered = await ben.next('chatOffered', 10_000);
    expect((offered.chat as { id: string }).id).toBe(waitingIds[0]);
  }, 30_000);

  it('withdraws an offer with a 10 s accept timeout at its expiry, not before and at most 2 s after', async () => {
    // given a 10 s accept timeout and one agent of a fresh available-agent queue
    expect((await local.api('PATCH', '/api/settings', { acceptTimeoutSeconds: 10 }, admin)).status).toBe(200);
    await queueFor(pages.tenSeconds, { name: 'Ten seconds', routingRule: 'available-agent', members: { users: ['tia'], groups: [] } });
    expect((await local.api('PUT', '/api/agents/tia', { displayName: 'Tia', groups: [] }, admin)).status).toBe(200);
    const tia = await connect('tia');
    // when a customer writes and tia does not accept
    await customerWrites(pages.tenSeconds, 'cust-ten 🇵🇹', 'Olá, alguém aí? 👋');
    const offered = await tia.next('chatOffered');
    const chatId = (offered.chat as { id: string }).id;
    const expiresAt = Date.parse(offered.expiresAt as string);
    expect(expiresAt - Date.now()).toBeGreaterThan(8_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(10_000);
    // then the offer is withdrawn
    expect(await tia.next('offerWithdrawn', 20_000)).toMatchObject({ chatId, reason: 'timeout' });
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    // by a timer that fired at its expiry, not before and at most 2 s after (the timer function's own log line)
    const firedLine = local
      .output()
      .split('\n')
      .find((line) => line.includes('"timer fired"') && line.includes(chatId));
    const firedAt = Date.parse((JSON.parse(firedLine ?? '{}') as { timestamp?: string }).timestamp ?? '');
    expect(firedAt).toBeGreaterThanOrEqual(expiresAt);
    expect(firedAt - expiresAt).toBeLessThanOrEqual(2_000);
  }, 40_000);
});
