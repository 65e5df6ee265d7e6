/**
 * The stores routing uses (RoutingStore, ChatStore, Directory, AgentLog), held in memory with the
 * DynamoDB adapter's semantics, so the real Dispatcher and Membership run without DynamoDB Local:
 *
 *   - every transition is one all-or-nothing step conditioned on what was read: the agent's `rev`,
 *     the chat's `version`, an offer's (non-)existence, the conversation's open chat, a
 *     connection's existence; any failed condition answers `lost` and writes nothing;
 *   - the `ready` list holds one entry per queue membership of an agent who can take a chat,
 *     written with the agent (a snapshot of load, capacity and last taken at that write), ordered
 *     by `readyRank`, exactly as the sparse `ready` index;
 *   - the `waiting` list holds a chat while the adapter would keep `waitPk` on it (waiting chats,
 *     and all-agents chats offered but not yet accepted), ordered by `createdAt#id`, paged with
 *     `limit` and a cursor that is handed back whenever a page is full (as DynamoDB does);
 *   - load, offers (keyed by chat and agent) and held chats change in the same steps as in
 *     `routing-store.ts`.
 *
 * Only the methods routing calls are here (ChatStore and Directory in part). Reads are strongly
 * consistent, indexes included. DynamoDB's indexes are eventually consistent
 * and the dispatcher covers the gap itself (`extra` on routeQueue: the chat just created, the
 * agent just freed); with no lag here, the properties check the decisions, and the DynamoDB Local
 * run of the same suite checks them over the real adapter.
 */
import {
  defaultSettings,
  type AgentRecord,
  type CloseReason,
  type Message,
  type Offer,
  type Presence,
  type Queue,
  type RoutedChat,
  type TransferNote,
  type RoutingRule,
  type Settings,
  type StoredMessage,
  type WithdrawReason,
} from '../../functions/domain/model';
import { canTakeChat, candidateOf, capacityOf, readyRank, waitRank, withStatusSince, type Candidate } from '../../functions/domain/routing';
import { ChatNoLongerHeld } from '../../functions/domain/ports';
import type { AgentEvent, AgentLog, ChatStore, Directory, LiveConnection, LoggedEvent, NewMessage, OfferedChat, Outcome, Page, QueueBacklog, RedirectTarget, RoutingStore } from '../../functions/domain/ports';

type AgentItem = AgentRecord;
type ChatItem = RoutedChat;

type Membership = { agentId: string; queueId: string; ready?: { sk: string; load: number; capacity: number; lastTakenAt?: string } };
type StoredChat = { item: ChatItem; waitQueue?: string; heldBy?: string };

const copy = <T>(value: T): T => structuredClone(value);

/** Drops undefined fields, as the document client's `removeUndefinedValues` does. */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The one table of the in-memory backend, shared by the four stores. */
export class MemoryTable {
  settings: Partial<Settings> = {};
  readonly queues = new Map<string, Queue>();
  readonly agents = new Map<string, AgentItem>();
  readonly memberships = new Map<string, Membership>();
  readonly chats = new Map<string, StoredChat>();
  readonly offers = new Map<string, Offer>();
  /** channelId#customerId → open chat id */
  readonly conversations = new Map<string, string>();
  readonly messages = new Map<string, StoredMessage[]>();
  readonly deliveries = new Map<string, string>();
  /** connectionId → agent */
  readonly connections = new Map<string, { agentId: string; connectedAt: string }>();
  readonly cursors = new Map<string, { cursor: number; events: { cursor: number; event: Record<string, unknown> }[] }>();
  /** Writes that landed, and writes refused on a condition. */
  readonly counts = { done: 0, lost: 0 };

  /**
   * One transaction: every check holds, then every change applies, or nothing does (`lost`).
   */
  transact(checks: boolean[], changes: (() => void)[]): Outcome {
    if (checks.some((ok) => !ok)) {
      this.counts.lost += 1;
      return 'lost';
    }
    for (const change of changes) change();
    this.counts.done += 1;
    return 'done';
  }

  // ---- the agent writes of routing-store.ts `agentWrites` --------------------------------

  agentCheck(before: AgentItem | undefined, id: string): boolean {
    const stored = this.agents.get(id);
    return before ? stored?.rev === before.rev : stored === undefined;
  }

  agentChange(before: AgentItem | undefined, after: AgentItem, settings: Settings): () => void {
    return () => {
      this.agents.set(after.id, defined(copy({ ...withStatusSince(before, after, new Date()), rev: (before?.rev ?? 0) + 1 })));
      const ready = canTakeChat(candidateOf(after, settings));
      for (const queueId of after.queues) {
        this.memberships.set(`${after.id}#${queueId}`, {
          agentId: after.id,
          queueId,
          ...(ready
            ? { ready: defined({ sk: readyRank(candidateOf(after, settings)), load: after.load, capacity: capacityOf(after, settings), lastTakenAt: after.lastTakenAt }) }
            : {}),
        });
      }
      for (const queueId of before?.queues ?? []) if (!after.queues.includes(queueId)) this.memberships.delete(`${after.id}#${queueId}`);
    };
  }

  chatCheck(chat: ChatItem): boolean {
    return this.chats.get(chat.id)?.item.version === chat.version;
  }

  /** A conditional update of a chat at the version it was read; bumps the version. */
  chatChange(chat: ChatItem, set: Partial<ChatItem>, remove: (keyof ChatItem)[], index: { wait?: string | null; held?: string | null } = {}): () => void {
    return () => {
      const stored = this.chats.get(chat.id);
      if (!stored) throw new Error(`chat ${chat.id} vanished inside a transaction`);
      const item: Record<string, unknown> = { ...stored.item, ...copy(set), version: chat.version + 1 };
      for (const field of remove) delete item[field as string];
      stored.item = defined(item) as ChatItem;
      if (index.wait === null) delete stored.waitQueue;
      else if (index.wait !== undefined) stored.waitQueue = index.wait;
      if (index.held === null) delete stored.heldBy;
      else if (index.held !== undefined) stored.heldBy = index.held;
    };
  }
}

const offerKey = (chatId: string, agentId: string) => `${chatId}#${agentId}`;

export class MemoryRoutingStore implements RoutingStore {
  constructor(private readonly t: MemoryTable) {}

  async readyCandidates(queueId: string, limit: number): Promise<Candidate[]> {
    return [...this.t.memberships.values()]
      .filter((m) => m.queueId === queueId && m.ready)
      .sort((a, b) => ((a.ready?.sk ?? '') < (b.ready?.sk ?? '') ? -1 : 1))
      .slice(0, limit)
      .map((m) => defined({ agentId: m.agentId, status: 'active' as const, load: m.ready?.load ?? 0, capacity: m.ready?.capacity ?? 0, lastTakenAt: m.ready?.lastTakenAt }));
  }

  async waitingChats(queueId: string, limit: number, token?: string): Promise<Page<ChatItem>> {
    const after = token;
    const listed = [...this.t.chats.values()]
      .filter((c) => c.waitQueue === queueId)
      .map((c) => c.item)
      .sort((a, b) => (waitRank(a) < waitRank(b) ? -1 : 1))
      .filter((c) => after === undefined || waitRank(c) > after);
    const items = listed.slice(0, limit).map(copy);
    const last = items.at(-1);
    // a full page always carries a cursor, even when nothing follows (DynamoDB stops at the limit)
    return items.length === limit && last ? { items, next: waitRank(last) } : { items };
  }

  async offersOf(agentId: string): Promise<Offer[]> {
    return [...this.t.offers.values()].filter((o) => o.agentId === agentId).sort((a, b) => (a.chatId < b.chatId ? -1 : 1)).map(copy);
  }

  async chatIdsHeldBy(agentId: string): Promise<string[]> {
    return [...this.t.chats.values()].filter((c) => c.heldBy === agentId).map((c) => c.item.id).sort();
  }

  async offer(chatId: string, agentId: string): Promise<Offer | undefined> {
    const offer = this.t.offers.get(offerKey(chatId, agentId));
    return offer && copy(offer);
  }

  async agent(agentId: string): Promise<AgentItem | undefined> {
    const agent = this.t.agents.get(agentId);
    return agent && copy(agent);
  }

  async saveAgent(before: AgentItem | undefined, after: AgentItem, settings: Settings): Promise<Outcome> {
    return this.t.transact([this.t.agentCheck(before, after.id)], [this.t.agentChange(before, after, settings)]);
  }

  async connectAgent(agent: AgentItem, connectionId: string, settings: Settings, now: Date): Promise<Outcome> {
    return this.t.transact(
      [this.t.agentCheck(agent, agent.id)],
      [
        this.t.agentChange(agent, { ...agent, connections: agent.connections + 1 }, settings),
        () => this.t.connections.set(connectionId, { agentId: agent.id, connectedAt: now.toISOString() }),
      ],
    );
  }

  /** `lost` also when the connection is forgotten already (both of its records must exist). */
  async disconnectAgent(agent: AgentItem, connectionId: string, settings: Settings): Promise<Outcome> {
    return this.t.transact(
      [this.t.agentCheck(agent, agent.id), this.t.connections.get(connectionId)?.agentId === agent.id],
      [this.t.agentChange(agent, { ...agent, connections: Math.max(0, agent.connections - 1) }, settings), () => this.t.connections.delete(connectionId)],
    );
  }

  /** Offers here are made in one step (offerChat is atomic), so none is ever held that its chat does not list. */
  async releaseOffer(): Promise<void> {}

  async offerChat(input: { chat: ChatItem; agent: AgentItem; settings: Settings; rule: RoutingRule; now: Date; expiresAt?: Date }): Promise<Outcome> {
    const { chat, agent, settings, now } = input;
    if (!canTakeChat(candidateOf(agent, settings))) return 'lost';
    const key = offerKey(chat.id, agent.id);
    return this.t.transact(
      [this.t.agentCheck(agent, agent.id), !this.t.offers.has(key), this.t.chatCheck(chat)],
      [
        this.t.agentChange(agent, { ...agent, load: agent.load + 1 }, settings),
        () => this.t.offers.set(key, defined({ chatId: chat.id, agentId: agent.id, offeredAt: now.toISOString(), expiresAt: input.expiresAt?.toISOString() })),
        this.t.chatChange(chat, { state: 'offered', offeredTo: [...chat.offeredTo, agent.id] }, [], { wait: input.rule === 'available-agent' ? null : undefined }),
      ],
    );
  }

  async acceptChat(input: { chat: ChatItem; agent: AgentItem; settings: Settings; now: Date }): Promise<Outcome> {
    const { chat, agent, settings, now } = input;
    if (chat.state !== 'offered' || !chat.offeredTo.includes(agent.id)) return 'lost';
    const key = offerKey(chat.id, agent.id);
    return this.t.transact(
      [this.t.agentCheck(agent, agent.id), this.t.offers.has(key), this.t.chatCheck(chat)],
      [
        this.t.agentChange(agent, { ...agent, lastTakenAt: now.toISOString() }, settings),
        () => this.t.offers.delete(key),
        this.t.chatChange(chat, { state: 'assigned', agentId: agent.id, offeredTo: [] }, [], { wait: null, held: agent.id }),
      ],
    );
  }

  async withdrawOffer(input: {
    chat: ChatItem;
    agent: AgentItem;
    settings: Settings;
    reason: WithdrawReason;
    requeue: boolean;
    now: Date;
    presence?: Presence;
  }): Promise<Outcome> {
    const { chat, agent, settings } = input;
    const key = offerKey(chat.id, agent.id);
    const after: AgentItem = { ...agent, load: Math.max(0, agent.load - 1), ...(input.presence ? { presence: input.presence } : {}) };
    const offeredTo = chat.offeredTo.filter((a) => a !== agent.id);
    const skipped = input.reason === 'timeout' && !chat.skipped.includes(agent.id) ? [...chat.skipped, agent.id] : chat.skipped;
    const backToWaiting = input.requeue && chat.state === 'offered' && offeredTo.length === 0 && chat.queueId !== null;
    return this.t.transact(
      [this.t.agentCheck(agent, agent.id), this.t.offers.has(key), ...(input.requeue ? [this.t.chatCheck(chat)] : [])],
      [
        this.t.agentChange(agent, after, settings),
        () => this.t.offers.delete(key),
        ...(input.requeue
          ? [this.t.chatChange(chat, { offeredTo, skipped, ...(backToWaiting ? { state: 'waiting' as const } : {}) }, [], backToWaiting ? { wait: chat.queueId } : {})]
          : []),
      ],
    );
  }

  async closeChat(input: { chat: ChatItem; agent?: AgentItem; settings: Settings; reason: CloseReason; now: Date }): Promise<Outcome> {
    const { chat, agent, settings, now } = input;
    const conversation = `${chat.channelId}#${chat.customer.id}`;
    const frees = agent !== undefined && chat.agentId === agent.id;
    return this.t.transact(
      [this.t.chatCheck(chat), this.t.conversations.get(conversation) === chat.id, ...(frees ? [this.t.agentCheck(agent, agent.id)] : [])],
      [
        this.t.chatChange(chat, { state: 'closed', offeredTo: [], closedAt: now.toISOString(), closeReason: input.reason }, ['completionToken'], { wait: null, held: null }),
        () => this.t.conversations.delete(conversation),
        ...(frees ? [this.t.agentChange(agent, { ...agent, load: Math.max(0, agent.load - 1) }, settings)] : []),
      ],
    );
  }

  async releaseChat(input: { chat: ChatItem; agent: AgentItem; settings: Settings; toQueueId: string; now: Date; note?: TransferNote }): Promise<Outcome> {
    const { chat, agent, settings } = input;
    return this.t.transact(
      [this.t.agentCheck(agent, agent.id), this.t.chatCheck(chat)],
      [
        this.t.agentChange(agent, { ...agent, load: Math.max(0, agent.load - 1) }, settings),
        this.t.chatChange(chat, { state: 'waiting', agentId: null, queueId: input.toQueueId, offeredTo: [], skipped: [], ...(input.note ? { transferNote: input.note } : {}) }, ['completionToken', ...(input.note ? [] : ['transferNote' as const])], {
          wait: input.toQueueId,
          held: null,
        }),
      ],
    );
  }

  async handOver(input: { chat: ChatItem; from: AgentItem; to: AgentItem; settings: Settings; now: Date; expiresAt?: Date; note?: TransferNote }): Promise<Outcome> {
    const { chat, from, to, settings, now } = input;
    if (!canTakeChat(candidateOf(to, settings)) || from.id === to.id) return 'lost';
    const key = offerKey(chat.id, to.id);
    return this.t.transact(
      [this.t.agentCheck(from, from.id), this.t.agentCheck(to, to.id), !this.t.offers.has(key), this.t.chatCheck(chat)],
      [
        this.t.agentChange(from, { ...from, load: Math.max(0, from.load - 1) }, settings),
        this.t.agentChange(to, { ...to, load: to.load + 1 }, settings),
        () => this.t.offers.set(key, defined({ chatId: chat.id, agentId: to.id, offeredAt: now.toISOString(), expiresAt: input.expiresAt?.toISOString() })),
        this.t.chatChange(chat, { state: 'offered', agentId: null, offeredTo: [to.id], skipped: [], ...(input.note ? { transferNote: input.note } : {}) }, ['completionToken', ...(input.note ? [] : ['transferNote' as const])], { wait: null, held: null }),
      ],
    );
  }

  async setCompletionToken(chat: ChatItem, token: string | undefined): Promise<Outcome> {
    return this.t.transact([this.t.chatCheck(chat)], [token ? this.t.chatChange(chat, { completionToken: token }, []) : this.t.chatChange(chat, {}, ['completionToken'])]);
  }

  async redirectChat(input: { chat: ChatItem; from?: AgentItem; withdraw: AgentItem[]; to: RedirectTarget; settings: Settings; now: Date }): Promise<Outcome> {
    const { chat, from, withdraw, to, settings, now } = input;
    const checks = [this.t.chatCheck(chat)];
    const changes: (() => void)[] = [];
    if (from) {
      if (chat.state !== 'assigned' || chat.agentId !== from.id) return 'lost';
      checks.push(this.t.agentCheck(from, from.id));
      changes.push(this.t.agentChange(from, { ...from, load: Math.max(0, from.load - 1) }, settings));
    }
    for (const agent of withdraw) {
      const key = offerKey(chat.id, agent.id);
      checks.push(this.t.agentCheck(agent, agent.id), this.t.offers.has(key));
      changes.push(this.t.agentChange(agent, { ...agent, load: Math.max(0, agent.load - 1) }, settings), () => this.t.offers.delete(key));
    }
    if ('queueId' in to) {
      changes.push(this.t.chatChange(chat, { state: 'waiting', agentId: null, queueId: to.queueId, offeredTo: [], skipped: [] }, ['completionToken'], { wait: to.queueId, held: null }));
      return this.t.transact(checks, changes);
    }
    const agent = to.agent;
    if (from?.id === agent.id || withdraw.some((a) => a.id === agent.id)) return 'lost';
    const holdsOffer = chat.state === 'offered' && chat.offeredTo.includes(agent.id);
    const key = offerKey(chat.id, agent.id);
    if (to.as === 'offer') {
      if (holdsOffer) checks.push(this.t.offers.has(key));
      else {
        if (!canTakeChat(candidateOf(agent, settings))) return 'lost';
        checks.push(this.t.agentCheck(agent, agent.id), !this.t.offers.has(key));
        changes.push(
          this.t.agentChange(agent, { ...agent, load: agent.load + 1 }, settings),
          () => this.t.offers.set(key, defined({ chatId: chat.id, agentId: agent.id, offeredAt: now.toISOString(), expiresAt: to.expiresAt?.toISOString() })),
        );
      }
      changes.push(this.t.chatChange(chat, { state: 'offered', agentId: null, offeredTo: [agent.id], skipped: [] }, ['completionToken'], { wait: null, held: null }));
      return this.t.transact(checks, changes);
    }
    checks.push(this.t.agentCheck(agent, agent.id));
    if (holdsOffer) checks.push(this.t.offers.has(key));
    changes.push(
      this.t.agentChange(agent, { ...agent, load: holdsOffer ? agent.load : agent.load + 1, lastTakenAt: now.toISOString() }, settings),
      () => this.t.offers.delete(key),
      this.t.chatChange(chat, { state: 'assigned', agentId: agent.id, offeredTo: [], skipped: [] }, ['completionToken'], { wait: null, held: agent.id }),
    );
    return this.t.transact(checks, changes);
  }

  async waitingByQueue(): Promise<QueueBacklog[]> {
    const found = new Map<string, QueueBacklog>();
    for (const { item } of this.t.chats.values()) {
      if (item.state !== 'waiting' || !item.queueId) continue;
      const seen = found.get(item.queueId);
      if (!seen) found.set(item.queueId, { queueId: item.queueId, waiting: 1, oldestCreatedAt: item.createdAt });
      else {
        seen.waiting += 1;
        if (item.createdAt < seen.oldestCreatedAt) seen.oldestCreatedAt = item.createdAt;
      }
    }
    return [...found.values()];
  }

  async offeredChats(): Promise<OfferedChat[]> {
    return [...this.t.chats.values()].filter((c) => c.item.state === 'offered').map((c) => ({ chatId: c.item.id, queueId: c.item.queueId, createdAt: c.item.createdAt }));
  }
}

/** The part of the chat store routing uses. */
export class MemoryChatStore implements Pick<ChatStore, 'chat' | 'openChatOf' | 'openChatIdOf' | 'openChat' | 'append' | 'messages' | 'messagePage'> {
  constructor(private readonly t: MemoryTable) {}

  async chat(id: string, _consistent = true): Promise<ChatItem | undefined> {
    const stored = this.t.chats.get(id);
    return stored && copy(stored.item);
  }

  async openChatOf(channelId: string, customerId: string): Promise<ChatItem | undefined> {
    const id = this.t.conversations.get(`${channelId}#${customerId}`);
    return id ? this.chat(id) : undefined;
  }

  async openChatIdOf(channelId: string, customerId: string): Promise<string | undefined> {
    return this.t.conversations.get(`${channelId}#${customerId}`);
  }

  async openChat(chat: RoutedChat, first: NewMessage): Promise<boolean> {
    if (first.delivery && this.t.deliveries.has(deliveryKey(first.delivery))) return false;
    if (this.t.chats.has(chat.id)) throw new Error(`chat ${chat.id} exists`);
    const item: ChatItem = copy(chat);
    this.t.chats.set(chat.id, { item, ...(chat.state === 'waiting' && chat.queueId ? { waitQueue: chat.queueId } : {}) });
    this.t.conversations.set(`${chat.channelId}#${chat.customer.id}`, chat.id);
    this.keep(first);
    return true;
  }

  async append(chatId: string, entry: NewMessage, _now: Date): Promise<boolean> {
    if (entry.delivery && this.t.deliveries.has(deliveryKey(entry.delivery))) return false;
    const stored = this.t.chats.get(chatId);
    if (entry.message.direction === 'in') {
      if (!stored) throw new Error(`chat ${chatId} does not exist`);
      const { completionToken: _t, customerBlocked: _b, ...rest } = stored.item;
      stored.item = { ...rest, lastMessageAt: entry.message.sentAt, customerWroteAt: entry.message.sentAt };
    }
    if (entry.heldBy !== undefined && (stored?.item.state !== 'assigned' || stored.item.agentId !== entry.heldBy)) throw new ChatNoLongerHeld(chatId);
    this.keep(entry);
    return true;
  }

  async firstCustomerMessage(chatId: string): Promise<Message | undefined> {
    const first = (this.t.messages.get(chatId) ?? []).find((m) => m.direction === 'in');
    if (!first) return undefined;
    const { clientMessageId: _c, ...m } = first;
    return copy(m);
  }

  async messages(chatId: string, limit = 50): Promise<Message[]> {
    return (this.t.messages.get(chatId) ?? []).slice(-limit).map(({ clientMessageId: _c, ...m }) => copy(m));
  }

  /** The newest messages, oldest first (no frame budget: nothing here is sent over a socket). */
  async messagePage(chatId: string, opts: { maxCount?: number } = {}): Promise<{ messages: Message[]; olderCursor?: string }> {
    return { messages: await this.messages(chatId, opts.maxCount ?? 100) };
  }

  private keep(entry: NewMessage): void {
    const list = this.t.messages.get(entry.message.chatId) ?? [];
    list.push(copy(entry.message), ...(entry.continuation ?? []).map(copy));
    list.sort((a, b) => (`${a.sentAt}#${a.id}` < `${b.sentAt}#${b.id}` ? -1 : 1));
    this.t.messages.set(entry.message.chatId, list);
    if (entry.delivery) this.t.deliveries.set(deliveryKey(entry.delivery), entry.message.id);
  }
}

function deliveryKey(d: { channelType: string; channelKey: string; deliveryId: string }): string {
  return `${d.channelType}#${d.channelKey}#${d.deliveryId}`;
}

/** The part of the directory routing uses. */
export class MemoryDirectory implements Pick<Directory, 'settings' | 'saveSettings' | 'queue' | 'listQueues' | 'saveQueue' | 'agentItem' | 'listAgentItems'> {
  constructor(private readonly t: MemoryTable) {}

  async settings(): Promise<Settings> {
    return { ...defaultSettings, ...copy(this.t.settings) };
  }

  async saveSettings(settings: Settings): Promise<void> {
    this.t.settings = defined(copy(settings));
  }

  async queue(id: string): Promise<Queue | undefined> {
    const queue = this.t.queues.get(id);
    return queue && copy(queue);
  }

  async listQueues(): Promise<Queue[]> {
    return [...this.t.queues.values()].sort((a, b) => (`${a.createdAt}#${a.id}` < `${b.createdAt}#${b.id}` ? -1 : 1)).map(copy);
  }

  async saveQueue(queue: Queue): Promise<void> {
    this.t.queues.set(queue.id, copy(queue));
  }

  async agentItem(id: string, _consistent = true): Promise<AgentItem | undefined> {
    const agent = this.t.agents.get(id);
    return agent && copy(agent);
  }

  async listAgentItems(): Promise<AgentItem[]> {
    return [...this.t.agents.values()].sort((a, b) => (`${a.createdAt}#${a.id}` < `${b.createdAt}#${b.id}` ? -1 : 1)).map(copy);
  }
}

export class MemoryAgentLog implements AgentLog {
  constructor(private readonly t: MemoryTable) {}

  async append(agentId: string, event: AgentEvent, _now: Date): Promise<number> {
    const log = this.t.cursors.get(agentId) ?? { cursor: 0, events: [] };
    log.cursor += 1;
    log.events.push({ cursor: log.cursor, event: copy(event) as Record<string, unknown> });
    this.t.cursors.set(agentId, log);
    return log.cursor;
  }

  async since(agentId: string, cursor: number, limit = 200): Promise<{ events: LoggedEvent[]; more: boolean }> {
    const after = (this.t.cursors.get(agentId)?.events ?? []).filter((e) => e.cursor > cursor);
    return { events: after.slice(0, limit).map(copy), more: after.length > limit };
  }

  async currentCursor(agentId: string): Promise<number> {
    return this.t.cursors.get(agentId)?.cursor ?? 0;
  }

  async connectionsOf(agentId: string): Promise<LiveConnection[]> {
    return [...this.t.connections.entries()]
      .filter(([, c]) => c.agentId === agentId)
      .map(([connectionId, c]) => ({ connectionId, connectedAt: c.connectedAt }))
      .sort((a, b) => (a.connectionId < b.connectionId ? -1 : 1));
  }

  async agentOfConnection(connectionId: string): Promise<string | undefined> {
    return this.t.connections.get(connectionId)?.agentId;
  }
}

/** A fresh in-memory backend: the four stores over one table. */
export function memoryStores() {
  const table = new MemoryTable();
  return {
    table,
    store: new MemoryRoutingStore(table),
    chats: new MemoryChatStore(table),
    directory: new MemoryDirectory(table),
    log: new MemoryAgentLog(table),
  };
}
