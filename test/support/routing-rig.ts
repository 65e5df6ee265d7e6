/**
 * The routing side (the real Dispatcher and Membership) wired to a set of stores, whichever backend
 * holds them, with recording stand-ins for the ports that have no local counterpart in a unit of
 * code (socket pushes, timers, the bus) and a clock the test moves.
 *
 *   const r = await routingRig(memoryStores());          // or the DynamoDB stores (routing-harness.ts)
 *   await r.queue({ id: 'q1', routingRule: 'available-agent' });
 *   await r.agent('ann', { connected: true });
 *   const chatId = await r.customerWrites('q1');
 *   r.eventsOf('ann') // state events pushed to ann, in order
 *
 * Nothing here starts or reaches DynamoDB Local.
 */
import { randomUUID } from 'node:crypto';
import type { Channel, Queue, RoutedChat, Settings } from '../../functions/domain/model';
import { defaultSettings } from '../../functions/domain/model';
import type { AgentEvent, AgentNotifier, ChatStore, EventPublisher, RoutingPasses, TimerPayload, Timers } from '../../functions/domain/ports';
import { Dispatcher, type DispatcherDeps } from '../../functions/services/dispatcher';
import { Membership, type MembershipDeps } from '../../functions/services/membership';

export class RecordingNotifier implements AgentNotifier {
  readonly sent: { agentId: string; event: AgentEvent }[] = [];
  async notify(agentId: string, event: AgentEvent): Promise<void> {
    this.sent.push({ agentId, event });
  }
}

/** What a timer is about, for looking it up: `accept-<chat>-<agent>`, `complete-<chat>`, `inactive-<chat>`, `busy-<chat>`. */
export function timerKey(payload: TimerPayload): string {
  if (payload.kind === 'acceptTimeout') return `accept-${payload.chatId}-${payload.agentId}`;
  if (payload.kind === 'inactivityTimeout') return `inactive-${payload.chatId}`;
  return payload.kind === 'completionTimeout' ? `complete-${payload.chatId}` : `busy-${payload.chatId}`;
}

/** Every timer armed, and the latest one per key. Timers are never disarmed: a stale one changes nothing when it fires. */
export class RecordingTimers implements Timers {
  readonly all: { at: Date; payload: TimerPayload }[] = [];
  readonly armed = new Map<string, { at: Date; payload: TimerPayload }>();
  async arm(at: Date, payload: TimerPayload): Promise<void> {
    this.all.push({ at, payload });
    this.armed.set(timerKey(payload), { at, payload });
  }
}

export class RecordingEvents implements EventPublisher {
  readonly published: { detailType: string; detail: Record<string, unknown> }[] = [];
  async publish(detailType: string, detail: Record<string, unknown>): Promise<void> {
    this.published.push({ detailType, detail });
  }
}

/** The stores routing reads and writes, from one backend. */
export interface RoutingStores {
  store: DispatcherDeps['store'] & MembershipDeps['store'];
  chats: DispatcherDeps['chats'] & Pick<ChatStore, 'append' | 'openChat'>;
  directory: DispatcherDeps['directory'] & MembershipDeps['directory'] & { saveSettings(settings: Settings): Promise<void>; createChannel?(channel: Channel): Promise<unknown> };
  log: DispatcherDeps['log'];
}

/** An active, running channel with no queue (Messenger unless `given` says otherwise). */
export function runningChannel(id: string, given: Partial<Channel> = {}): Channel {
  return {
    id,
    type: 'messenger',
    name: id,
    active: true,
    queueId: null,
    language: null,
    provisioningState: 'running',
    lastError: null,
    humanAgentTag: false,
    createdAt: new Date().toISOString(),
    ...given,
  };
}

/** How the rig's dispatcher is wired beyond its stores. */
export interface RigOptions {
  /** Joins routing passes of a queue, as the functions do within an invocation. */
  passes?: RoutingPasses;
}

export async function routingRig<S extends RoutingStores>(stores: S, settings: Partial<Settings> = {}, options: RigOptions = {}) {
  const { store, chats, directory, log } = stores;
  const notifier = new RecordingNotifier();
  const timers = new RecordingTimers();
  const events = new RecordingEvents();
  let now = new Date('2026-03-01T09:00:00.000Z');
  let arrivals = 0;
  const clock = () => now;
  const dispatcher = new Dispatcher({ store, chats, directory, log, notifier, timers, events, clock, ...(options.passes ? { passes: options.passes } : {}) });
  const membership = new Membership({ store, directory, dispatcher, clock });
  await directory.saveSettings({ ...defaultSettings, ...settings });
  // the channel the rig's customers write through: a chat opens only on a channel that exists
  await directory.createChannel?.(runningChannel('channel-1', { name: 'Acme Suporte 😀', createdAt: now.toISOString() }));

  return {
    directory: stores.directory as S['directory'],
    chats: stores.chats as S['chats'],
    store: stores.store as S['store'],
    log: stores.log as S['log'],
    notifier,
    timers,
    events,
    dispatcher,
    membership,
    clock,
    /** Moves the clock on. */
    advance(seconds: number) {
      now = new Date(now.getTime() + seconds * 1000);
    },
    /** Moves the clock to `at` if that is later (a timer never fires before its time). */
    advanceTo(at: Date) {
      if (at.getTime() > now.getTime()) now = new Date(at.getTime());
    },
    async queue(q: Partial<Queue> & { id: string }): Promise<Queue> {
      const queue: Queue = {
        name: q.id,
        routingRule: 'available-agent',
        completionTimeoutSeconds: null,
        members: { users: [], groups: ['agents'] },
        createdAt: now.toISOString(),
        ...q,
      };
      await membership.saveQueue(queue);
      return queue;
    },
    /** Registers an agent (group `agents`), optionally with a live connection. */
    async agent(id: string, opts: { connected?: boolean; simultaneousChats?: number; groups?: string[] } = {}) {
      await membership.saveAgent({ id, displayName: id, groups: opts.groups ?? ['agents'], simultaneousChats: opts.simultaneousChats });
      if (opts.connected) await dispatcher.connected(id, `conn-${id}-${randomUUID()}`);
    },
    /**
     * A customer's first message opens a chat in the queue and routes it, as the router does;
     * `route: false` leaves it unrouted, as a chat another router has just opened and not yet offered.
     */
    async customerWrites(queueId: string, customerId: string = randomUUID(), chatId: string = randomUUID(), route = true): Promise<string> {
      const chat: RoutedChat = {
        id: chatId,
        channelId: 'channel-1',
        channelType: 'messenger',
        queueId,
        state: 'waiting',
        agentId: null,
        customer: { id: customerId, name: customerId },
        contactId: null,
        language: null,
        // arrival order must be strict even within one clock tick
        createdAt: new Date(now.getTime() + arrivals++).toISOString(),
        lastMessageAt: now.toISOString(),
        version: 1,
        offeredTo: [],
        skipped: [],
      };
      const first = { id: randomUUID(), chatId: chat.id, direction: 'in' as const, text: 'hello 👋🏽', sentAt: now.toISOString(), status: 'received' as const };
      await chats.openChat(chat, { message: first });
      if (route) await dispatcher.routeQueue(queueId, { chat });
      return chat.id;
    },
    /** The customer writes again in an open chat (which stops a running completion timeout). */
    async customerWritesAgain(chatId: string): Promise<void> {
      const message = { id: randomUUID(), chatId, direction: 'in' as const, text: 'Ещё вопрос 🇵🇹', sentAt: now.toISOString(), status: 'received' as const };
      await chats.append(chatId, { message, whileOpen: true }, now);
    },
    /** The agent replies in a chat they hold, which arms the queue's completion timeout, as the socket action does. */
    async agentReplies(chatId: string): Promise<boolean> {
      const chat = await chats.chat(chatId);
      if (!chat || chat.state !== 'assigned' || !chat.agentId) return false;
      const message = { id: randomUUID(), chatId, direction: 'out' as const, text: 'على الرحب 😀', sentAt: now.toISOString(), status: 'pending' as const, agentId: chat.agentId };
      await chats.append(chatId, { message }, now);
      await dispatcher.armCompletion(chat, message.id, now);
      return true;
    },
    /** State events pushed to one agent, in order. */
    eventsOf(agentId: string): AgentEvent[] {
      return notifier.sent.filter((s) => s.agentId === agentId).map((s) => s.event);
    },
    offersTo(agentId: string): string[] {
      return notifier.sent
        .filter((s) => s.agentId === agentId && s.event.type === 'chatOffered')
        .map((s) => (s.event as Extract<AgentEvent, { type: 'chatOffered' }>).chat.id);
    },
  };
}

export type RoutingRig = Awaited<ReturnType<typeof routingRig>>;
