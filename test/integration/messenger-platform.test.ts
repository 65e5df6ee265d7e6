import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GraphApi } from '../../functions/adapters/graph-api';
import { parseMessengerWebhook } from '../../functions/domain/messenger';
import type { InboundEnvelope } from '../../functions/domain/inbound';
import type { Channel } from '../../functions/domain/model';
import type { OutboundJob } from '../../functions/domain/ports';
import { AutomatedMessages } from '../../functions/services/automated-messages';
import { Echoes } from '../../functions/services/echoes';
import { ChatEndings, Handover } from '../../functions/services/handover';
import { Dispatcher } from '../../functions/services/dispatcher';
import { ChatIntake, type IntakeOutcome } from '../../functions/services/chat-intake';
import { Profiles } from '../../functions/services/profiles';
import { Receipts } from '../../functions/services/receipts';
import { graphErrors, startFakeGraph, type FakeGraph } from '../support/fake-graph';
import { routingHarness } from '../support/routing-harness';

/** Every Messenger fixture through the router's ChatIntake, on DynamoDB Local and the fake Graph API. */
const fixtures = resolve(__dirname, '../fixtures/messenger');
const pageId = '105123456789012';
const customerId = '7215551234567890';
const ourAppId = '444555666777888';
const botAppId = '1517776481860111';
const token = 'EAAG-platform-test-token';

function envelopesOf(body: unknown): InboundEnvelope[] {
  const parsed = parseMessengerWebhook(body, '2025-11-21T08:00:00.000Z');
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.envelopes;
}
const fixture = (name: string): InboundEnvelope[] => envelopesOf(JSON.parse(readFileSync(resolve(fixtures, name), 'utf8')));

/** A handover event of the fixture's conversation, as Meta sends it. */
const handoverEvent = (kind: 'take_thread_control' | 'pass_thread_control', body: Record<string, unknown>): InboundEnvelope[] =>
  envelopesOf({ object: 'page', entry: [{ id: pageId, time: 1763712090000, messaging: [{ sender: { id: customerId }, recipient: { id: pageId }, timestamp: 1763712089990, [kind]: body }] }] });

let graph: FakeGraph;
beforeAll(async () => {
  graph = await startFakeGraph({
    pages: { [pageId]: { name: 'Acme Support', token } },
    profiles: { [customerId]: { first_name: 'Ana', last_name: 'Silva', profile_pic: 'https://scontent.example.net/ana.jpg' } },
  });
});
afterAll(() => graph.stop());

async function platform() {
  const h = await routingHarness();
  await h.queue({ id: 'q1', routingRule: 'all-agents' });
  await h.agent('ann', { connected: true });
  const channel: Channel = {
    id: 'ch-1', type: 'messenger', name: 'Acme Support', active: true, queueId: 'q1', language: 'en', provisioningState: 'running',
    lastError: null, humanAgentTag: false, appId: ourAppId, pageId, createdAt: '2025-11-01T00:00:00.000Z',
  };
  await h.directory.createChannel(channel);
  const jobs: OutboundJob[] = [];
  const outbound = { enqueue: async (job: OutboundJob) => void jobs.push(job) };
  // a second passes per reading, so messages stored in one step keep their order
  let now = Date.parse('2025-11-21T09:00:00.000Z');
  const clock = () => new Date((now += 1000));
  const automated = new AutomatedMessages({ chats: h.chats, outbound, notifier: h.notifier, timers: h.timers, clock });
  const endings = new ChatEndings({ outbound, automated, clock });
  const dispatcher = new Dispatcher({
    store: h.store,
    chats: h.chats,
    directory: h.directory,
    log: h.log,
    notifier: h.notifier,
    timers: h.timers,
    events: h.events,
    clock,
    endings,
  });
  const secrets = { prefix: 'test', get: async () => token, forget: () => undefined };
  const graphApi = new GraphApi({ baseUrl: graph.url });
  const ingest = new ChatIntake({
    directory: h.directory,
    contacts: { contactOfCustomer: async () => undefined },
    chats: h.chats,
    dispatcher,
    notifier: h.notifier,
    events: h.events,
    clock,
    // Telegram's own events never occur on a Messenger channel
    ...{ telegram: { edited: async () => 'ignored' as const, answerCallback: async () => undefined } },
    receipts: new Receipts({ chats: h.chats, notifier: h.notifier }),
    echoes: new Echoes({ chats: h.chats, notifier: h.notifier, clock }),
    handover: new Handover({ chats: h.chats, dispatcher, automated, events: h.events, clock }),
    profiles: new Profiles({ chats: h.chats, directory: h.directory, graph: graphApi, secrets, events: h.events, clock }),
    automated,
  });
  const handle = async (envelopes: InboundEnvelope[]): Promise<IntakeOutcome[]> => {
    const outcomes: IntakeOutcome[] = [];
    for (const e of envelopes) outcomes.push(await ingest.handle(e));
    return outcomes;
  };
  const openChat = async () => {
    const chat = await h.chats.openChatOf(channel.id, customerId);
    if (!chat) throw new Error('no open chat');
    return chat;
  };
  /** The customer writes and ann accepts the chat. */
  const assigned = async () => {
    await handle(fixture('text-message.json'));
    const chat = await openChat();
    expect(await dispatcher.accept('ann', chat.id)).toEqual({ ok: true });
    return openChat();
  };
  return { h, channel, jobs, handle, openChat, assigned, dispatcher, automated };
}

describe('Messenger platform events in the router', () => {
  it('opens a chat named after the customer’s Messenger profile, with their picture', async () => {
    // given
    const p = await platform();
    // when
    expect(await p.handle(fixture('text-message.json'))).toEqual(['stored']);
    // then
    const chat = await p.openChat();
    expect(chat.customer).toEqual({ id: customerId, name: 'Ana Silva', avatarUrl: 'https://scontent.example.net/ana.jpg' });
    expect(p.h.offersTo('ann')).toEqual([chat.id]);
  });

  it('a record retried after its chat was stored but not routed routes the chat, and stores nothing twice', async () => {
    // given the routing of the new chat failing once, after the chat and its message were stored
    const p = await platform();
    const routing = jest.spyOn(p.dispatcher, 'routeQueue').mockRejectedValueOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(p.handle(fixture('text-message.json'))).rejects.toThrow('Rate exceeded');
    const chat = await p.openChat();
    expect(chat.state).toBe('waiting');
    expect(p.h.offersTo('ann')).toEqual([]);
    // when SQS delivers the record again
    expect(await p.handle(fixture('text-message.json'))).toEqual(['duplicate']);
    // then the chat is offered, with its one message
    expect(p.h.offersTo('ann')).toEqual([chat.id]);
    expect((await p.h.chats.messages(chat.id)).map((m) => m.id)).toHaveLength(1);
    routing.mockRestore();
  });

  it('fetches a customer’s profile once and reuses it for the next chat', async () => {
    // given a first chat, closed
    const p = await platform();
    const chat = await p.assigned();
    await p.dispatcher.close(chat.id, 'agent', 'ann');
    const asked = () => graph.requests.filter((r) => r.path === `/${customerId}`).length;
    const before = asked();
    // when the customer writes again
    await p.handle(fixture('postback.json'));
    // then the new chat has the name without asking Meta again
    expect((await p.openChat()).customer.name).toBe('Ana Silva');
    expect(asked()).toBe(before);
  });

  it('shows a customer without a profile by id, quietly (2018218)', async () => {
    // given Meta has no profile to give
    const p = await platform();
    graph.reply(graphErrors.noProfile);
    // when
    expect(await p.handle(fixture('quick-reply.json'))).toEqual(['stored']);
    // then
    expect((await p.openChat()).customer).toEqual({ id: customerId, name: 'Customer 7890' });
    expect((await p.h.directory.channel('ch-1'))?.provisioningState).toBe('running');
  });

  it('marks the channel failed and says so on the bus when Meta rejects its token (190)', async () => {
    // given
    const p = await platform();
    graph.reply(graphErrors.tokenInvalid);
    // when
    expect(await p.handle(fixture('attachment-image.json'))).toEqual(['stored']);
    // then the chat still opens, with the inbound attachment
    const chat = await p.openChat();
    expect((await p.h.chats.messages(chat.id))[0]?.attachments).toEqual([{ type: 'image', url: expect.stringContaining('photo.jpg') }]);
    expect(await p.h.directory.channel('ch-1')).toMatchObject({ provisioningState: 'failed', lastError: expect.stringContaining('190') });
    expect(p.h.events.published).toContainEqual({ detailType: 'ChannelFailed', detail: expect.objectContaining({ channelId: 'ch-1' }) });
  });

  it('stores standby messages in a chat with the bot, with no agent, and routes nothing', async () => {
    // given
    const p = await platform();
    // when
    expect(await p.handle(fixture('standby.json'))).toEqual(['stored']);
    // then
    const chat = await p.openChat();
    expect(chat).toMatchObject({ state: 'bot', agentId: null });
    expect(p.h.offersTo('ann')).toEqual([]);
    expect((await p.h.chats.messages(chat.id)).map((m) => m.text)).toEqual(['What are your opening hours?']);
  });

  it('routes the chat when the bot passes the thread to this app, keeping the bot’s metadata', async () => {
    // given the bot holds the conversation
    const p = await platform();
    await p.handle(fixture('standby.json'));
    // when it passes the thread
    expect(await p.handle(fixture('pass-thread-control.json'))).toEqual(['stored']);
    // then
    const chat = await p.openChat();
    expect(chat).toMatchObject({ state: 'offered', handoverMetadata: '{"reason":"customer asked for a human"}', botAppId });
    expect(p.h.offersTo('ann')).toEqual([chat.id]);
  });

  it('passes the thread back to the bot when the chat closes', async () => {
    // given a chat the bot passed to us, with ann
    const p = await platform();
    await p.handle(fixture('standby.json'));
    await p.handle(fixture('pass-thread-control.json'));
    const chat = await p.openChat();
    await p.dispatcher.accept('ann', chat.id);
    // when ann closes it
    await p.dispatcher.close(chat.id, 'agent', 'ann');
    // then a pass_thread_control to the bot is queued
    expect(p.jobs).toContainEqual(expect.objectContaining({ chatId: chat.id, threadControl: expect.objectContaining({ action: 'pass', targetAppId: botAppId }) }));
  });

  it('withdraws the chat from its agent when the bot takes the thread, and gives nothing back', async () => {
    // given ann holds the chat
    const p = await platform();
    const chat = await p.assigned();
    // when the primary receiver takes the thread
    const outcome = await p.handle(handoverEvent('take_thread_control', { previous_owner_app_id: Number(ourAppId), new_owner_app_id: Number(botAppId), metadata: 'bot resumes' }));
    // then
    expect(outcome).toEqual(['stored']);
    expect(p.h.eventsOf('ann')).toContainEqual({ type: 'chatClosed', chatId: chat.id, reason: 'handover' });
    expect((await p.h.chats.chat(chat.id))?.state).toBe('closed');
    expect(p.jobs.filter((j) => 'threadControl' in j)).toEqual([]);
  });

  it('ignores our own passes and the thread moving between other apps', async () => {
    const p = await platform();
    await p.handle(fixture('standby.json'));
    expect(await p.handle(handoverEvent('pass_thread_control', { previous_owner_app_id: Number(ourAppId), new_owner_app_id: Number(botAppId) }))).toEqual(['ignored']);
    expect((await p.openChat()).state).toBe('bot');
  });

  it('moves our sent message to delivered and read, and tells its agent', async () => {
    // given ann's reply went out as m_outgoing_reply_1 before the fixtures' watermarks
    const p = await platform();
    const chat = await p.assigned();
    const reply = { id: 'msg-reply-1', chatId: chat.id, direction: 'out' as const, text: 'On its way', sentAt: '2025-11-21T08:00:30.000Z', status: 'sent' as const, agentId: 'ann', platformMessageId: 'm_outgoing_reply_1' };
    await p.h.chats.append(chat.id, { message: reply }, new Date());
    // when
    expect(await p.handle(fixture('delivery.json'))).toEqual(['stored']);
    expect((await p.h.chats.messageAt(reply))?.status).toBe('delivered');
    expect(await p.handle(fixture('read.json'))).toEqual(['stored']);
    // then
    expect((await p.h.chats.messageAt(reply))?.status).toBe('read');
    const statuses = p.h.eventsOf('ann').filter((e) => e.type === 'messageStatus');
    expect(statuses).toEqual([
      { type: 'messageStatus', chatId: chat.id, messageId: 'msg-reply-1', status: 'delivered' },
      { type: 'messageStatus', chatId: chat.id, messageId: 'msg-reply-1', status: 'read' },
    ]);
  });

  it('writes nothing for a receipt that moves no message', async () => {
    // given a read already applied
    const p = await platform();
    const chat = await p.assigned();
    await p.h.chats.append(chat.id, { message: { id: 'm1', chatId: chat.id, direction: 'out', text: 'x', sentAt: '2025-11-21T08:00:30.000Z', status: 'sent', agentId: 'ann' } }, new Date());
    await p.handle(fixture('read.json'));
    const writes = p.h.table.capacity.write;
    // when Meta repeats it, and a delivery follows
    expect(await p.handle(fixture('read.json'))).toEqual(['ignored']);
    expect(await p.handle(fixture('delivery.json'))).toEqual(['ignored']);
    // then
    expect(p.h.table.capacity.write).toBe(writes);
  });

  it('shows messages sent from the Page inbox to the agent, and ignores echoes of our own sends', async () => {
    // given
    const p = await platform();
    const chat = await p.assigned();
    const ours = structuredClone(JSON.parse(readFileSync(resolve(fixtures, 'echo.json'), 'utf8')));
    ours.entry[0].messaging[0].message = { ...ours.entry[0].messaging[0].message, app_id: Number(ourAppId), mid: 'm_echo_ours' };
    // when
    expect(await p.handle(fixture('echo.json'))).toEqual(['stored']);
    expect(await p.handle(fixture('echo.json'))).toEqual(['duplicate']);
    expect(await p.handle(envelopesOf(ours))).toEqual(['ignored']);
    // then
    const outgoing = (await p.h.chats.messages(chat.id)).filter((m) => m.direction === 'out');
    expect(outgoing).toEqual([expect.objectContaining({ text: 'Answered from the Page inbox', status: 'sent', platformMessageId: 'm_echo_from_page_inbox_1' })]);
    expect(p.h.eventsOf('ann')).toContainEqual({ type: 'message', chatId: chat.id, message: outgoing[0] });
  });

  it('greets a new chat in its language and says goodbye when it closes by timeout, as untagged Page messages', async () => {
    // given
    const p = await platform();
    await p.h.chats.saveAutomatedMessages('ch-1', { languages: { en: { greeting: 'Hi! An agent will be with you shortly.', closing: 'Chat closed. Write again any time.' } }, allAgentsBusyAfterSeconds: null });
    // when
    const chat = await p.assigned();
    await p.dispatcher.close(chat.id, 'timeout');
    // then both were stored without an agent and queued for the sender, greeting first
    const automated = (await p.h.chats.messages(chat.id)).filter((m) => m.direction === 'out');
    expect(automated.map((m) => [m.text, m.agentId])).toEqual([
      ['Hi! An agent will be with you shortly.', undefined],
      ['Chat closed. Write again any time.', undefined],
    ]);
    expect(p.jobs.map((j) => j.messageId)).toEqual(automated.map((m) => m.id));
  });

  it('tells a waiting customer once that all agents are busy after the set wait', async () => {
    // given a chat offered but not taken for an hour, and the busy notice after 60 s
    const p = await platform();
    await p.h.chats.saveAutomatedMessages('ch-1', { languages: { default: { allAgentsBusy: 'All our agents are busy; please hold on.' } }, allAgentsBusyAfterSeconds: 60 });
    await p.handle(fixture('text-message.json'));
    const chat = await p.openChat();
    await p.h.table.update({ pk: `CHAT#${chat.id}`, sk: 'CHAT', update: 'SET createdAt = :old', values: { ':old': '2025-11-21T08:00:00.000Z' } });
    // when the customer writes twice more
    await p.handle(fixture('quick-reply.json'));
    await p.handle(fixture('postback.json'));
    // then
    const notices = (await p.h.chats.messages(chat.id)).filter((m) => m.text === 'All our agents are busy; please hold on.');
    expect(notices).toHaveLength(1);
  });

  it('arms an "all agents busy" timer when a chat enters routing, which tells the customer once if nobody took the chat', async () => {
    // given the busy notice after 60 s
    const p = await platform();
    await p.h.chats.saveAutomatedMessages('ch-1', { languages: { default: { allAgentsBusy: 'All our agents are busy; please hold on.' } }, allAgentsBusyAfterSeconds: 60 });
    await p.handle(fixture('text-message.json'));
    const chat = await p.openChat();
    const timer = p.h.timers.armed.get(`busy-${chat.id}`);
    expect(timer?.payload).toEqual({ kind: 'allAgentsBusy', chatId: chat.id });
    expect(timer?.at.getTime()).toBe(Date.parse(chat.createdAt) + 60_000);
    // when it fires (twice, as a retried delivery would)
    await p.automated.busyTimerFired(chat.id);
    await p.automated.busyTimerFired(chat.id);
    // then
    const notices = (await p.h.chats.messages(chat.id)).filter((m) => m.text === 'All our agents are busy; please hold on.');
    expect(notices).toHaveLength(1);
  });

  it('says nothing when the "all agents busy" timer fires after an agent took the chat', async () => {
    const p = await platform();
    await p.h.chats.saveAutomatedMessages('ch-1', { languages: { default: { allAgentsBusy: 'All our agents are busy; please hold on.' } }, allAgentsBusyAfterSeconds: 60 });
    const chat = await p.assigned();
    await p.automated.busyTimerFired(chat.id);
    const notices = (await p.h.chats.messages(chat.id)).filter((m) => m.text === 'All our agents are busy; please hold on.');
    expect(notices).toEqual([]);
  });
});
