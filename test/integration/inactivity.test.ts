import { randomUUID } from 'node:crypto';
import type { OutboundJob, RoutingStore, TimerPayload } from '../../functions/domain/ports';
import type { CloseReason } from '../../functions/domain/model';
import { AutomatedMessages } from '../../functions/services/automated-messages';
import { ChatEndings } from '../../functions/services/handover';
import { ChatClosedMeanwhile } from '../../functions/domain/ports';
import { Dispatcher } from '../../functions/services/dispatcher';
import { routingHarness, type RoutingHarness } from '../support/routing-harness';

type InactivityTimer = Extract<TimerPayload, { kind: 'inactivityTimeout' }>;

/** The inactivity timer armed last for a chat, with its time. */
function inactivityTimer(h: RoutingHarness, chatId: string): { at: Date; payload: InactivityTimer } {
  const armed = h.timers.armed.get(`inactive-${chatId}`);
  if (!armed || armed.payload.kind !== 'inactivityTimeout') throw new Error(`no inactivity timer for ${chatId}`);
  return { at: armed.at, payload: armed.payload };
}

function inactivityTimersOf(h: RoutingHarness, chatId: string): Date[] {
  return h.timers.all.filter((t) => t.payload.kind === 'inactivityTimeout' && t.payload.chatId === chatId).map((t) => t.at);
}

/** Fires a timer as the timer Lambda does once it is due. */
async function fire(h: RoutingHarness, timer: { at: Date; payload: InactivityTimer }, dispatcher = h.dispatcher): Promise<void> {
  h.advanceTo(timer.at);
  await dispatcher.inactivityTimedOut(timer.payload.chatId, timer.payload.heldSince);
}

async function assignedChat(h: RoutingHarness, agentId = 'ann'): Promise<string> {
  const chatId = await h.customerWrites('support');
  expect(await h.dispatcher.accept(agentId, chatId)).toEqual({ ok: true });
  return chatId;
}

async function customerWritesWhileOpen(h: RoutingHarness, chatId: string, text: string): Promise<'stored' | 'closed'> {
  const message = { id: randomUUID(), chatId, direction: 'in' as const, text, sentAt: h.clock().toISOString(), status: 'received' as const };
  try {
    await h.chats.append(chatId, { message, whileOpen: true }, h.clock());
    return 'stored';
  } catch (error) {
    if (error instanceof ChatClosedMeanwhile) return 'closed';
    throw error;
  }
}

describe('inactivity timeout against DynamoDB Local', () => {
  it('closes an assigned chat where nobody wrote for the queue’s timeout, with reason inactivity, once', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support', inactivityTimeoutSeconds: 120 });
    await h.agent('ann', { connected: true });
    const accepted = h.clock();
    const chatId = await assignedChat(h);
    // one timer, armed at the accept for accept + 120 s
    const timer = inactivityTimer(h, chatId);
    expect(timer.at.toISOString()).toBe(new Date(accepted.getTime() + 120_000).toISOString());
    // when
    await fire(h, timer);
    // then
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'closed', closeReason: 'inactivity' });
    expect(h.eventsOf('ann').filter((e) => e.type === 'chatClosed')).toEqual([{ type: 'chatClosed', chatId, reason: 'inactivity' }]);
    expect(h.events.published.filter((e) => e.detailType === 'ChatClosed').map((e) => e.detail)).toEqual([
      expect.objectContaining({ chatId, reason: 'inactivity', agentId: 'ann', queueId: 'support' }),
    ]);
    expect((await h.store.agent('ann'))?.load).toBe(0);
    // delivered again (SQS is at least once): nothing more happens
    await fire(h, timer);
    expect(h.eventsOf('ann').filter((e) => e.type === 'chatClosed')).toHaveLength(1);
    expect(inactivityTimersOf(h, chatId)).toHaveLength(1);
  });

  it('a queue without the timeout arms nothing, and one whose timeout was removed leaves the chat open', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.queue({ id: 'sales', inactivityTimeoutSeconds: 60 });
    await h.agent('ann', { connected: true, simultaneousChats: 5 });
    const plain = await assignedChat(h);
    expect(inactivityTimersOf(h, plain)).toHaveLength(0);
    const salesChat = await h.customerWrites('sales');
    await h.dispatcher.accept('ann', salesChat);
    const timer = inactivityTimer(h, salesChat);
    await h.queue({ id: 'sales', inactivityTimeoutSeconds: null });
    await fire(h, timer);
    expect(await h.chats.chat(salesChat)).toMatchObject({ state: 'assigned' });
    expect(inactivityTimersOf(h, salesChat)).toHaveLength(1);
  });

  it('a message after the timer was armed moves the deadline: the timer re-arms for it, and closes only then', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support', inactivityTimeoutSeconds: 300, completionTimeoutSeconds: null });
    await h.agent('ann', { connected: true });
    const chatId = await assignedChat(h);
    const first = inactivityTimer(h, chatId);
    // the customer writes 100 s in, the agent 250 s in
    h.advance(100);
    await h.customerWritesAgain(chatId);
    h.advance(150);
    const agentWroteAt = h.clock();
    expect(await h.agentReplies(chatId)).toBe(true);
    // when the first timer fires, the chat stays and the timer is armed for the agent's message + 300 s
    await fire(h, first);
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'assigned' });
    const second = inactivityTimer(h, chatId);
    expect(second.at.toISOString()).toBe(new Date(agentWroteAt.getTime() + 300_000).toISOString());
    expect(second.payload.heldSince).toBe(first.payload.heldSince);
    // a message writes no timer of its own: only the accept and the re-arm did
    expect(inactivityTimersOf(h, chatId)).toHaveLength(2);
    // the customer writes once more (Ukrainian, with emoji), then nobody does
    h.advance(10);
    const customerWroteAt = h.clock();
    await h.customerWritesAgain(chatId);
    await fire(h, second);
    const third = inactivityTimer(h, chatId);
    expect(third.at.toISOString()).toBe(new Date(customerWroteAt.getTime() + 300_000).toISOString());
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'assigned' });
    await fire(h, third);
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'closed', closeReason: 'inactivity' });
    expect(inactivityTimersOf(h, chatId)).toHaveLength(3);
  });

  it('a timer of an earlier assignment does nothing: the chat’s new holder has their own timer', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support', inactivityTimeoutSeconds: 60 });
    await h.agent('ann', { connected: true });
    const chatId = await assignedChat(h);
    const old = inactivityTimer(h, chatId);
    h.advance(30);
    expect(await h.dispatcher.transfer('ann', chatId, { queueId: 'support' })).toEqual({ ok: true });
    await h.dispatcher.accept('ann', chatId);
    const current = inactivityTimer(h, chatId);
    expect(current.payload.heldSince).not.toBe(old.payload.heldSince);
    // when the old timer fires (past its own deadline, before the new one)
    await fire(h, old);
    // then nothing: not closed, not re-armed
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'assigned', agentId: 'ann' });
    expect(inactivityTimersOf(h, chatId)).toHaveLength(2);
    await fire(h, current);
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'closed', closeReason: 'inactivity' });
  });

  it('a supervisor’s forced move arms the timer for the new holder', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support', inactivityTimeoutSeconds: 90 });
    await h.agent('ann', { connected: true });
    await h.agent('bob', { connected: true });
    const chatId = await assignedChat(h, 'ann');
    h.advance(45);
    const movedAt = h.clock();
    expect((await h.dispatcher.reassign(chatId, { agentId: 'bob', force: true }, 'sue')).ok).toBe(true);
    const timer = inactivityTimer(h, chatId);
    expect(timer.at.toISOString()).toBe(new Date(movedAt.getTime() + 90_000).toISOString());
    await fire(h, timer);
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'closed', closeReason: 'inactivity', agentId: 'bob' });
    expect(h.eventsOf('bob').filter((e) => e.type === 'chatClosed')).toEqual([{ type: 'chatClosed', chatId, reason: 'inactivity' }]);
  });

  it('a customer message stored between the timer’s read and its close wins: the chat stays and the timer re-arms', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support', inactivityTimeoutSeconds: 60 });
    await h.agent('ann', { connected: true });
    const chatId = await assignedChat(h);
    const timer = inactivityTimer(h, chatId);
    // a store whose close lets the customer's message land just before its own write
    let raced = false;
    const store: RoutingStore = Object.create(h.store);
    store.closeChat = async (input) => {
      if (!raced) {
        raced = true;
        expect(await customerWritesWhileOpen(h, chatId, 'Ні, зачекайте! 🙏🏻')).toBe('stored');
      }
      return h.store.closeChat(input);
    };
    const dispatcher = new Dispatcher({ store, chats: h.chats, directory: h.directory, log: h.log, notifier: h.notifier, timers: h.timers, events: h.events, clock: h.clock });
    // when
    await fire(h, timer, dispatcher);
    // then
    expect(raced).toBe(true);
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'assigned', agentId: 'ann', messagesIn: 2 });
    expect(inactivityTimer(h, chatId).at.toISOString()).toBe(new Date(timer.at.getTime() + 60_000).toISOString());
    expect(h.eventsOf('ann').filter((e) => e.type === 'chatClosed')).toHaveLength(0);
  });

  it('a customer message after the close landed is refused by the closed chat, so it can open the next one', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support', inactivityTimeoutSeconds: 60 });
    await h.agent('ann', { connected: true });
    const chatId = await assignedChat(h);
    await fire(h, inactivityTimer(h, chatId));
    // when
    const outcome = await customerWritesWhileOpen(h, chatId, 'こんにちは、まだいますか？😀');
    // then
    expect(outcome).toBe('closed');
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'closed', messagesIn: 1 });
    expect(await h.chats.messages(chatId)).toHaveLength(1);
  });

  it('messages racing the timers on many chats at once: each chat either closed without the message or kept it and stayed open', async () => {
    const h = await routingHarness({ simultaneousChats: 40 });
    await h.queue({ id: 'support', inactivityTimeoutSeconds: 60 });
    await h.agent('ann', { connected: true });
    const chatIds: string[] = [];
    for (let i = 0; i < 24; i++) chatIds.push(await assignedChat(h));
    const timers = chatIds.map((id) => inactivityTimer(h, id));
    h.advanceTo(timers.reduce((late, t) => (t.at > late ? t.at : late), timers[0]!.at));
    const texts = ['Olá! 😀', 'Привіт 👍🏽', 'مرحبا 🇵🇹', 'やあ 👨‍👩‍👧', '𝕳𝖊𝖑𝖑𝖔'];
    // when: each chat's timer fires while its customer writes, the timer delivered twice
    const outcomes = await Promise.all(
      chatIds.map(async (chatId, i) => {
        const [written] = await Promise.all([
          customerWritesWhileOpen(h, chatId, texts[i % texts.length]!),
          h.dispatcher.inactivityTimedOut(chatId, timers[i]!.payload.heldSince),
          h.dispatcher.inactivityTimedOut(chatId, timers[i]!.payload.heldSince),
        ]);
        return written;
      }),
    );
    // then
    let closed = 0;
    for (const [i, chatId] of chatIds.entries()) {
      const chat = await h.chats.chat(chatId);
      const messages = await h.chats.messages(chatId);
      if (outcomes[i] === 'stored') {
        // the message won: it is in the open chat and the timer runs on from it
        expect(chat).toMatchObject({ state: 'assigned', messagesIn: 2 });
        expect(messages).toHaveLength(2);
        expect(inactivityTimer(h, chatId).at.getTime()).toBeGreaterThan(h.clock().getTime());
      } else {
        // the close won: the message is not in the closed chat
        closed++;
        expect(chat).toMatchObject({ state: 'closed', closeReason: 'inactivity', messagesIn: 1 });
        expect(messages).toHaveLength(1);
      }
      const closes = h.eventsOf('ann').filter((e) => e.type === 'chatClosed' && e.chatId === chatId);
      expect(closes).toHaveLength(outcomes[i] === 'stored' ? 0 : 1);
    }
    expect((await h.store.agent('ann'))?.load).toBe(chatIds.length - closed);
  });

  it('says goodbye once on every close that ends the conversation (agent, supervisor, timeouts), never on a transfer or handover', async () => {
    const h = await routingHarness({ simultaneousChats: 10 });
    await h.queue({ id: 'support', inactivityTimeoutSeconds: 60 });
    await h.agent('ann', { connected: true });
    await h.chats.saveAutomatedMessages('channel-1', { languages: { default: { closing: 'Дякуємо! До зустрічі 👋🏽 またね 🌸' } }, allAgentsBusyAfterSeconds: null });
    const jobs: OutboundJob[] = [];
    const outbound = { enqueue: async (job: OutboundJob) => void jobs.push(job) };
    const automated = new AutomatedMessages({ chats: h.chats, outbound, notifier: h.notifier, timers: h.timers, clock: h.clock });
    const endings = new ChatEndings({ outbound, automated, clock: h.clock });
    const dispatcher = new Dispatcher({ store: h.store, chats: h.chats, directory: h.directory, log: h.log, notifier: h.notifier, timers: h.timers, events: h.events, clock: h.clock, endings });
    const goodbyes = async (chatId: string) => (await h.chats.messages(chatId)).filter((m) => m.direction === 'out' && m.text?.startsWith('Дякуємо'));
    const closes: [CloseReason, string][] = [];
    for (const reason of ['agent', 'supervisor', 'timeout', 'handover'] as const) {
      const chatId = await assignedChat(h);
      expect((await dispatcher.close(chatId, reason, reason === 'agent' ? 'ann' : undefined)).ok).toBe(true);
      closes.push([reason, chatId]);
    }
    const idle = await assignedChat(h);
    await fire(h, inactivityTimer(h, idle), dispatcher);
    closes.push(['inactivity', idle]);
    const moved = await assignedChat(h);
    expect(await dispatcher.transfer('ann', moved, { queueId: 'support' })).toEqual({ ok: true });
    // a close whose aftermath runs again (a retried timer or request) says goodbye once still
    await endings.closed({ ...(await h.chats.chat(idle))! }, 'inactivity');
    // then
    for (const [reason, chatId] of closes) {
      expect({ reason, goodbyes: (await goodbyes(chatId)).length }).toEqual({ reason, goodbyes: reason === 'handover' ? 0 : 1 });
    }
    expect(await goodbyes(moved)).toEqual([]);
    expect(jobs).toHaveLength(4);
    expect((await goodbyes(idle))[0]).toMatchObject({ status: 'pending' });
    expect((await goodbyes(idle))[0]?.agentId).toBeUndefined();
  });
});
