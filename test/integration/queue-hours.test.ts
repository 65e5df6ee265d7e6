import { randomUUID } from 'node:crypto';
import type { QueueHours } from '../../functions/domain/hours';
import type { OutboundJob, Queue, RoutedChat, TimerPayload } from '../../functions/domain/model';
import { DynamoWaitingLine } from '../../functions/adapters/dynamodb/waiting-line';
import { AutomatedMessages } from '../../functions/services/automated-messages';
import { Dispatcher } from '../../functions/services/dispatcher';
import { ChatEndings } from '../../functions/services/handover';
import { WaitingLine } from '../../functions/services/waiting-line';
import { routingHarness } from '../support/routing-harness';
import { DynamoChatStore } from '../../functions/adapters/dynamodb/chats';
import type { Table } from '../../functions/adapters/dynamodb/table';

const chatStoreOf = (table: Table) => new DynamoChatStore(table);

// the harness's clock starts on Sunday 2026-03-01 09:00 UTC (Lisbon is on UTC until 29 March)
const lisbonWeekdays: QueueHours = {
  timeZone: 'Europe/Lisbon',
  weekly: (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => ({ day, open: '09:00', close: '18:00' })),
  closures: [],
};

async function rig() {
  const h = await routingHarness();
  const outbound: OutboundJob[] = [];
  const line = new DynamoWaitingLine(h.table);
  const deps = { store: h.store, chats: h.chats, directory: h.directory, log: h.log, notifier: h.notifier, timers: h.timers, events: h.events, clock: h.clock };
  const automated = new AutomatedMessages({ chats: chatStoreOf(h.table), outbound: { enqueue: async (job) => void outbound.push(job) }, notifier: h.notifier, timers: h.timers, clock: h.clock });
  const endings = new ChatEndings({ outbound: { enqueue: async (job) => void outbound.push(job) }, automated, clock: h.clock, events: h.events });
  const dispatcher = new Dispatcher({ ...deps, endings, waitingLine: line });
  const waiting = new WaitingLine({ directory: h.directory, chats: h.chats, dispatcher, automated, store: line, timers: h.timers, clock: h.clock });
  const chatStore = chatStoreOf(h.table);
  await chatStore.saveAutomatedMessages('channel-1', {
    languages: {
      default: { greeting: 'Hello! 👋', outOfHours: 'We are closed 🌙', maxWaitExpired: 'Sorry, nobody could answer 😔', positionInLine: 'You are number {position} in line' },
      pt: { greeting: 'Olá! 👋🏽', outOfHours: 'Estamos fechados 🌙 Abrimos às 9h', maxWaitExpired: 'Lamentamos 😔', positionInLine: 'É o número {position} na fila 🇵🇹' },
    },
    allAgentsBusyAfterSeconds: null,
  });
  /** A customer's first message opens a chat in the queue; it enters the waiting line as the router does. */
  async function arrives(queueId: string, language: string | null = 'pt'): Promise<string> {
    const chat: RoutedChat = {
      id: randomUUID(),
      channelId: 'channel-1',
      channelType: 'messenger',
      queueId,
      state: 'waiting',
      agentId: null,
      customer: { id: randomUUID(), name: 'Zoë 𝕳 Ñandú' },
      contactId: null,
      language,
      createdAt: h.clock().toISOString(),
      lastMessageAt: h.clock().toISOString(),
      version: 1,
      offeredTo: [],
      skipped: [],
    };
    await h.chats.openChat(chat, { message: { id: randomUUID(), chatId: chat.id, direction: 'in', text: 'Olá 😀 こんにちは 👨‍👩‍👧', sentAt: chat.createdAt, status: 'received' } });
    await waiting.arrived(chat);
    h.advance(1);
    return chat.id;
  }
  const textsOf = async (chatId: string) => (await chatStore.messages(chatId)).filter((m) => m.direction === 'out').map((m) => m.text);
  const timersOf = <K extends TimerPayload['kind']>(kind: K) => h.timers.all.filter((t) => t.payload.kind === kind) as { at: Date; payload: Extract<TimerPayload, { kind: K }> }[];
  const queue = (q: Partial<Queue> & { id: string }) => h.queue(q);
  return { h, outbound, dispatcher, waiting, arrives, textsOf, timersOf, queue };
}

describe('queue hours and waiting against DynamoDB Local', () => {
  it('a chat arriving while the queue is closed gets the out-of-hours message once, waits, and is offered at the opening', async () => {
    const { h, waiting, arrives, textsOf, timersOf, queue } = await rig();
    await queue({ id: 'support', hours: lisbonWeekdays });
    await h.agent('ann', { connected: true });
    // when: two chats arrive on a Sunday
    const first = await arrives('support');
    const second = await arrives('support', null);
    // then: no offer, each told once in its language, one opening timer for Monday 09:00 Lisbon
    expect(h.offersTo('ann')).toEqual([]);
    expect(await textsOf(first)).toEqual(['Estamos fechados 🌙 Abrimos às 9h']);
    expect(await textsOf(second)).toEqual(['We are closed 🌙']);
    const openings = timersOf('queueOpens');
    expect(openings.map((t) => t.at.toISOString())).toEqual(['2026-03-02T09:00:00.000Z']);
    // an agent becoming ready while closed changes nothing
    await h.dispatcher.agentReady('ann');
    expect(h.offersTo('ann')).toEqual([]);
    // when: the timer fires (twice: SQS delivers at least once)
    h.advanceTo(openings[0]!.at);
    await waiting.queueOpened('support');
    await waiting.queueOpened('support');
    // then: both are offered, oldest first, once each (ann takes two chats at once)
    expect(h.offersTo('ann')).toEqual([first, second]);
    expect(await textsOf(first)).toEqual(['Estamos fechados 🌙 Abrimos às 9h']);
  });

  it('chats held by agents are untouched at closing; one waiting across the closing is routed at the next opening', async () => {
    const { h, waiting, arrives, timersOf, queue } = await rig();
    h.advanceTo(new Date('2026-03-02T17:58:00Z'));
    await queue({ id: 'support', hours: lisbonWeekdays });
    await h.agent('ann', { connected: true, simultaneousChats: 1 });
    const held = await arrives('support');
    await h.dispatcher.accept('ann', held);
    const late = await arrives('support');
    // when: the queue closes, and ann closes her chat after closing time
    h.advanceTo(new Date('2026-03-02T18:05:00Z'));
    expect(await h.chats.chat(held)).toMatchObject({ state: 'assigned', agentId: 'ann' });
    await h.dispatcher.close(held, 'agent', 'ann');
    // then: the late chat is not offered now; the opening timer is armed for Tuesday
    expect(h.offersTo('ann')).toEqual([held]);
    expect(timersOf('queueOpens').map((t) => t.at.toISOString())).toEqual(['2026-03-03T09:00:00.000Z']);
    h.advanceTo(new Date('2026-03-03T09:00:00Z'));
    await waiting.queueOpened('support');
    expect(h.offersTo('ann')).toEqual([held, late]);
  });

  it('a closed queue with an overflow queue moves the new chat there, where it is offered', async () => {
    const { h, arrives, textsOf, queue } = await rig();
    await queue({ id: 'night', members: { users: ['owl'], groups: [] } });
    await queue({ id: 'support', hours: { ...lisbonWeekdays, overflowQueueId: 'night' } });
    await h.agent('owl', { connected: true, groups: [] });
    await h.agent('ann', { connected: true });
    const chatId = await arrives('support');
    expect(await h.chats.chat(chatId)).toMatchObject({ queueId: 'night', state: 'offered' });
    expect(h.offersTo('owl')).toEqual([chatId]);
    expect(h.offersTo('ann')).toEqual([]);
    // told it is out of hours, and greeted in the open queue (the test clock stands still: both carry the same time)
    expect((await textsOf(chatId)).sort()).toEqual(['Estamos fechados 🌙 Abrimos às 9h', 'Olá! 👋🏽'].sort());
    expect(h.events.published.find((e) => e.detailType === 'ChatReassigned')?.detail).toMatchObject({ chatId, toQueueId: 'night', by: 'overflow', reason: 'outOfHours' });
  });

  it('max wait with close: the customer is told and the chat closes as abandoned; a chat taken in time is left alone', async () => {
    const { h, waiting, arrives, textsOf, timersOf, queue } = await rig();
    await queue({ id: 'support', maxWaitSeconds: 120, maxWaitAction: { type: 'close' } });
    const abandoned = await arrives('support');
    const taken = await arrives('support');
    const timers = timersOf('maxWait');
    expect(timers.map((t) => t.payload.chatId)).toEqual([abandoned, taken]);
    expect(timers[0]!.at.getTime() - Date.parse((await h.chats.chat(abandoned))!.createdAt)).toBe(120_000);
    await h.agent('ann', { connected: true, simultaneousChats: 1 });
    // ann (one chat at a time) is offered the older chat and takes it
    expect(h.offersTo('ann')).toEqual([abandoned]);
    await h.dispatcher.accept('ann', abandoned);
    // when both timers fire
    h.advanceTo(timers[1]!.at);
    for (const t of timers) await waiting.maxWaitReached(t.payload.chatId, t.payload.queueId);
    // then: the accepted chat is untouched, the waiting one is closed with the message
    expect(await h.chats.chat(abandoned)).toMatchObject({ state: 'assigned', agentId: 'ann' });
    expect(await h.chats.chat(taken)).toMatchObject({ state: 'closed', closeReason: 'maxWait' });
    expect(await textsOf(taken)).toEqual(['Olá! 👋🏽', 'Lamentamos 😔']);
    const closedEvents = h.events.published.filter((e) => e.detail['chatId'] === taken).map((e) => [e.detailType, e.detail['reason']]);
    expect(closedEvents).toEqual([['ChatClosed', 'maxWait'], ['ChatAbandoned', 'maxWait']]);
    // a second delivery of the timer changes nothing
    await waiting.maxWaitReached(taken, 'support');
    expect(await textsOf(taken)).toEqual(['Olá! 👋🏽', 'Lamentamos 😔']);
  });

  it('max wait with overflow: the pending offer is withdrawn and the chat is offered in the overflow queue', async () => {
    const { h, waiting, arrives, timersOf, queue } = await rig();
    await queue({ id: 'seniors', members: { users: ['bob'], groups: [] } });
    await queue({ id: 'support', members: { users: ['ann'], groups: [] }, maxWaitSeconds: 60, maxWaitAction: { type: 'overflow', queueId: 'seniors' } });
    await h.agent('ann', { connected: true, groups: [] });
    const chatId = await arrives('support');
    expect(h.offersTo('ann')).toEqual([chatId]);
    await h.agent('bob', { connected: true, groups: [] });
    const [timer] = timersOf('maxWait');
    h.advanceTo(timer!.at);
    await waiting.maxWaitReached(chatId, 'support');
    expect(h.eventsOf('ann').filter((e) => e.type === 'offerWithdrawn')).toEqual([{ type: 'offerWithdrawn', chatId, reason: 'transfer' }]);
    expect(await h.chats.chat(chatId)).toMatchObject({ queueId: 'seniors', state: 'offered', offeredTo: ['bob'] });
    expect((await h.store.agent('ann'))?.load).toBe(0);
    expect(await h.dispatcher.accept('ann', chatId)).toEqual({ ok: false, code: 'offer_gone' });
    expect(await h.dispatcher.accept('bob', chatId)).toEqual({ ok: true });
  });

  it('position in line: counted on the waiting index, at most once per period, armed again while waiting', async () => {
    const { h, waiting, arrives, textsOf, timersOf, queue } = await rig();
    await queue({ id: 'support', positionUpdates: { everySeconds: 60 } });
    const chats = [await arrives('support'), await arrives('support'), await arrives('support', 'en')];
    const third = chats[2]!;
    const armed = timersOf('positionInLine').filter((t) => t.payload.chatId === third);
    expect(armed).toHaveLength(1);
    h.advanceTo(armed[0]!.at);
    await waiting.positionDue(third, 'support');
    await waiting.positionDue(third, 'support');
    expect(await textsOf(third)).toEqual(['Hello! 👋', 'You are number 3 in line']);
    // the next one is armed once (the duplicate did not start a second chain)
    expect(timersOf('positionInLine').filter((t) => t.payload.chatId === third)).toHaveLength(2);
    // two chats ahead are taken
    await h.dispatcher.close(chats[0]!, 'supervisor');
    await h.dispatcher.close(chats[1]!, 'supervisor');
    h.advance(61);
    await waiting.positionDue(third, 'support');
    expect(await textsOf(third)).toEqual(['Hello! 👋', 'You are number 3 in line', 'You are number 1 in line']);
  });
});
