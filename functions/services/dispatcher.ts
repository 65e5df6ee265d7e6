import { type AgentRecord, type CloseReason, type Queue, type RoutedChat, type Settings, type TransferNote, type WithdrawReason, type ChatPreview, chatView, previewOf } from '../domain/model';
import { type Candidate, byAvailability, canTakeChat, candidateOf, completionDeadline, effectiveStatus, inactivityDeadline, leftToItsOwnPass, offerExpiry, offerTargets, waitRank } from '../domain/routing';
import { type AgentEvent, type AgentLog, type AgentNotifier, type ChatStore, type Directory, type EventPublisher, type ProductMetrics, type ReportRecorder, type RouteHints, type RoutingPasses, type RoutingStore, type Timers } from '../domain/ports';
import { productMetrics } from '../shared/metric-names';
import { isOpen, nextOpening, type WaitingLineStore } from '../domain/hours';
import type { WrapUp } from '../domain/wrap-up';

export interface DispatcherDeps {
  store: RoutingStore;
  chats: Pick<ChatStore, 'chat' | 'messagePage' | 'firstCustomerMessage'>;
  directory: Pick<Directory, 'settings' | 'queue'>;
  log: Pick<AgentLog, 'agentOfConnection'>;
  notifier: AgentNotifier;
  timers: Timers;
  events: EventPublisher;
  clock: () => Date;
  /** Offers, accepts and the waits before them; none are recorded without it. */
  metrics?: ProductMetrics;
  /**
   * What a closed chat owes the platform afterwards (closing message, the thread back to a bot);
   * every close (agent, timeout, handover, transfer away) ends with it.
   */
  endings?: ChatEndingsPort;
  /** Report figures: offers, accepts, missed offers, transfers (closes are recorded by the endings). */
  reports?: ReportRecorder;
  /** Supervisors watching a chat get its `chatClosed` too. */
  watchers?: WatchersPort;
  /** Queue hours: one opening timer per closed queue and opening; without it a closed queue arms one per routing pass. */
  waitingLine?: Pick<WaitingLineStore, 'oncePerOpening'>;
  /** Joins the routing passes of a queue asked for at once; without it each is a pass of its own. */
  passes?: RoutingPasses;
}

/** Passes a chat's frames on to the supervisors watching it (nothing, at no cost, for an unwatched chat). */
export interface WatchersPort {
  forward(chat: Pick<RoutedChat, 'id' | 'watchedUntil'>, event: AgentEvent & { chatId: string }): Promise<void>;
}

/** Called once a chat is closed, with the chat as it was closed. */
export interface ChatEndingsPort {
  closed(chat: RoutedChat, reason: CloseReason): Promise<void>;
}

/**
 * The `chatOffered` frame: the chat, the offer's expiry, the customer's first message (`preview`:
 * read once per offering, one query, rather than kept on the chat item that every message
 * rewrites) and the note of a transfer.
 */
export function offeredEvent(chat: RoutedChat, expiresAt?: Date | string, preview?: ChatPreview): AgentEvent {
  const expires = typeof expiresAt === 'string' ? expiresAt : expiresAt?.toISOString();
  return {
    type: 'chatOffered',
    chat: chatView(chat),
    ...(expires ? { expiresAt: expires } : {}),
    ...(preview ? { preview } : {}),
    ...(chat.transferNote ? { transferNote: chat.transferNote } : {}),
  };
}

const noMetrics: ProductMetrics = { count: () => undefined, duration: () => undefined };

/** How often a decision is retried after losing a race before the caller's retry takes over. */
const maxAttempts = 8;
/** DynamoDB's limit of items in one transaction. */
const maxTransactItems = 100;

/**
 * The ready agents one pass over a queue's waiting chats read, kept until the pass writes an
 * offer: chats that find no one new (all-agents chats already offered to everyone ready) do not
 * read the ready list again. The list is eventually consistent either way; every offer re-reads
 * the agent and is conditioned on it.
 */
interface ReadyMemo {
  /** `patched`: changed by what the pass learned since it was read (`learned`). */
  read?: { limit: number; candidates: Candidate[]; patched?: boolean };
}
/** Waiting chats looked at per pass of a queue. */
const waitingPage = 25;

export type TransferResult = { ok: true } | { ok: false; code: 'not_your_chat' | 'agent_not_found' | 'agent_unavailable' | 'queue_not_found' | 'busy' };

export type ReassignResult =
  | { ok: true; chat: RoutedChat }
  | { ok: false; code: 'chat_not_found' | 'chat_closed' | 'chat_with_bot' | 'agent_not_found' | 'queue_not_found' | 'agent_unavailable' | 'busy' };

export type AcceptResult = { ok: true } | { ok: false; code: 'offer_gone' | 'not_found' };

/**
 * Carries out the queue rules of `domain/routing.ts` against the tables: offers, accepts,
 * withdrawals and closes, each a conditional write, each followed by what the agents must
 * be told and the timers that must run.
 */
export class Dispatcher {
  constructor(private readonly deps: DispatcherDeps) {}

  /** The customer's first message as an offer shows it (one query, when offering). */
  async previewOf(chatId: string): Promise<ChatPreview | undefined> {
    const first = await this.deps.chats.firstCustomerMessage(chatId);
    return first ? previewOf(first) : undefined;
  }

  /**
   * Offers a queue's waiting chats, oldest first, for as long as someone can take them.
   * `extra` carries what the eventually consistent indexes may not show yet: a chat just
   * created, an agent who just gained capacity.
   */
  async routeQueue(queueId: string, extra: { chat?: RoutedChat; agent?: AgentRecord } = {}): Promise<void> {
    const hints: RouteHints = { chats: extra.chat ? [extra.chat] : [], agents: extra.agent ? [extra.agent] : [] };
    const { passes } = this.deps;
    return passes ? passes.join(queueId, hints, (joined) => this.routePass(queueId, joined)) : this.routePass(queueId, hints);
  }

  private async routePass(queueId: string, hints: RouteHints): Promise<void> {
    const { directory, store } = this.deps;
    const queue = await directory.queue(queueId);
    if (!queue) return;
    const newChats = hints.chats.filter((c) => c.queueId === queueId);
    // outside its hours a queue offers nothing: its chats wait for the opening (held chats are untouched)
    if (!isOpen(queue.hours, this.deps.clock())) return this.waitForOpening(queue, newChats.find((c) => c.state === 'waiting'));
    const settings = await directory.settings();
    // the queue's ready agents, read once per pass and kept up to date with what the pass learns (ReadyMemo)
    const ready: ReadyMemo = {};
    const agents = new Map(hints.agents.map((a) => [a.id, a]));
    // A new chat with nobody ready waits, and so does every chat ahead of it: the ready list,
    // read first, spares the 16 queries of the waiting head when all agents are busy.
    const [first] = newChats;
    if (first && agents.size === 0 && (await this.candidates(queue, first, settings, agents, ready)).length === 0) return;
    // a pass for new chats alone leaves the chats other routers opened moments ago to their own passes
    const own = agents.size === 0 && newChats.length > 0 ? new Set(newChats.map((c) => c.id)) : undefined;
    let after: string | undefined;
    do {
      const page = await store.waitingChats(queueId, waitingPage, after);
      // the newest chats belong at the end of the last page
      const waiting = page.next ? page.items : mergeWaiting(page.items, newChats);
      for (const chat of waiting) {
        if (own && leftToItsOwnPass(chat, own, this.deps.clock())) continue;
        const placed = await this.routeChat(queue, chat.id, settings, agents, ready);
        // Under available-agent, if the oldest chat finds nobody, no younger chat may jump ahead;
        // under either rule, once nobody is ready there is nothing more to offer.
        if (placed === 'nobody_ready' || (placed === 'waits' && queue.routingRule === 'available-agent')) return;
      }
      after = page.next;
    } while (after);
  }

  /** A closed queue with chats waiting arms a timer for its next opening, when it routes them. */
  private async waitForOpening(queue: Queue, chat: RoutedChat | undefined): Promise<void> {
    const opening = nextOpening(queue.hours, this.deps.clock());
    // never opening (no weekly hours): chats wait until an admin changes the hours, which routes the queue
    if (!opening) return;
    const waiting = chat?.queueId === queue.id && chat.state === 'waiting' ? chat : (await this.deps.store.waitingChats(queue.id, 1)).items[0];
    if (!waiting) return;
    const arm = () => this.deps.timers.arm(opening, { kind: 'queueOpens', chatId: waiting.id, queueId: queue.id });
    await (this.deps.waitingLine ? this.deps.waitingLine.oncePerOpening(queue.id, opening, arm) : arm());
  }

  /**
   * Moves a chat nobody holds (waiting or offered in `fromQueueId`) to another queue, where it
   * waits: pending offers are withdrawn in the same write. The chat as moved, or undefined when
   * it was taken, closed or moved meanwhile. The caller routes the new queue.
   */
  async overflow(chatId: string, fromQueueId: string, toQueueId: string, reason: 'outOfHours' | 'maxWait'): Promise<RoutedChat | undefined> {
    const { store, chats, directory, notifier, events, clock } = this.deps;
    const settings = await directory.settings();
    const freed = new Set<string>();
    try {
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        let chat = await chats.chat(chatId);
        if (!chat || chat.queueId !== fromQueueId || (chat.state !== 'waiting' && chat.state !== 'offered')) return undefined;
        let withdraw: AgentRecord[] = [];
        if (chat.state === 'offered') {
          const held = await Promise.all(chat.offeredTo.map(async (a) => ((await store.offer(chatId, a)) ? store.agent(a) : undefined)));
          withdraw = held.filter((a): a is AgentRecord => a !== undefined);
          if (1 + withdraw.reduce((n, a) => n + 2 + a.queues.length, 0) > maxTransactItems) {
            const left = await this.withdrawAllOffers(chat, settings, freed);
            if (!left) continue;
            chat = left;
            withdraw = [];
            if (chat.state !== 'waiting' && chat.state !== 'offered') return undefined;
          }
        }
        if ((await store.redirectChat({ chat, withdraw, to: { queueId: toQueueId }, settings, now: clock() })) === 'lost') continue;
        for (const agent of withdraw) {
          freed.add(agent.id);
          await notifier.notify(agent.id, { type: 'offerWithdrawn', chatId, reason: 'transfer' });
        }
        await events.publish('ChatReassigned', {
          chatId,
          fromAgentId: null,
          toAgentId: null,
          toQueueId,
          forced: false,
          by: 'overflow',
          reason,
          channelId: chat.channelId,
          queueId: toQueueId,
        });
        return { ...chat, state: 'waiting', agentId: null, queueId: toQueueId, offeredTo: [], skipped: [], version: chat.version + 1 };
      }
      return undefined;
    } finally {
      for (const agentId of freed) await this.agentReady(agentId);
    }
  }

  /** Re-routes every queue an agent belongs to after the agent gained capacity or became active. */
  async agentReady(agentId: string): Promise<void> {
    const agent = await this.deps.store.agent(agentId);
    if (!agent) return;
    for (const queueId of agent.queues) await this.routeQueue(queueId, { agent });
  }

  /** Offers one chat under its queue's rule: placed (or nothing to do), still waiting, or nobody ready at all. */
  private async routeChat(queue: Queue, chatId: string, settings: Settings, hints: Map<string, AgentRecord>, ready: ReadyMemo = {}): Promise<'placed' | 'waits' | 'nobody_ready'> {
    const { store, chats, notifier, timers, clock } = this.deps;
    // the offer's preview (the customer's first message) does not change: read once, beside the first agent
    let previewRead: Promise<ChatPreview | undefined> | undefined;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const chat = await chats.chat(chatId);
      if (!chat || chat.queueId !== queue.id || (chat.state !== 'waiting' && chat.state !== 'offered')) return 'placed';
      if (queue.routingRule === 'available-agent' && chat.state === 'offered') return 'placed';
      const candidates = await this.candidates(queue, chat, settings, hints, ready);
      if (candidates.length === 0) return 'nobody_ready';
      const targets = offerTargets(queue.routingRule, candidates, { offeredTo: new Set(chat.offeredTo), skipped: new Set(chat.skipped) });
      if (targets.length === 0) return chat.state === 'offered' ? 'placed' : 'waits';
      let current = chat;
      let lost = false;
      previewRead ??= this.previewOf(chat.id);
      for (const target of targets) {
        const now = clock();
        const expiresAt = offerExpiry(queue.routingRule, now, settings);
        // The accept timer is armed before the offer is written (should the decision stop halfway, it
        // takes back what the agent holds) and at the same time as the agent is read: the fewer round
        // trips between reading the chat and writing it, the fewer decisions another router's wins.
        // A timer armed for an agent who is gone finds no offer and does nothing.
        const [agent] = await Promise.all([
          store.agent(target.agentId),
          expiresAt ? timers.arm(expiresAt, { kind: 'acceptTimeout', chatId: chat.id, agentId: target.agentId, version: current.version + 1 }) : undefined,
          previewRead,
        ]);
        if (!agent) {
          this.learned(ready, hints, target.agentId, undefined, settings);
          continue;
        }
        if (ready.read?.patched && !canTakeChat(candidateOf(agent, settings))) {
          // the list this pass kept after a race was behind: another router filled the agent meanwhile
          this.learned(ready, hints, agent.id, agent, settings);
          lost = true;
          break;
        }
        const outcome = await store.offerChat({ chat: current, agent, settings, rule: queue.routingRule, now, expiresAt });
        if (outcome === 'lost') {
          // Another router changed the agent or the chat meanwhile. The chat is read again at the top;
          // of the ready list only this agent is, so the next decision does not choose them blindly
          // again, and the 16 queries of the list are not repeated for every race.
          this.learned(ready, hints, agent.id, await store.agent(agent.id), settings);
          lost = true;
          break;
        }
        this.learned(ready, hints, agent.id, { ...agent, load: agent.load + 1 }, settings);
        current = { ...current, state: 'offered', version: current.version + 1, offeredTo: [...current.offeredTo, agent.id] };
        await notifier.notify(agent.id, offeredEvent(current, expiresAt, await previewRead));
        await this.deps.reports?.offered(current, agent.id, now);
        const metrics = this.deps.metrics ?? noMetrics;
        metrics.count(productMetrics.offers);
        metrics.duration(productMetrics.timeToOffer, now.getTime() - Date.parse(chat.createdAt));
      }
      if (!lost) return 'placed';
    }
    return 'waits';
  }

  /**
   * Puts what this pass now knows of an agent (after its own offer, or read again after a lost race)
   * into the ready list it read, instead of reading the list again: a pass offering several chats, or
   * losing a race, then queries the index once. An agent who can no longer take chats leaves the list.
   * If the list held only the first `limit` agents of the index, it is read again when an agent leaves
   * it or falls behind its last, as the next best agent may be beyond it.
   */
  private learned(ready: ReadyMemo, hints: Map<string, AgentRecord>, agentId: string, agent: AgentRecord | undefined, settings: Settings): void {
    if (agent && hints.has(agentId)) hints.set(agentId, agent);
    else if (!agent) hints.delete(agentId);
    const read = ready.read;
    if (!read) return;
    const at = read.candidates.findIndex((c) => c.agentId === agentId);
    if (at < 0) return;
    read.patched = true;
    const truncated = read.candidates.length >= read.limit;
    const now = agent ? candidateOf(agent, settings) : undefined;
    const [worst] = read.candidates.filter((c) => c.agentId !== agentId).sort(byAvailability).slice(-1);
    read.candidates.splice(at, 1);
    if (now && canTakeChat(now)) {
      // agents beyond a truncated list rank after its last: one who falls behind it may no longer be among the best
      if (truncated && worst && byAvailability(now, worst) > 0) ready.read = undefined;
      else read.candidates = [...read.candidates, now].sort(byAvailability);
      return;
    }
    if (truncated) ready.read = undefined;
  }

  private async candidates(queue: Queue, chat: RoutedChat, settings: Settings, hints: ReadonlyMap<string, AgentRecord>, ready: ReadyMemo = {}): Promise<Candidate[]> {
    const limit = queue.routingRule === 'all-agents' ? 1000 : 5 + chat.skipped.length + chat.offeredTo.length;
    const memo = ready.read && (ready.read.limit >= limit || ready.read.candidates.length < ready.read.limit) ? ready.read : undefined;
    const found = memo ? memo.candidates.slice(0, limit) : await this.deps.store.readyCandidates(queue.id, limit);
    if (!memo) ready.read = { limit, candidates: [...found] };
    for (const hint of hints.values()) if (hint.queues.includes(queue.id) && !found.some((c) => c.agentId === hint.id)) found.push(candidateOf(hint, settings));
    return found;
  }

  /** The agent takes an offered chat; the first accept wins, everyone else's offer is withdrawn. */
  async accept(agentId: string, chatId: string): Promise<AcceptResult> {
    const { store, chats, directory, notifier, events, clock } = this.deps;
    const settings = await directory.settings();
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const [chat, agent, offer] = await Promise.all([chats.chat(chatId), store.agent(agentId), store.offer(chatId, agentId)]);
      if (!chat || !agent) return { ok: false, code: 'not_found' };
      if (chat.state !== 'offered' || !chat.offeredTo.includes(agentId)) return { ok: false, code: 'offer_gone' };
      const now = clock();
      const outcome = await store.acceptChat({ chat, agent, settings, now });
      if (outcome === 'lost') continue;
      await this.deps.reports?.accepted(chat, agentId, now);
      const metrics = this.deps.metrics ?? noMetrics;
      metrics.count(productMetrics.accepts);
      metrics.duration(productMetrics.queueWait, now.getTime() - Date.parse(chat.createdAt));
      if (offer) metrics.duration(productMetrics.timeToAccept, now.getTime() - Date.parse(offer.offeredAt));
      const assigned = { ...chat, state: 'assigned' as const, agentId, version: chat.version + 1, offeredTo: [] };
      await notifier.notify(agentId, { type: 'chatAssigned', chat: chatView(assigned), ...(await chats.messagePage(chatId)) });
      await events.publish('ChatAssigned', { chatId, agentId, queueId: chat.queueId, channelId: chat.channelId });
      for (const other of chat.offeredTo.filter((a) => a !== agentId)) await this.withdraw(chatId, other, 'taken', false);
      await this.armInactivity(chat.queueId, chatId, now);
      return { ok: true };
    }
    return { ok: false, code: 'offer_gone' };
  }

  /**
   * Withdraws an agent's offer of a chat. With `requeue` the chat goes back to its queue
   * and is routed again at once.
   */
  async withdraw(
    chatId: string,
    agentId: string,
    reason: WithdrawReason,
    requeue: boolean,
    expectVersion?: number,
    presence?: 'inactive',
  ): Promise<boolean> {
    const { store, chats, directory, notifier, clock } = this.deps;
    const settings = await directory.settings();
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const [chat, agent, offer] = await Promise.all([chats.chat(chatId), store.agent(agentId), store.offer(chatId, agentId)]);
      if (!agent || !offer) return false;
      if (expectVersion !== undefined && !(chat?.state === 'offered' && chat.offeredTo.includes(agentId))) {
        // the accept timer of a decision that stopped between its two writes: the agent holds an
        // offer the chat never listed (nobody was told of it); taken back, the agent is ready again
        await store.releaseOffer(chatId, agentId, settings);
        await this.agentReady(agentId);
        return false;
      }
      if (!chat) return false;
      if (expectVersion !== undefined && chat.version !== expectVersion) return false;
      const outcome = await store.withdrawOffer({ chat, agent, settings, reason, requeue, now: clock(), presence });
      if (outcome === 'lost') continue;
      await notifier.notify(agentId, { type: 'offerWithdrawn', chatId, reason });
      if (reason === 'timeout') await this.deps.reports?.missed(chat, agentId, clock());
      if (presence && agent.presence !== presence) {
        await notifier.notify(agentId, { type: 'statusChanged', status: agent.connections > 0 ? presence : 'offline', reason: 'accept_timeout' });
      }
      if (requeue && chat.queueId) await this.routeQueue(chat.queueId);
      await this.agentReady(agentId);
      return true;
    }
    return false;
  }

  /** The accept timeout fired: withdraw, make the agent inactive, offer the chat to the next agent. */
  async acceptTimedOut(chatId: string, agentId: string, version: number): Promise<void> {
    // inactive in the same write as the withdrawal, so the re-routing cannot hand the chat straight back
    await this.withdraw(chatId, agentId, 'timeout', true, version, 'inactive');
  }

  /** Sets whether an agent takes chats; becoming active pulls waiting chats. The agent is always told the outcome. */
  async setPresence(agentId: string, presence: 'active' | 'inactive', reason?: string): Promise<void> {
    const { store, directory, notifier } = this.deps;
    const settings = await directory.settings();
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const agent = await store.agent(agentId);
      if (!agent) return;
      if (agent.presence !== presence && (await store.saveAgent(agent, { ...agent, presence }, settings)) === 'lost') continue;
      await notifier.notify(agentId, { type: 'statusChanged', status: agent.connections > 0 ? presence : 'offline', ...(reason ? { reason } : {}) });
      break;
    }
    if (presence === 'active') await this.agentReady(agentId);
  }

  /** A connection opened: the agent is online; an active agent pulls waiting chats. */
  async connected(agentId: string, connectionId: string): Promise<boolean> {
    const { store, directory, notifier, clock } = this.deps;
    const settings = await directory.settings();
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const agent = await store.agent(agentId);
      if (!agent) return false;
      if ((await store.connectAgent(agent, connectionId, settings, clock())) === 'lost') continue;
      if (agent.connections === 0) await notifier.notify(agentId, { type: 'statusChanged', status: agent.presence });
      if (agent.presence === 'active') await this.agentReady(agentId);
      return true;
    }
    return false;
  }

  /** A connection closed (or was found gone). The last one makes the agent offline: offers go elsewhere, chats stay. */
  async disconnected(connectionId: string, knownAgentId?: string): Promise<void> {
    const { store, directory, log } = this.deps;
    const agentId = knownAgentId ?? (await log.agentOfConnection(connectionId));
    if (!agentId) return;
    const settings = await directory.settings();
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const agent = await store.agent(agentId);
      if (!agent) return;
      const outcome = await store.disconnectAgent(agent, connectionId, settings);
      if (outcome === 'lost') {
        // already removed by a concurrent disconnect or GoneException
        if (!(await log.agentOfConnection(connectionId))) return;
        continue;
      }
      if (agent.connections <= 1) {
        for (const offer of await store.offersOf(agentId)) await this.withdraw(offer.chatId, agentId, 'offline', true);
      }
      return;
    }
  }

  /**
   * Closes a chat (agent, completion timeout, supervisor with an optional note), with the
   * wrap-up (disposition, tags) the closer gave; capacity frees and waiting chats move.
   * With `onlyIf` (the inactivity timeout) the chat closes only while it holds for the chat as read, and the
   * write loses if either side wrote since that read: a message racing the close either keeps the chat or comes after it.
   */
  async close(chatId: string, reason: CloseReason, byAgentId?: string, note?: string, wrapUp?: WrapUp, onlyIf?: (chat: RoutedChat) => boolean): Promise<{ ok: boolean }> {
    const { store, chats, directory, notifier, events, clock } = this.deps;
    const settings = await directory.settings();
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const chat = await chats.chat(chatId);
      if (!chat || chat.state === 'closed') return { ok: false };
      if (byAgentId && chat.agentId !== byAgentId) return { ok: false };
      if (onlyIf && !onlyIf(chat)) return { ok: false };
      for (const offered of chat.offeredTo) await this.withdraw(chatId, offered, 'closed', false);
      const fresh = chat.offeredTo.length ? await chats.chat(chatId) : chat;
      if (!fresh) return { ok: false };
      // the close below is conditioned on this version: what `onlyIf` saw is what closes
      if (onlyIf && !onlyIf(fresh)) return { ok: false };
      const agent = fresh.agentId ? await store.agent(fresh.agentId) : undefined;
      const outcome = await store.closeChat({ chat: fresh, agent, settings, reason, now: clock(), ...(onlyIf ? { quiet: true } : {}), ...(wrapUp ? { wrapUp } : {}) });
      if (outcome === 'lost') continue;
      if (fresh.agentId) await notifier.notify(fresh.agentId, { type: 'chatClosed', chatId, reason });
      await this.deps.watchers?.forward(fresh, { type: 'chatClosed', chatId, reason });
      await events.publish('ChatClosed', {
        chatId,
        reason,
        agentId: fresh.agentId,
        queueId: fresh.queueId,
        channelId: fresh.channelId,
        ...(note !== undefined ? { note } : {}),
        ...(wrapUp?.disposition ? { dispositionId: wrapUp.disposition.id, dispositionLabel: wrapUp.disposition.label } : {}),
        ...(wrapUp?.tags && wrapUp.tags.length > 0 ? { tags: wrapUp.tags } : {}),
      });
      if (fresh.agentId) await this.agentReady(fresh.agentId);
      await this.deps.endings?.closed({ ...fresh, state: 'closed', ...(wrapUp?.disposition ? { disposition: wrapUp.disposition } : {}) }, reason);
      return { ok: true };
    }
    return { ok: false };
  }

  /**
   * Hands an assigned chat over: to another queue (routed by that queue's rule) or to a named
   * agent (offered to them, subject to their capacity).
   */
  async transfer(agentId: string, chatId: string, to: { queueId?: string; agentId?: string; note?: string }): Promise<TransferResult> {
    const { store, chats, directory, notifier, timers, clock } = this.deps;
    const settings = await directory.settings();
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const [chat, from] = await Promise.all([chats.chat(chatId), store.agent(agentId)]);
      if (!chat || !from || chat.state !== 'assigned' || chat.agentId !== agentId) return { ok: false, code: 'not_your_chat' };
      let outcome: 'done' | 'lost';
      let targetQueue = chat.queueId;
      const note: TransferNote | undefined = to.note ? { text: to.note, fromAgentId: from.id, fromAgentName: from.displayName } : undefined;
      if (to.agentId) {
        const target = await store.agent(to.agentId);
        if (!target || target.id === agentId) return { ok: false, code: 'agent_not_found' };
        if (!canTakeChat(candidateOf(target, settings))) return { ok: false, code: 'agent_unavailable' };
        const expiresAt = offerExpiry('available-agent', clock(), settings);
        outcome = await store.handOver({ chat, from, to: target, settings, now: clock(), expiresAt, ...(note ? { note } : {}) });
        if (outcome === 'done') {
          const { transferNote: _earlier, ...rest } = chat;
          const offered = { ...rest, state: 'offered' as const, agentId: null, version: chat.version + 1, ...(note ? { transferNote: note } : {}) };
          if (expiresAt) {
            await timers.arm(expiresAt, { kind: 'acceptTimeout', chatId, agentId: target.id, version: offered.version });
          }
          await notifier.notify(target.id, offeredEvent(offered, expiresAt, await this.previewOf(chatId)));
        }
      } else {
        targetQueue = to.queueId ?? null;
        if (!targetQueue || !(await directory.queue(targetQueue))) return { ok: false, code: 'queue_not_found' };
        outcome = await store.releaseChat({ chat, agent: from, settings, toQueueId: targetQueue, now: clock(), ...(note ? { note } : {}) });
      }
      if (outcome === 'lost') continue;
      await this.deps.reports?.transferred(chat, agentId, clock());
      await notifier.notify(agentId, { type: 'chatClosed', chatId, reason: 'transfer' });
      if (!to.agentId && targetQueue) await this.routeQueue(targetQueue);
      await this.agentReady(agentId);
      return { ok: true };
    }
    return { ok: false, code: 'busy' };
  }

  /**
   * A supervisor moves a waiting, offered or assigned chat: to another queue (routed there by its
   * rule), to a named agent as an offer (active, connected, within capacity), or straight to
   * them with `force` (connected; capacity not checked). The move, with the withdrawal of the
   * chat's other pending offers, is one write conditioned on the chat's version, the offers and
   * the agents' revs, so a concurrent accept, close, offer or other move wins or loses as a whole
   * (only an offer to more agents than one transaction holds is withdrawn ahead, offer by offer).
   * Whoever held the chat is told as on a transfer (`offerWithdrawn` / `chatClosed` with
   * reason `transfer`).
   */
  async reassign(chatId: string, to: { agentId?: string; queueId?: string; force?: boolean }, by: string): Promise<ReassignResult> {
    const { store, chats, directory, notifier, timers, events, clock } = this.deps;
    const settings = await directory.settings();
    if (to.queueId && !(await directory.queue(to.queueId))) return { ok: false, code: 'queue_not_found' };
    const forced = to.force === true && to.agentId !== undefined;
    // agents whose offer was taken back: they pull other waiting chats once the move is decided
    const freed = new Set<string>();
    try {
      return await this.reassignOnce(chatId, to, by, settings, forced, freed);
    } finally {
      for (const agentId of freed) if (agentId !== to.agentId) await this.agentReady(agentId);
    }
  }

  private async reassignOnce(
    chatId: string,
    to: { agentId?: string; queueId?: string },
    by: string,
    settings: Settings,
    forced: boolean,
    freed: Set<string>,
  ): Promise<ReassignResult> {
    const { store, chats, notifier, timers, events, clock } = this.deps;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      let chat = await chats.chat(chatId);
      if (!chat) return { ok: false, code: 'chat_not_found' };
      if (chat.state === 'closed') return { ok: false, code: 'chat_closed' };
      if (chat.state === 'bot') return { ok: false, code: 'chat_with_bot' };
      const target = to.agentId ? await store.agent(to.agentId) : undefined;
      if (to.agentId && !target) return { ok: false, code: 'agent_not_found' };
      if (target && chat.state === 'assigned' && chat.agentId === target.id) return { ok: true, chat };
      // an offer the target holds of this chat already counts in their load
      const holdsOffer = target !== undefined && chat.state === 'offered' && chat.offeredTo.includes(target.id);
      const able = !target || holdsOffer || (forced ? effectiveStatus(target.presence, target.connections) !== 'offline' : canTakeChat(candidateOf(target, settings)));
      if (!able) return { ok: false, code: 'agent_unavailable' };
      const from = chat.state === 'assigned' && chat.agentId ? await store.agent(chat.agentId) : undefined;
      // the other pending offers are withdrawn in the same write as the move, so routing cannot offer the chat in between
      let withdraw: AgentRecord[] = [];
      if (chat.state === 'offered') {
        const others = chat.offeredTo.filter((a) => a !== target?.id);
        const held = await Promise.all(others.map(async (a) => ((await store.offer(chatId, a)) ? store.agent(a) : undefined)));
        withdraw = held.filter((a): a is AgentRecord => a !== undefined);
        const items = 1 + withdraw.reduce((n, a) => n + 2 + a.queues.length, 0) + (from ? 1 + from.queues.length : 0) + (target ? 2 + target.queues.length : 0);
        if (items > maxTransactItems) {
          // too many offers for one transaction (an all-agents chat offered to very many): withdraw them one by one first
          const left = await this.withdrawAllOffers(chat, settings, freed);
          if (!left) continue;
          chat = left;
          withdraw = [];
        }
      }
      const now = clock();
      const expiresAt = target && !forced ? offerExpiry('available-agent', now, settings) : undefined;
      const destination = target ? { agent: target, as: forced ? ('assigned' as const) : ('offer' as const), expiresAt } : { queueId: to.queueId as string };
      if ((await store.redirectChat({ chat, from, withdraw, to: destination, settings, now })) === 'lost') continue;
      const version = chat.version + 1;
      for (const agent of withdraw) {
        freed.add(agent.id);
        await notifier.notify(agent.id, { type: 'offerWithdrawn', chatId, reason: 'transfer' });
      }
      if (from) await notifier.notify(from.id, { type: 'chatClosed', chatId, reason: 'transfer' });
      // a supervisor's move of an assigned chat counts as its agent's transfer, as the agent's own does
      if (from) await this.deps.reports?.transferred(chat, from.id, now);
      if (target && !forced) {
        const offered = { ...chat, state: 'offered' as const, agentId: null, offeredTo: [target.id], skipped: [], version };
        if (expiresAt) await timers.arm(expiresAt, { kind: 'acceptTimeout', chatId, agentId: target.id, version });
        await notifier.notify(target.id, offeredEvent(offered, expiresAt, await this.previewOf(chatId)));
      } else if (target) {
        const assigned = { ...chat, state: 'assigned' as const, agentId: target.id, offeredTo: [], skipped: [], version };
        await notifier.notify(target.id, { type: 'chatAssigned', chat: chatView(assigned), ...(await chats.messagePage(chatId)) });
        await this.armInactivity(chat.queueId, chatId, now);
      }
      await events.publish('ChatReassigned', {
        chatId,
        fromAgentId: from?.id ?? null,
        toAgentId: target?.id ?? null,
        toQueueId: target ? null : (to.queueId ?? null),
        forced,
        by,
        channelId: chat.channelId,
        queueId: target ? chat.queueId : (to.queueId ?? null),
      });
      if (!target && to.queueId) await this.routeQueue(to.queueId);
      if (from) await this.agentReady(from.id);
      return { ok: true, chat: (await chats.chat(chatId)) ?? chat };
    }
    return { ok: false, code: 'busy' };
  }

  /**
   * Takes back every pending offer of a chat (reason `transfer`), each a decided write that
   * returns the chat to waiting once no offer is left. The chat as left, or undefined when a
   * write lost (the caller reads again).
   */
  private async withdrawAllOffers(chat: RoutedChat, settings: Settings, freed: Set<string>): Promise<RoutedChat | undefined> {
    const { store, chats, notifier, clock } = this.deps;
    let current = chat;
    for (const agentId of chat.offeredTo) {
      const [agent, offer] = await Promise.all([store.agent(agentId), store.offer(chat.id, agentId)]);
      if (!agent || !offer) continue;
      if ((await store.withdrawOffer({ chat: current, agent, settings, reason: 'transfer', requeue: true, now: clock() })) === 'lost') return undefined;
      freed.add(agentId);
      await notifier.notify(agentId, { type: 'offerWithdrawn', chatId: chat.id, reason: 'transfer' });
      const fresh = await chats.chat(chat.id);
      if (!fresh) return undefined;
      current = fresh;
    }
    return current;
  }

  /** An agent message arms the queue's completion timeout (if the queue has one). */
  async armCompletion(chat: RoutedChat, messageId: string, at: Date): Promise<void> {
    if (!chat.queueId) return;
    const queue = await this.deps.directory.queue(chat.queueId);
    const deadline = queue ? completionDeadline(queue, at) : undefined;
    if (!deadline) return;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const fresh = await this.deps.chats.chat(chat.id);
      if (!fresh || fresh.state !== 'assigned') return;
      if ((await this.deps.store.setCompletionToken(fresh, messageId)) === 'done') break;
    }
    await this.deps.timers.arm(deadline, { kind: 'completionTimeout', chatId: chat.id, token: messageId });
  }

  /** The completion timeout fired: close the chat unless the customer wrote or the agent replied since. */
  async completionTimedOut(chatId: string, token: string): Promise<void> {
    const chat = await this.deps.chats.chat(chatId);
    if (!chat || chat.state !== 'assigned' || chat.completionToken !== token) return;
    await this.close(chatId, 'timeout');
  }

  /**
   * A chat was assigned: arm its queue's inactivity timeout (if the queue has one), once per
   * assignment. Messages arm nothing; the timer itself follows the chat's activity when it fires.
   */
  private async armInactivity(queueId: string | null, chatId: string, heldSince: Date): Promise<void> {
    if (!queueId) return;
    const queue = await this.deps.directory.queue(queueId);
    const deadline = queue ? inactivityDeadline(queue, { heldSince: heldSince.toISOString() }) : undefined;
    if (deadline) await this.deps.timers.arm(deadline, { kind: 'inactivityTimeout', chatId, heldSince: heldSince.toISOString() });
  }

  /**
   * The inactivity timer fired. Stale (the chat closed, or was assigned again since: that assignment
   * has its own timer) it does nothing; if someone wrote since it was armed it is armed again for
   * the new deadline; otherwise the chat closes with reason `inactivity`, by a write that loses to
   * any message stored first (then the timer reads again and re-arms).
   */
  async inactivityTimedOut(chatId: string, heldSince: string): Promise<void> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const chat = await this.deps.chats.chat(chatId);
      if (!chat || chat.state !== 'assigned' || chat.heldSince !== heldSince || !chat.queueId) return;
      const queue = await this.deps.directory.queue(chat.queueId);
      const deadline = queue ? inactivityDeadline(queue, chat) : undefined;
      // the queue's timeout was removed meanwhile: the chat stays open
      if (!queue || !deadline) return;
      const now = this.deps.clock();
      if (deadline.getTime() > now.getTime()) {
        await this.deps.timers.arm(deadline, { kind: 'inactivityTimeout', chatId, heldSince });
        return;
      }
      const idle = (c: RoutedChat): boolean => {
        const due = inactivityDeadline(queue, c);
        return c.state === 'assigned' && c.heldSince === heldSince && due !== undefined && due.getTime() <= now.getTime();
      };
      if ((await this.close(chatId, 'inactivity', undefined, undefined, undefined, idle)).ok) return;
    }
  }
}

function mergeWaiting(found: readonly RoutedChat[], extra: readonly RoutedChat[]): RoutedChat[] {
  // what the index found wins over a hint of the same chat
  const byId = new Map(extra.map((c) => [c.id, c]));
  for (const chat of found) byId.set(chat.id, chat);
  return [...byId.values()].sort((a, b) => (waitRank(a) < waitRank(b) ? -1 : 1));
}
