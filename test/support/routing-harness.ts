/**
 * The routing side wired to a fresh table in the shared DynamoDB Local, with recording stand-ins
 * for the ports that have no local AWS counterpart in a unit of code (socket pushes, timers, bus).
 *
 *   const h = await routingHarness();
 *   await h.queue({ id: 'q1', routingRule: 'available-agent' });
 *   await h.agent('ann', { connected: true });
 *   const chatId = await h.customerWrites('q1', 'cust-1');
 *   h.events('ann') // state events pushed to ann, in order
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAgentLog } from '../../functions/adapters/dynamodb/agent-log';
import { DynamoChatStore, newChatItem } from '../../functions/adapters/dynamodb/chats';
import { DynamoDirectory } from '../../functions/adapters/dynamodb/directory';
import { DynamoRoutingStore } from '../../functions/adapters/dynamodb/routing-store';
import { Table } from '../../functions/adapters/dynamodb/table';
import type { Queue, RoutedChat, Settings } from '../../functions/domain/model';
import { defaultSettings } from '../../functions/domain/model';
import { type AgentEvent, type AgentLog, type AgentNotifier, type ChatStore, type Directory, type EventPublisher, type RoutingStore, type TimerPayload, type Timers } from '../../functions/domain/ports';
import { Dispatcher } from '../../functions/services/dispatcher';
import { Membership } from '../../functions/services/membership';
import { createTestTable, dynamodb } from './aws';

export class RecordingNotifier implements AgentNotifier {
  readonly sent: { agentId: string; event: AgentEvent }[] = [];
  async notify(agentId: string, event: AgentEvent): Promise<void> {
    this.sent.push({ agentId, event });
  }
}

/** What a timer is about, for looking it up: `accept-<chat>-<agent>`, `complete-<chat>`, `busy-<chat>`. */
export function timerKey(payload: TimerPayload): string {
  if (payload.kind === 'acceptTimeout') return `accept-${payload.chatId}-${payload.agentId}`;
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

export async function routingHarness(settings: Partial<Settings> = {}) {
  const table = new Table(DynamoDBDocumentClient.from(dynamodb(), { marshallOptions: { removeUndefinedValues: true } }), await createTestTable());
  const directory = new DynamoDirectory(table);
  const chats = new DynamoChatStore(table);
  const store = new DynamoRoutingStore(table);
  const log = new DynamoAgentLog(table);
  const notifier = new RecordingNotifier();
  const timers = new RecordingTimers();
  const events = new RecordingEvents();
  let now = new Date('2026-03-01T09:00:00.000Z');
  let arrivals = 0;
  const clock = () => now;
  const dispatcher = new Dispatcher({ store, chats, directory, log, notifier, timers, events, clock });
  const membership = new Membership({ store, directory, dispatcher, clock });
  await directory.saveSettings({ ...defaultSettings, ...settings });

  return {
    table,
    directory,
    chats,
    store,
    log,
    notifier,
    timers,
    events: events,
    dispatcher,
    membership,
    /** Moves the clock on. */
    advance(seconds: number) {
      now = new Date(now.getTime() + seconds * 1000);
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
    /** A customer's first message opens a chat in the queue and routes it, as the router does. */
    async customerWrites(queueId: string, customerId = randomUUID()): Promise<string> {
      const chat: RoutedChat = {
        id: randomUUID(),
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
      const first = { id: randomUUID(), chatId: chat.id, direction: 'in' as const, text: 'hello', sentAt: now.toISOString(), status: 'received' as const };
      await chats.openChat(chat, { message: first });
      await dispatcher.routeQueue(queueId, { chat: chat });
      return chat.id;
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

export type RoutingHarness = Awaited<ReturnType<typeof routingHarness>>;
