import { signMetaBody } from '../../functions/domain/signature';
import { wallTime, weekDays } from '../../functions/domain/hours';
import { startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { eventually, startLocalRuntime, type AgentSocket, type LocalRuntime } from '../support/runtime';

/**
 * Queue hours and max wait on the local runtime, with hours computed around the real clock: the
 * queue opens a minute or two after the customer writes (a Lisbon wall-clock interval), and the
 * opening timer goes through the timer queue like any other.
 */
const appId = '900100200399';
const appSecret = 'queue-hours-secret';
const token = 'EAAG-queue-hours';
const pages = { hours: '310000000000001', overflow: '310000000000002' };

describe('queue hours and max wait on the local runtime', () => {
  let local: LocalRuntime;
  let graph: FakeGraph;
  let admin: string;
  const sockets: AgentSocket[] = [];

  const customerWrites = async (pageId: string, customerId: string, text: string): Promise<void> => {
    const body = JSON.stringify({
      object: 'page',
      entry: [{ id: pageId, time: Date.now(), messaging: [{ sender: { id: customerId }, recipient: { id: pageId }, timestamp: Date.now(), message: { mid: `m-${customerId}-${Date.now()}`, text } }] }],
    });
    const res = await fetch(`${local.baseUrl}/webhooks/messenger/${appId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(body, appSecret) },
      body,
    });
    expect(res.status).toBe(200);
  };

  const connect = async (agentId: string): Promise<AgentSocket> => {
    expect((await local.api('PUT', `/api/agents/${agentId}`, { displayName: agentId, groups: [] }, admin)).status).toBe(200);
    const socket = await local.connectAgent(await local.token(agentId, ['agents'], agentId));
    socket.send({ action: 'sync' });
    await socket.next('snapshot');
    sockets.push(socket);
    return socket;
  };

  const channelFor = async (pageId: string, queueId: string, language: string): Promise<string> => {
    const channel = await local.api('POST', '/api/channels', { type: 'messenger', appId, pageId, pageAccessToken: token }, admin);
    const channelId = (channel.body as { id: string }).id;
    expect((await local.api('PATCH', `/api/channels/${channelId}`, { queueId, active: true, language }, admin)).status).toBe(200);
    return channelId;
  };

  beforeAll(async () => {
    graph = await startFakeGraph({ pages: Object.fromEntries(Object.values(pages).map((id) => [id, { name: `Page ${id}`, token }])) });
    local = await startLocalRuntime({ env: { GRAPH_API_URL: graph.url } });
    admin = await local.token('admin', ['chat-admins']);
    expect((await local.api('POST', '/api/messenger-apps', { appId, appSecret }, admin)).status).toBe(201);
  }, 60_000);

  afterAll(async () => {
    for (const s of sockets) await s.close();
    await local?.stop();
    await graph?.stop();
  });

  it('a chat written out of hours gets the Portuguese out-of-hours message and is offered when the queue opens', async () => {
    const queue = await local.api('POST', '/api/queues', { name: 'Apoio 🇵🇹', routingRule: 'available-agent', members: { users: ['rita'], groups: [] } }, admin);
    const queueId = (queue.body as { id: string }).id;
    // opens at the next whole minute at least 20 s away, on Lisbon's wall clock, for two hours
    const opening = Math.ceil((Date.now() + 20_000) / 60_000) * 60_000;
    const wall = wallTime('Europe/Lisbon', opening);
    const hhmm = (m: number) => `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    const hours = { timeZone: 'Europe/Lisbon', weekly: [{ day: weekDays[wall.weekday], open: hhmm(wall.minutes), close: hhmm(wall.minutes + 120) }], closures: [] };
    const put = await local.api('PUT', `/api/queues/${queueId}/hours`, hours, admin);
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ ...hours, overflowQueueId: null });
    // the answer refuses what is wrong, naming the field
    const bad = await local.api('PUT', `/api/queues/${queueId}/hours`, { ...hours, timeZone: 'Europe/Lisboa' }, admin);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('timeZone');
    expect((await local.api('PUT', `/api/queues/${queueId}/hours`, { ...hours, overflowQueueId: queueId }, admin)).status).toBe(400);
    expect((await local.api('PUT', `/api/queues/${queueId}/hours`, { ...hours, overflowQueueId: 'no-such-queue' }, admin)).status).toBe(404);
    const channelId = await channelFor(pages.hours, queueId, 'pt');
    expect(
      (
        await local.api(
          'PUT',
          `/api/channels/${channelId}/automated-messages`,
          {
            languages: {
              default: { greeting: 'Hello!', outOfHours: 'We are closed.' },
              pt: { greeting: 'Olá! Uma colega já responde 😀', outOfHours: 'Estamos fechados 🌙 — abrimos daqui a pouco. 👨‍👩‍👧' },
            },
            allAgentsBusyAfterSeconds: null,
          },
          admin,
        )
      ).status,
    ).toBe(200);
    const rita = await connect('rita');
    const live = await local.api('GET', '/api/live', undefined, admin);
    expect((live.body as { queues: { queueId: string; open: boolean }[] }).queues.find((q) => q.queueId === queueId)?.open).toBe(false);
    // when the customer writes while the queue is closed
    await customerWrites(pages.hours, 'pt-7001', 'Olá! A minha encomenda 📦 não chegou. Обновите, пожалуйста 🙏🏽');
    // then the Portuguese out-of-hours message reaches them, and nobody is offered the chat
    const told = await eventually(async () => graph.sent.find((m) => m.recipientId === 'pt-7001'), 15_000);
    expect(told.text).toBe('Estamos fechados 🌙 — abrimos daqui a pouco. 👨‍👩‍👧');
    await new Promise((resolve) => setTimeout(resolve, Math.max(1_000, opening - Date.now() - 3_000)));
    expect(rita.frames.filter((f) => (f as { type?: string }).type === 'chatOffered')).toEqual([]);
    // when the queue opens, rita is offered it (timers fire up to about a second late)
    const offered = await rita.next('chatOffered', opening - Date.now() + 10_000);
    expect(Date.now()).toBeGreaterThanOrEqual(opening);
    expect((offered.chat as { customer: { id: string } }).customer.id).toBe('pt-7001');
    const after = await local.api('GET', '/api/live', undefined, admin);
    expect((after.body as { queues: { queueId: string; open: boolean }[] }).queues.find((q) => q.queueId === queueId)?.open).toBe(true);
    expect(graph.sent.filter((m) => m.recipientId === 'pt-7001').map((m) => m.text)).toEqual(['Estamos fechados 🌙 — abrimos daqui a pouco. 👨‍👩‍👧']);
  }, 150_000);

  it('a chat nobody takes within the max wait moves to the overflow queue and is offered there', async () => {
    const seniors = await local.api('POST', '/api/queues', { name: 'Seniors', routingRule: 'available-agent', members: { users: ['sara'], groups: [] } }, admin);
    const seniorsId = (seniors.body as { id: string }).id;
    const first = await local.api('POST', '/api/queues', { name: 'First line', routingRule: 'available-agent', members: { users: [], groups: ['nobody'] }, maxWaitSeconds: 10, maxWaitAction: { type: 'overflow', queueId: seniorsId } }, admin);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ maxWaitSeconds: 10, maxWaitAction: { type: 'overflow', queueId: seniorsId }, positionUpdates: null });
    const firstId = (first.body as { id: string }).id;
    expect((await local.api('PATCH', `/api/queues/${firstId}`, { maxWaitAction: { type: 'overflow', queueId: firstId } }, admin)).status).toBe(400);
    await channelFor(pages.overflow, firstId, 'ja');
    const sara = await connect('sara');
    const wrote = Date.now();
    await customerWrites(pages.overflow, 'ja-8001', 'こんにちは、注文について 🙇‍♀️ 𝕳');
    const offered = await sara.next('chatOffered', 30_000);
    expect(Date.now() - wrote).toBeGreaterThanOrEqual(9_000);
    expect(offered.chat).toMatchObject({ queueId: seniorsId, customer: { id: 'ja-8001' } });
  }, 60_000);
});
