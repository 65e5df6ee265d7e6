import type { CloseReason, RoutingRule, WithdrawReason } from './model';
import { canTakeChat, capacityOf, effectiveStatus, offerTargets, waitRank, type Candidate } from './routing';

/**
 * An executable model of chat routing: the queue rules of `routing.ts` applied to a whole
 * contact center held in memory, one event at a time, with no I/O and no clock (time is a
 * parameter). It follows the dispatcher's order of work (which queues drain, and when) so that
 * its outcomes can be compared with the real thing, and it states the product's intent where
 * the two could differ: an agent whose offer timed out is made inactive before the chat moves on.
 */

/** An agent as routing sees it. */
export interface ModelAgent {
  id: string;
  presence: 'active' | 'inactive';
  /** Live WebSocket connections; none means offline. */
  connections: number;
  /** Chats in progress: offered + assigned. */
  load: number;
  /** Per-agent override of the `simultaneousChats` setting. */
  simultaneousChats?: number;
  lastTakenAt?: string;
  queues: string[];
}

export interface ModelQueue {
  id: string;
  rule: RoutingRule;
}

export interface ModelChat {
  id: string;
  queueId: string;
  state: 'waiting' | 'offered' | 'assigned' | 'closed';
  agentId: string | null;
  /** Agents holding an offer of this chat now. */
  offeredTo: string[];
  /** Offers that run an accept timer (available-agent offers and transfers to a named agent). */
  timed: string[];
  /** Agents whose offer of this chat timed out. */
  skipped: string[];
  /** Arrival time; with the id it orders the queue. */
  createdAt: string;
  /** Offered to a named agent by a transfer: outside the queue's lists until it comes back. */
  direct: boolean;
}

export interface RoutingState {
  simultaneousChats: number;
  agents: Record<string, ModelAgent>;
  /** In creation order, the order in which a settings change drains them. */
  queues: ModelQueue[];
  chats: Record<string, ModelChat>;
  /** Chats created so far; names the next one. */
  arrivals: number;
}

export type RoutingEvent =
  | { type: 'chatArrives'; queueId: string }
  | { type: 'accept'; agentId: string; chatId: string }
  | { type: 'acceptTimeout'; agentId: string; chatId: string }
  | { type: 'close'; agentId: string; chatId: string }
  | { type: 'completionTimeout'; chatId: string }
  | { type: 'setPresence'; agentId: string; presence: 'active' | 'inactive' }
  | { type: 'connect'; agentId: string }
  | { type: 'disconnect'; agentId: string }
  | { type: 'transferToQueue'; agentId: string; chatId: string; queueId: string }
  | { type: 'transferToAgent'; agentId: string; chatId: string; toAgentId: string }
  | { type: 'setSimultaneousChats'; value: number }
  | { type: 'setAgentCapacity'; agentId: string; value?: number };

/** What a routing decision looked at, so that it can be audited from outside. */
export interface OfferDecision {
  rule: RoutingRule;
  /** Every member of the queue at that moment, able or not. */
  members: Candidate[];
  skipped: string[];
  offeredTo: string[];
  /** Chats of the same queue, older than this one, that were waiting at that moment. */
  olderWaiting: string[];
}

export type RoutingEffect =
  | { type: 'offered'; chatId: string; agentId: string; expires: boolean; decision?: OfferDecision }
  | { type: 'withdrawn'; chatId: string; agentId: string; reason: WithdrawReason }
  | { type: 'assigned'; chatId: string; agentId: string }
  | { type: 'closed'; chatId: string; agentId: string; reason: CloseReason }
  | { type: 'statusChanged'; agentId: string; status: 'active' | 'inactive' | 'offline'; reason?: string }
  | { type: 'refused'; event: RoutingEvent['type']; code: string };

/** A state with no chats: the given agents (active, offline, no load) and queues. */
export function initialState(input: {
  simultaneousChats: number;
  queues: ModelQueue[];
  agents: { id: string; queues: string[]; simultaneousChats?: number }[];
}): RoutingState {
  const agents: Record<string, ModelAgent> = {};
  for (const a of input.agents) {
    agents[a.id] = { id: a.id, presence: 'active', connections: 0, load: 0, queues: [...a.queues], ...(a.simultaneousChats === undefined ? {} : { simultaneousChats: a.simultaneousChats }) };
  }
  return { simultaneousChats: input.simultaneousChats, agents, queues: input.queues.map((q) => ({ ...q })), chats: {}, arrivals: 0 };
}

/** The routing facts of an agent, as the rules of `routing.ts` take them. */
export function candidateOf(state: RoutingState, agent: ModelAgent): Candidate {
  return {
    agentId: agent.id,
    status: effectiveStatus(agent.presence, agent.connections),
    load: agent.load,
    capacity: capacityOf(agent, state),
    lastTakenAt: agent.lastTakenAt,
  };
}

/** Agents of a queue, in id order. */
export function membersOf(state: RoutingState, queueId: string): ModelAgent[] {
  return Object.values(state.agents)
    .filter((a) => a.queues.includes(queueId))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** The name the model gives the n-th chat (0-based); names sort in arrival order. */
export function chatIdOf(n: number): string {
  return `chat-${String(n).padStart(6, '0')}`;
}

/**
 * Applies one event at time `now` and returns the next state and what the agents would be told.
 * The given state is not changed. After the event, every queue the event may have unblocked is
 * drained oldest first, as the dispatcher drains them.
 */
export function apply(state: RoutingState, event: RoutingEvent, now: Date): { state: RoutingState; effects: RoutingEffect[] } {
  const run = new Run(structuredClone(state), now);
  run.handle(event);
  return { state: run.state, effects: run.effects };
}

/** Applies events one after another, one second apart from `start`. */
export function applyAll(state: RoutingState, events: readonly RoutingEvent[], start: Date): { state: RoutingState; effects: RoutingEffect[] } {
  let current = state;
  const effects: RoutingEffect[] = [];
  events.forEach((event, i) => {
    const out = apply(current, event, new Date(start.getTime() + i * 1000));
    current = out.state;
    effects.push(...out.effects);
  });
  return { state: current, effects };
}

/** One event's work on a private copy of the state. */
class Run {
  readonly effects: RoutingEffect[] = [];

  constructor(
    readonly state: RoutingState,
    private readonly now: Date,
  ) {}

  handle(event: RoutingEvent): void {
    switch (event.type) {
      case 'chatArrives':
        return this.arrive(event.queueId);
      case 'accept':
        return this.accept(event.agentId, event.chatId);
      case 'acceptTimeout':
        return this.acceptTimedOut(event.chatId, event.agentId);
      case 'close': {
        const chat = this.state.chats[event.chatId];
        if (!chat || chat.state !== 'assigned' || chat.agentId !== event.agentId) return this.refuse(event, 'not_your_chat');
        return this.close(chat, 'agent');
      }
      case 'completionTimeout': {
        const chat = this.state.chats[event.chatId];
        // a timer that outlived the assignment changes nothing
        if (chat?.state === 'assigned') this.close(chat, 'timeout');
        return;
      }
      case 'setPresence':
        return this.setPresence(event.agentId, event.presence);
      case 'connect':
        return this.connect(event.agentId);
      case 'disconnect':
        return this.disconnect(event.agentId);
      case 'transferToQueue':
        return this.transferToQueue(event);
      case 'transferToAgent':
        return this.transferToAgent(event);
      case 'setSimultaneousChats':
        this.state.simultaneousChats = event.value;
        for (const queue of this.state.queues) this.routeQueue(queue.id);
        return;
      case 'setAgentCapacity': {
        const agent = this.state.agents[event.agentId];
        if (!agent) return this.refuse(event, 'agent_not_found');
        if (event.value === undefined) delete agent.simultaneousChats;
        else agent.simultaneousChats = event.value;
        return this.agentReady(agent.id);
      }
    }
  }

  private refuse(event: RoutingEvent, code: string): void {
    this.effects.push({ type: 'refused', event: event.type, code });
  }

  private queue(queueId: string): ModelQueue | undefined {
    return this.state.queues.find((q) => q.id === queueId);
  }

  private arrive(queueId: string): void {
    if (!this.queue(queueId)) return this.refuse({ type: 'chatArrives', queueId }, 'queue_not_found');
    const id = chatIdOf(this.state.arrivals++);
    this.state.chats[id] = {
      id,
      queueId,
      state: 'waiting',
      agentId: null,
      offeredTo: [],
      timed: [],
      skipped: [],
      createdAt: this.now.toISOString(),
      direct: false,
    };
    this.routeQueue(queueId);
  }

  /** Whether a chat is in its queue's list of chats to route (all-agents offers stay listed until accepted). */
  private listed(chat: ModelChat, rule: RoutingRule): boolean {
    if (chat.state === 'waiting') return true;
    return chat.state === 'offered' && rule === 'all-agents' && !chat.direct;
  }

  /** Drains a queue: its listed chats oldest first; under available-agent an unplaced chat stops the line. */
  private routeQueue(queueId: string): void {
    const queue = this.queue(queueId);
    if (!queue) return;
    const seen = new Set<string>();
    for (;;) {
      const listed = Object.values(this.state.chats)
        .filter((c) => c.queueId === queueId && this.listed(c, queue.rule) && !seen.has(c.id))
        .sort((a, b) => (waitRank(a) < waitRank(b) ? -1 : 1));
      if (listed.length === 0) return;
      for (const chat of listed) {
        seen.add(chat.id);
        const placed = this.routeChat(queue, chat);
        if (!placed && queue.rule === 'available-agent') return;
      }
    }
  }

  /** Offers one chat under its queue's rule; false if it still waits for an agent. */
  private routeChat(queue: ModelQueue, chat: ModelChat): boolean {
    if (chat.queueId !== queue.id || (chat.state !== 'waiting' && chat.state !== 'offered')) return true;
    if (queue.rule === 'available-agent' && chat.state === 'offered') return true;
    const members = membersOf(this.state, queue.id).map((a) => candidateOf(this.state, a));
    const targets = offerTargets(queue.rule, members.filter(canTakeChat), { offeredTo: new Set(chat.offeredTo), skipped: new Set(chat.skipped) });
    if (targets.length === 0) return chat.state === 'offered';
    const decision: OfferDecision = {
      rule: queue.rule,
      members,
      skipped: [...chat.skipped],
      offeredTo: [...chat.offeredTo],
      olderWaiting: Object.values(this.state.chats)
        .filter((c) => c.queueId === queue.id && c.state === 'waiting' && waitRank(c) < waitRank(chat))
        .map((c) => c.id),
    };
    const expires = queue.rule === 'available-agent';
    for (const target of targets) {
      const agent = this.state.agents[target.agentId];
      if (!agent) continue;
      agent.load += 1;
      chat.state = 'offered';
      chat.offeredTo.push(agent.id);
      if (expires) chat.timed.push(agent.id);
      this.effects.push({ type: 'offered', chatId: chat.id, agentId: agent.id, expires, decision });
    }
    return true;
  }

  private agentReady(agentId: string): void {
    const agent = this.state.agents[agentId];
    if (!agent) return;
    for (const queueId of [...agent.queues]) this.routeQueue(queueId);
  }

  private accept(agentId: string, chatId: string): void {
    const chat = this.state.chats[chatId];
    const agent = this.state.agents[agentId];
    if (!chat || !agent) return this.refuse({ type: 'accept', agentId, chatId }, 'not_found');
    if (chat.state !== 'offered' || !chat.offeredTo.includes(agentId)) return this.refuse({ type: 'accept', agentId, chatId }, 'offer_gone');
    const others = chat.offeredTo.filter((a) => a !== agentId);
    agent.lastTakenAt = this.now.toISOString();
    Object.assign(chat, { state: 'assigned', agentId, offeredTo: others, timed: chat.timed.filter((a) => a !== agentId), direct: false });
    this.effects.push({ type: 'assigned', chatId, agentId });
    for (const other of others) this.withdraw(chat, other, 'taken', false);
  }

  /** Takes an offer back; with `requeue` a chat left without offers waits in its queue again and the queue drains. */
  private withdraw(chat: ModelChat, agentId: string, reason: WithdrawReason, requeue: boolean, then?: () => void): boolean {
    const agent = this.state.agents[agentId];
    if (!agent || !chat.offeredTo.includes(agentId)) return false;
    agent.load = Math.max(0, agent.load - 1);
    chat.offeredTo = chat.offeredTo.filter((a) => a !== agentId);
    chat.timed = chat.timed.filter((a) => a !== agentId);
    if (reason === 'timeout' && !chat.skipped.includes(agentId)) chat.skipped.push(agentId);
    if (requeue && chat.state === 'offered' && chat.offeredTo.length === 0) {
      chat.state = 'waiting';
      chat.direct = false;
    }
    this.effects.push({ type: 'withdrawn', chatId: chat.id, agentId, reason });
    then?.();
    if (requeue) this.routeQueue(chat.queueId);
    this.agentReady(agentId);
    return true;
  }

  /** The offer's timer fired while the offer still stood: withdraw it, the agent becomes inactive, the chat moves on. */
  private acceptTimedOut(chatId: string, agentId: string): void {
    const chat = this.state.chats[chatId];
    // a timer that outlived its offer (accepted, withdrawn) changes nothing
    if (!chat || chat.state !== 'offered' || !chat.timed.includes(agentId)) return;
    this.withdraw(chat, agentId, 'timeout', true, () => {
      const agent = this.state.agents[agentId];
      if (!agent) return;
      agent.presence = 'inactive';
      this.effects.push({ type: 'statusChanged', agentId, status: effectiveStatus('inactive', agent.connections), reason: 'accept_timeout' });
    });
  }

  private close(chat: ModelChat, reason: CloseReason): void {
    const agentId = chat.agentId;
    const agent = agentId ? this.state.agents[agentId] : undefined;
    for (const offered of [...chat.offeredTo]) this.withdraw(chat, offered, 'closed', false);
    Object.assign(chat, { state: 'closed', offeredTo: [], timed: [] });
    if (!agent || !agentId) return;
    agent.load = Math.max(0, agent.load - 1);
    this.effects.push({ type: 'closed', chatId: chat.id, agentId, reason });
    this.agentReady(agentId);
  }

  private setPresence(agentId: string, presence: 'active' | 'inactive'): void {
    const agent = this.state.agents[agentId];
    if (!agent) return this.refuse({ type: 'setPresence', agentId, presence }, 'agent_not_found');
    agent.presence = presence;
    this.effects.push({ type: 'statusChanged', agentId, status: effectiveStatus(presence, agent.connections) });
    if (presence === 'active') this.agentReady(agentId);
  }

  private connect(agentId: string): void {
    const agent = this.state.agents[agentId];
    if (!agent) return this.refuse({ type: 'connect', agentId }, 'agent_not_found');
    agent.connections += 1;
    if (agent.connections === 1) this.effects.push({ type: 'statusChanged', agentId, status: agent.presence });
    if (agent.presence === 'active') this.agentReady(agentId);
  }

  /** The last connection closing makes the agent offline: their offers go back to routing, their chats stay. */
  private disconnect(agentId: string): void {
    const agent = this.state.agents[agentId];
    if (!agent || agent.connections === 0) return this.refuse({ type: 'disconnect', agentId }, 'not_connected');
    agent.connections -= 1;
    if (agent.connections > 0) return;
    const offers = Object.values(this.state.chats)
      .filter((c) => c.state === 'offered' && c.offeredTo.includes(agentId))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    for (const chat of offers) this.withdraw(chat, agentId, 'offline', true);
  }

  private transferToQueue(event: Extract<RoutingEvent, { type: 'transferToQueue' }>): void {
    const chat = this.state.chats[event.chatId];
    const from = this.state.agents[event.agentId];
    if (!chat || !from || chat.state !== 'assigned' || chat.agentId !== from.id) return this.refuse(event, 'not_your_chat');
    if (!this.queue(event.queueId)) return this.refuse(event, 'queue_not_found');
    from.load = Math.max(0, from.load - 1);
    Object.assign(chat, { state: 'waiting', agentId: null, queueId: event.queueId, offeredTo: [], timed: [], skipped: [], direct: false });
    this.effects.push({ type: 'closed', chatId: chat.id, agentId: from.id, reason: 'transfer' });
    this.routeQueue(event.queueId);
    this.agentReady(from.id);
  }

  private transferToAgent(event: Extract<RoutingEvent, { type: 'transferToAgent' }>): void {
    const chat = this.state.chats[event.chatId];
    const from = this.state.agents[event.agentId];
    if (!chat || !from || chat.state !== 'assigned' || chat.agentId !== from.id) return this.refuse(event, 'not_your_chat');
    const to = this.state.agents[event.toAgentId];
    if (!to || to.id === from.id) return this.refuse(event, 'agent_not_found');
    if (!canTakeChat(candidateOf(this.state, to))) return this.refuse(event, 'agent_unavailable');
    from.load = Math.max(0, from.load - 1);
    to.load += 1;
    Object.assign(chat, { state: 'offered', agentId: null, offeredTo: [to.id], timed: [to.id], skipped: [], direct: true });
    this.effects.push({ type: 'offered', chatId: chat.id, agentId: to.id, expires: true });
    this.effects.push({ type: 'closed', chatId: chat.id, agentId: from.id, reason: 'transfer' });
    this.agentReady(from.id);
  }
}
