/**
 * The routing properties, stated once and checked against the real Dispatcher and Membership over
 * any store backend: random contact centres (queues with either rule, agents with capacities and
 * connections) live through random event sequences (customers open chats and write again, agents
 * connect, disconnect, set presence, accept, reply, close, transfer, the bot takes a thread back, timers fire — stale ones and
 * twice-delivered ones included —, admins change capacities), and after every event the stored
 * state is read back through the stores and checked.
 *
 *   routingProperties({ name: 'in memory', stores: async () => memoryStores() }, { runs: 150, steps: 60 });
 *
 * Nothing here reaches DynamoDB Local by itself; the backend does, if it is that one.
 */
import fc from 'fast-check';
import type { AgentRecord as AgentItem, Offer as OfferItem, Queue, RoutedChat as ChatItem, RoutingRule, Settings } from '../../functions/domain/model';
import type { AgentEvent, TimerPayload } from '../../functions/domain/ports';
import { capacityOf, waitRank, type Candidate } from '../../functions/domain/routing';
import { routingRig, type RoutingRig, type RoutingStores } from './routing-rig';

export interface Backend {
  name: string;
  /** Fresh, empty stores for one run. */
  stores(): Promise<RoutingStores>;
}

const queueIds = ['q0', 'q1', 'q2'] as const;
const chatIdOf = (n: number) => `chat-${String(n).padStart(4, '0')}`;
const agentIdOf = (n: number) => `agent-${n}`;

// ---- random worlds and event sequences ----------------------------------------------------------

export type Step =
  | { k: 'arrive'; q: number }
  | { k: 'writeAgain'; pick: number }
  | { k: 'reply'; pick: number }
  | { k: 'accept'; pick: number }
  | { k: 'close'; pick: number }
  | { k: 'handover'; pick: number }
  | { k: 'timer'; pick: number }
  | { k: 'timerAgain' }
  | { k: 'presence'; agent: number; active: boolean }
  | { k: 'connect'; agent: number }
  | { k: 'disconnect'; agent: number; pick: number }
  | { k: 'transferQueue'; pick: number; q: number }
  | { k: 'transferAgent'; pick: number; agent: number }
  | { k: 'setting'; value: number }
  | { k: 'agentCapacity'; agent: number; value?: number };

const pick = fc.nat(1000);
const agentIx = fc.nat(5);
const cap = fc.integer({ min: 1, max: 3 });
const rule = fc.constantFrom<RoutingRule>('all-agents', 'available-agent');

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('arrive' as const), q: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('writeAgain' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('reply' as const), pick }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('accept' as const), pick }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('close' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('handover' as const), pick }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('timer' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('timerAgain' as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('presence' as const), agent: agentIx, active: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('connect' as const), agent: agentIx }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('disconnect' as const), agent: agentIx, pick }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('transferQueue' as const), pick, q: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('transferAgent' as const), pick, agent: agentIx }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('setting' as const), value: cap }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('agentCapacity' as const), agent: agentIx, value: fc.option(cap, { nil: undefined }) }) },
);

export function worldArb(maxSteps: number) {
  return fc.record({
    queues: fc.tuple(...queueIds.map(() => fc.record({ rule, completionTimeoutSeconds: fc.constantFrom(null, 60) }))),
    simultaneousChats: cap,
    agents: fc.array(fc.record({ queues: fc.subarray([0, 1, 2], { minLength: 1 }), override: fc.option(cap, { nil: undefined }), connected: fc.boolean() }), {
      minLength: 1,
      maxLength: 6,
    }),
    steps: fc.array(stepArb, { maxLength: maxSteps, size: 'max' }),
  });
}

export type World = ReturnType<typeof worldArb> extends fc.Arbitrary<infer W> ? W : never;

// ---- the state, read back through the stores -------------------------------------------------------

interface Snapshot {
  settings: Settings;
  queues: Queue[];
  agents: AgentItem[];
  chats: ChatItem[];
  /** Offer items per agent, in the store's order. */
  offers: Record<string, OfferItem[]>;
  /** Chats the store lists as held by each agent. */
  held: Record<string, string[]>;
}

async function snapshot(r: RoutingRig, agentIds: string[], chatIds: string[]): Promise<Snapshot> {
  const [settings, queues, agents, chats, offers, held] = await Promise.all([
    r.directory.settings(),
    r.directory.listQueues(),
    Promise.all(agentIds.map((id) => r.store.agent(id))),
    Promise.all(chatIds.map((id) => r.chats.chat(id))),
    Promise.all(agentIds.map((id) => r.store.offersOf(id))),
    Promise.all(agentIds.map((id) => r.store.chatIdsHeldBy(id))),
  ]);
  return {
    settings,
    queues,
    agents: agents.filter((a): a is AgentItem => a !== undefined),
    chats: chats.filter((c): c is ChatItem => c !== undefined),
    offers: Object.fromEntries(agentIds.map((id, i) => [id, offers[i] ?? []])),
    held: Object.fromEntries(agentIds.map((id, i) => [id, [...(held[i] ?? [])].sort()])),
  };
}

// ---- facts recomputed from the stored state, independently of the dispatcher -----------------------

function capacity(s: Snapshot, agent: AgentItem): number {
  return capacityOf(agent, s.settings);
}

function able(s: Snapshot, agent: AgentItem): boolean {
  return agent.presence === 'active' && agent.connections > 0 && agent.load < capacity(s, agent);
}

function ruleOf(s: Snapshot, queueId: string | null): RoutingRule {
  const queue = s.queues.find((q) => q.id === queueId);
  if (!queue) throw new Error(`no queue ${queueId}`);
  return queue.routingRule;
}

function ableMembers(s: Snapshot, queueId: string | null): string[] {
  return s.agents.filter((a) => queueId !== null && a.queues.includes(queueId) && able(s, a)).map((a) => a.id);
}

/** The available-agent choice, written out from the product text: fewest chats, then idle longest (never first), skipped last. */
function expectedChoice(members: Candidate[], skipped: string[]): string | undefined {
  const ableOnes = members.filter((m) => m.status === 'active' && m.load < m.capacity);
  const fresh = ableOnes.filter((m) => !skipped.includes(m.agentId));
  const pool = fresh.length > 0 ? fresh : ableOnes;
  const idle = (m: Candidate) => (m.lastTakenAt === undefined ? -Infinity : Date.parse(m.lastTakenAt));
  return [...pool].sort((a, b) => a.load - b.load || idle(a) - idle(b) || (a.agentId < b.agentId ? -1 : 1))[0]?.agentId;
}

/** Agents allowed above their capacity: those who held more when it was lowered, until their load falls back. */
type Ceilings = Record<string, number>;

function nextCeilings(s: Snapshot, before: Ceilings): Ceilings {
  const out: Ceilings = {};
  for (const agent of s.agents) {
    const c = capacity(s, agent);
    out[agent.id] = Math.max(c, Math.min(before[agent.id] ?? c, agent.load));
  }
  return out;
}

/**
 * Capacity, load and ownership: what must hold of the stored state after every event. Returns
 * every breach found, each as a sentence naming the agent or chat (plain checks, not one `expect`
 * each: thousands of events are checked per second).
 */
function stateProblems(s: Snapshot, ceilings: Ceilings, direct: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));
  const offerHolders = new Map<string, string[]>();
  for (const [agentId, offers] of Object.entries(s.offers)) for (const o of offers) offerHolders.set(o.chatId, [...(offerHolders.get(o.chatId) ?? []), agentId]);
  const assignedTo = new Map<string, string[]>();
  for (const c of s.chats) if (c.state === 'assigned' && c.agentId) assignedTo.set(c.agentId, [...(assignedTo.get(c.agentId) ?? []), c.id]);
  const ableIn = new Map(s.queues.map((q) => [q.id, ableMembers(s, q.id)]));
  for (const agent of s.agents) {
    const assigned = assignedTo.get(agent.id) ?? [];
    const offered = (s.offers[agent.id] ?? []).map((o) => o.chatId);
    // load is exactly what the chats say the agent holds: its offers and its assigned chats
    if (agent.load !== offered.length + assigned.length) problems.push(`${agent.id} has load ${agent.load} but holds offers [${offered}] and chats [${assigned}]`);
    // the agent's list of held chats is its assigned chats
    if (!same(s.held[agent.id] ?? [], assigned)) problems.push(`${agent.id} is listed as holding [${s.held[agent.id]}] but is assigned [${assigned}]`);
    // never above capacity, except what a lowered capacity left behind
    const allowed = Math.max(capacity(s, agent), ceilings[agent.id] ?? 0);
    if (agent.load > allowed) problems.push(`${agent.id} holds ${agent.load} chats, above capacity ${capacity(s, agent)} (allowed ${allowed} after a lowered capacity)`);
  }
  for (const chat of s.chats) {
    const rule = ruleOf(s, chat.queueId);
    const at = `${chat.id} (${chat.state}, ${rule} queue ${chat.queueId})`;
    // the offers stored for the chat are exactly the agents the chat says it is offered to
    if (!same(chat.offeredTo, offerHolders.get(chat.id) ?? [])) problems.push(`${at} says it is offered to [${chat.offeredTo}] but offers are held by [${offerHolders.get(chat.id) ?? []}]`);
    if (new Set(chat.offeredTo).size !== chat.offeredTo.length) problems.push(`${at} is offered twice to one agent: [${chat.offeredTo}]`);
    const ableNow = (chat.queueId !== null && ableIn.get(chat.queueId)) || [];
    switch (chat.state) {
      case 'waiting':
        if (chat.agentId !== null || chat.offeredTo.length > 0) problems.push(`${at} waits with agent ${chat.agentId} and offers [${chat.offeredTo}]`);
        // never stranded: nobody in the queue could take it
        if (ableNow.length > 0) problems.push(`${at} waits while [${ableNow}] could take it`);
        break;
      case 'offered':
        if (chat.agentId !== null) problems.push(`${at} is offered but has agent ${chat.agentId}`);
        if (chat.offeredTo.length === 0) problems.push(`${at} is offered to nobody`);
        if (rule === 'available-agent' || direct.has(chat.id)) {
          if (chat.offeredTo.length > 1) problems.push(`${at} is offered to several agents at once: [${chat.offeredTo}]`);
        } else {
          // all-agents: every able member of the queue has been offered it
          const missed = ableNow.filter((a) => !chat.offeredTo.includes(a));
          if (missed.length > 0) problems.push(`${at} is not offered to [${missed}], who could take it`);
        }
        break;
      case 'assigned': {
        // exactly one owner, and no offer left standing anywhere
        const holders = Object.entries(s.held).filter(([, ids]) => ids.includes(chat.id)).map(([a]) => a);
        if (!chat.agentId || !same(holders, [chat.agentId])) problems.push(`${at} is assigned to ${chat.agentId} but held by [${holders}]`);
        if (chat.offeredTo.length > 0) problems.push(`${at} is assigned but still offered to [${chat.offeredTo}]`);
        break;
      }
      case 'closed':
        if (chat.offeredTo.length > 0) problems.push(`${at} is closed but still offered to [${chat.offeredTo}]`);
        break;
    }
  }
  return problems;
}

/** What an offer decision looked at, read from the stores just before the offer was written. */
interface Decision {
  chatId: string;
  agentId: string;
  rule: RoutingRule;
  /** Every member of the queue at that moment, able or not. */
  members: Candidate[];
  skipped: string[];
  offeredTo: string[];
  /** Chats of the same queue, older than this one, waiting at that moment. */
  olderWaiting: string[];
}

function checkDecision(d: Decision): void {
  const target = d.members.find((m) => m.agentId === d.agentId);
  // offered only to an active member with spare capacity who does not hold it yet
  expect({ chat: d.chatId, to: d.agentId, able: !!target && target.status === 'active' && target.load < target.capacity }).toEqual({ chat: d.chatId, to: d.agentId, able: true });
  expect(d.offeredTo).not.toContain(d.agentId);
  // oldest first: no older chat of the queue was left waiting
  expect({ chat: d.chatId, olderWaiting: d.olderWaiting }).toEqual({ chat: d.chatId, olderWaiting: [] });
  if (d.rule === 'available-agent') {
    // one offer at a time, to the agent with the fewest chats, idle longest, skipped last
    expect({ chat: d.chatId, alreadyOfferedTo: d.offeredTo }).toEqual({ chat: d.chatId, alreadyOfferedTo: [] });
    expect({ chat: d.chatId, to: d.agentId }).toEqual({ chat: d.chatId, to: expectedChoice(d.members, d.skipped) });
  }
}

// ---- one world, event by event ---------------------------------------------------------------------

type Action =
  | { do: 'arrive'; queueId: string; chatId: string }
  | { do: 'writeAgain'; chatId: string }
  | { do: 'reply'; chatId: string }
  | { do: 'accept'; agentId: string; chatId: string }
  | { do: 'close'; agentId: string; chatId: string }
  | { do: 'handover'; chatId: string }
  | { do: 'timer'; payload: TimerPayload; at: string }
  | { do: 'presence'; agentId: string; presence: 'active' | 'inactive' }
  | { do: 'connect'; agentId: string; connectionId: string }
  | { do: 'disconnect'; connectionId: string }
  | { do: 'transferQueue'; agentId: string; chatId: string; queueId: string }
  | { do: 'transferAgent'; agentId: string; chatId: string; toAgentId: string }
  | { do: 'setting'; simultaneousChats: number }
  | { do: 'agentCapacity'; agentId: string; simultaneousChats?: number };

export type Check = 'state' | 'decisions' | 'accepts' | 'timers';

function nth<T>(items: readonly T[], n: number): T | undefined {
  return items.length ? items[n % items.length] : undefined;
}

/** Runs a world against fresh stores, checking the chosen properties after every event. */
export async function runWorld(backend: Backend, world: World, checks: ReadonlySet<Check>): Promise<void> {
  const decisions: Decision[] = [];
  const stores = await backend.stores();
  const agentIds = world.agents.map((_, i) => agentIdOf(i));
  const chatIds: string[] = [];
  // audit every offer at the moment it is written: what the stores held just before
  const store = new Proxy(stores.store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== 'offerChat' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return async (input: Parameters<RoutingStores['store']['offerChat']>[0]) => {
        const before = checks.has('decisions') ? await snapshot(r, agentIds, chatIds) : undefined;
        const outcome = await value.call(target, input);
        if (outcome === 'done' && before) decisions.push(decisionOf(before, input.chat.id, input.agent.id));
        return outcome;
      };
    },
  });
  const r = await routingRig({ ...stores, store }, { simultaneousChats: world.simultaneousChats });
  for (const [i, id] of queueIds.entries()) {
    const members = agentIds.filter((_, a) => world.agents[a]?.queues.includes(i));
    const q = world.queues[i];
    await r.queue({ id, routingRule: q?.rule ?? 'available-agent', completionTimeoutSeconds: q?.completionTimeoutSeconds ?? null, members: { users: members, groups: [] } });
    r.advance(1);
  }
  const connections: Record<string, string[]> = {};
  let connectionCount = 0;
  const prefix: Action[] = [];
  for (const [i, a] of world.agents.entries()) {
    await r.membership.saveAgent({ id: agentIdOf(i), displayName: `Agent ${i} 🎧`, groups: [], simultaneousChats: a.override });
    r.advance(1);
    if (a.connected) prefix.push({ do: 'connect', agentId: agentIdOf(i), connectionId: `conn-${connectionCount++}` });
  }

  /** Chats offered straight to a named agent by a transfer (outside the queue's list until they come back): chat → agent. */
  const direct = new Map<string, string>();
  let lastTimer: { payload: TimerPayload; at: string } | undefined;
  let before = await snapshot(r, agentIds, chatIds);
  let ceilings = nextCeilings(before, {});
  const trace: string[] = [];

  const resolve = (step: Step): Action => {
    const agentAt = (n: number) => agentIdOf(n % agentIds.length);
    const open = before.chats.filter((c) => c.state !== 'closed');
    const assigned = before.chats.filter((c) => c.state === 'assigned');
    const offers = before.chats.flatMap((c) => c.offeredTo.map((agentId) => ({ chatId: c.id, agentId })));
    const unknownChat = chatIdOf(9000 + (step.k === 'arrive' ? 0 : 'pick' in step ? step.pick : 0));
    switch (step.k) {
      case 'arrive':
        return { do: 'arrive', queueId: queueIds[step.q] ?? 'q0', chatId: chatIdOf(chatIds.length) };
      case 'writeAgain':
        return { do: 'writeAgain', chatId: nth(open, step.pick)?.id ?? unknownChat };
      case 'reply':
        return { do: 'reply', chatId: nth(assigned, step.pick)?.id ?? unknownChat };
      case 'accept': {
        // mostly an offer that stands; sometimes one that does not (or never did)
        const o = step.pick % 7 === 6 ? undefined : nth(offers, step.pick);
        return o ? { do: 'accept', ...o } : { do: 'accept', agentId: agentAt(step.pick), chatId: nth(before.chats, step.pick)?.id ?? unknownChat };
      }
      case 'close': {
        const c = nth(assigned, step.pick);
        return { do: 'close', agentId: c?.agentId ?? agentAt(step.pick), chatId: c?.id ?? unknownChat };
      }
      case 'handover':
        // the bot takes the thread back (Messenger handover): whatever state the open chat is in
        return { do: 'handover', chatId: nth(open, step.pick)?.id ?? unknownChat };
      case 'timer': {
        const t = nth(r.timers.all, step.pick);
        return t ? { do: 'timer', payload: t.payload, at: t.at.toISOString() } : { do: 'timer', payload: { kind: 'completionTimeout', chatId: unknownChat, token: 'none' }, at: r.clock().toISOString() };
      }
      case 'timerAgain':
        return lastTimer ? { do: 'timer', ...lastTimer } : { do: 'timer', payload: { kind: 'completionTimeout', chatId: unknownChat, token: 'none' }, at: r.clock().toISOString() };
      case 'presence':
        return { do: 'presence', agentId: agentAt(step.agent), presence: step.active ? 'active' : 'inactive' };
      case 'connect':
        return { do: 'connect', agentId: agentAt(step.agent), connectionId: `conn-${connectionCount++}` };
      case 'disconnect':
        // any connection the agent ever had: one already closed is a late duplicate and changes nothing
        return { do: 'disconnect', connectionId: nth(connections[agentAt(step.agent)] ?? [], step.pick) ?? `conn-gone-${step.pick}` };
      case 'transferQueue': {
        const c = nth(assigned, step.pick);
        return { do: 'transferQueue', agentId: c?.agentId ?? agentAt(step.pick), chatId: c?.id ?? unknownChat, queueId: queueIds[step.q] ?? 'q0' };
      }
      case 'transferAgent': {
        const c = nth(assigned, step.pick);
        return { do: 'transferAgent', agentId: c?.agentId ?? agentAt(step.pick), chatId: c?.id ?? unknownChat, toAgentId: agentAt(step.agent) };
      }
      case 'setting':
        return { do: 'setting', simultaneousChats: step.value };
      case 'agentCapacity':
        return { do: 'agentCapacity', agentId: agentAt(step.agent), simultaneousChats: step.value };
    }
  };

  const perform = async (action: Action): Promise<unknown> => {
    switch (action.do) {
      case 'arrive':
        chatIds.push(action.chatId);
        return r.customerWrites(action.queueId, `customer-${action.chatId}`, action.chatId);
      case 'writeAgain':
        return (await r.chats.chat(action.chatId)) ? r.customerWritesAgain(action.chatId) : undefined;
      case 'reply':
        return r.agentReplies(action.chatId);
      case 'accept':
        return r.dispatcher.accept(action.agentId, action.chatId);
      case 'close':
        return r.dispatcher.close(action.chatId, 'agent', action.agentId);
      case 'handover':
        return r.dispatcher.close(action.chatId, 'handover');
      case 'timer':
        lastTimer = { payload: action.payload, at: action.at };
        r.advanceTo(new Date(action.at));
        if (action.payload.kind === 'acceptTimeout') return r.dispatcher.acceptTimedOut(action.payload.chatId, action.payload.agentId, action.payload.version);
        if (action.payload.kind === 'completionTimeout') return r.dispatcher.completionTimedOut(action.payload.chatId, action.payload.token);
        return undefined;
      case 'presence':
        return r.dispatcher.setPresence(action.agentId, action.presence);
      case 'connect':
        (connections[action.agentId] ??= []).push(action.connectionId);
        return r.dispatcher.connected(action.agentId, action.connectionId);
      case 'disconnect':
        return r.dispatcher.disconnected(action.connectionId);
      case 'transferQueue':
        return r.dispatcher.transfer(action.agentId, action.chatId, { queueId: action.queueId });
      case 'transferAgent': {
        const result = await r.dispatcher.transfer(action.agentId, action.chatId, { agentId: action.toAgentId });
        if (result.ok) direct.set(action.chatId, action.toAgentId);
        return result;
      }
      case 'setting':
        await r.directory.saveSettings({ ...(await r.directory.settings()), simultaneousChats: action.simultaneousChats });
        return r.membership.settingsChanged();
      case 'agentCapacity':
        return r.membership.saveAgent({ id: action.agentId, displayName: action.agentId, groups: [], simultaneousChats: action.simultaneousChats });
    }
  };

  const actions: (Action | Step)[] = [...prefix, ...world.steps];
  for (const item of actions) {
    const action = 'do' in item ? item : resolve(item);
    trace.push(JSON.stringify(action));
    const sent = r.notifier.sent.length;
    const armed = r.timers.all.length;
    decisions.length = 0;
    r.advance(1);
    try {
      const result = await perform(action);
      const after = await snapshot(r, agentIds, chatIds);
      for (const c of after.chats) if (c.state !== 'offered' || c.offeredTo.join() !== direct.get(c.id)) direct.delete(c.id);
      const told = r.notifier.sent.slice(sent);
      ceilings = nextCeilings(after, ceilings);
      if (checks.has('state')) expect(stateProblems(after, ceilings, direct)).toEqual([]);
      if (checks.has('decisions')) decisions.forEach(checkDecision);
      if (checks.has('accepts') && action.do === 'accept') checkAccept(action, result, before, told);
      if (checks.has('timers') && action.do === 'timer') checkTimer(action.payload, before, after, told, r.timers.all.length - armed);
      before = after;
    } catch (failure) {
      const message = failure instanceof Error ? failure.message : String(failure);
      throw new Error(`${backend.name}: after event ${trace.length} of\n  ${trace.join('\n  ')}\n${message}`);
    }
  }
}

function decisionOf(s: Snapshot, chatId: string, agentId: string): Decision {
  const chat = s.chats.find((c) => c.id === chatId);
  if (!chat?.queueId) throw new Error(`offer of ${chatId}, which is in no queue`);
  const queueId = chat.queueId;
  return {
    chatId,
    agentId,
    rule: ruleOf(s, queueId),
    members: s.agents
      .filter((a) => a.queues.includes(queueId))
      .map((a) => ({ agentId: a.id, status: a.connections > 0 ? a.presence : 'offline', load: a.load, capacity: capacity(s, a), lastTakenAt: a.lastTakenAt })),
    skipped: [...chat.skipped],
    offeredTo: [...chat.offeredTo],
    olderWaiting: s.chats.filter((c) => c.queueId === queueId && c.state === 'waiting' && waitRank(c) < waitRank(chat)).map((c) => c.id),
  };
}

type Told = { agentId: string; event: AgentEvent }[];

/** The first accept of a standing offer wins; every other agent offered the chat is told it was taken. Anything else is refused. */
function checkAccept(action: Extract<Action, { do: 'accept' }>, result: unknown, before: Snapshot, told: Told): void {
  const chat = before.chats.find((c) => c.id === action.chatId);
  const assigned = told.filter((t) => t.event.type === 'chatAssigned').map((t) => t.agentId);
  if (!chat || chat.state !== 'offered' || !chat.offeredTo.includes(action.agentId)) {
    expect({ accept: action, result, assigned }).toEqual({ accept: action, result: { ok: false, code: expect.any(String) }, assigned: [] });
    return;
  }
  expect({ accept: action, result, assigned }).toEqual({ accept: action, result: { ok: true }, assigned: [action.agentId] });
  const withdrawn = told.flatMap((t) => (t.event.type === 'offerWithdrawn' && t.event.chatId === chat.id ? [[t.agentId, t.event.reason]] : []));
  expect({ chat: chat.id, withdrawn }).toEqual({ chat: chat.id, withdrawn: chat.offeredTo.filter((a) => a !== action.agentId).map((a) => [a, 'taken']) });
}

/**
 * A timer whose offer or completion token is gone changes nothing at all: no write, no event,
 * no timer. A live accept timeout withdraws the offer, makes the agent inactive, and offers the
 * agent nothing in the same breath; a live completion timeout closes the chat.
 */
function checkTimer(payload: TimerPayload, before: Snapshot, after: Snapshot, told: Told, armed: number): void {
  const chat = before.chats.find((c) => c.id === payload.chatId);
  if (payload.kind === 'acceptTimeout') {
    const live = chat?.version === payload.version && (before.offers[payload.agentId] ?? []).some((o) => o.chatId === payload.chatId);
    if (!live) {
      expect({ staleTimer: payload, told, armed, state: after }).toEqual({ staleTimer: payload, told: [], armed: 0, state: before });
      return;
    }
    expect(told[0]).toEqual({ agentId: payload.agentId, event: { type: 'offerWithdrawn', chatId: payload.chatId, reason: 'timeout' } });
    expect({ agent: payload.agentId, presence: after.agents.find((a) => a.id === payload.agentId)?.presence }).toEqual({ agent: payload.agentId, presence: 'inactive' });
    expect(told.filter((t) => t.agentId === payload.agentId && t.event.type === 'chatOffered')).toEqual([]);
    expect(after.chats.find((c) => c.id === payload.chatId)?.skipped).toContain(payload.agentId);
    return;
  }
  if (payload.kind === 'completionTimeout') {
    const live = chat?.state === 'assigned' && chat.completionToken === payload.token;
    if (!live) {
      expect({ staleTimer: payload, told, armed, state: after }).toEqual({ staleTimer: payload, told: [], armed: 0, state: before });
      return;
    }
    expect(after.chats.find((c) => c.id === payload.chatId)).toMatchObject({ state: 'closed', closeReason: 'timeout' });
  }
}

// ---- the suite ----------------------------------------------------------------------------------------

export interface SuiteOptions {
  /** fast-check runs per property. */
  runs: number;
  /** Most events per run. */
  steps: number;
  /** Jest timeout per property, in ms. */
  timeout?: number;
  seed?: number;
}

/** Registers the routing properties for one backend. */
export function routingProperties(backend: Backend, options: SuiteOptions): void {
  const property = (checks: Check[]) => () =>
    fc.assert(
      fc.asyncProperty(worldArb(options.steps), (world) => runWorld(backend, world, new Set(checks))),
      { numRuns: options.runs, ...(options.seed === undefined ? {} : { seed: options.seed }) },
    );

  describe(`routing properties (${backend.name}, real dispatcher)`, () => {
    it(
      'keeps load equal to what the chats say, within capacity (or a lowered capacity’s ceiling), one owner per chat, all-agents chats offered to every able member, and no chat waiting while a member could take it',
      property(['state']),
      options.timeout,
    );

    it('offers oldest first, only to able members, and under available-agent to the fewest chats, idle longest, skipped last', property(['decisions']), options.timeout);

    it('lets exactly one accept of an offer win and tells each other offered agent it was taken; refuses accepts of offers that do not stand', property(['accepts']), options.timeout);

    it('changes nothing when a stale or twice-delivered timer fires; a live accept timeout makes the agent inactive and moves the chat on', property(['timers']), options.timeout);
  });
}

// ---- named scenarios: the cases random sequences reach rarely --------------------------------------

/** Registers the named routing scenarios for one backend. */
export function routingScenarios(backend: Backend): void {
  const rig = async (simultaneousChats = 2) => routingRig(await backend.stores(), { simultaneousChats });
  const offered = (r: RoutingRig, from: number) =>
    r.notifier.sent.slice(from).flatMap((s) => (s.event.type === 'chatOffered' ? [[s.event.chat.id, s.agentId]] : []));

  describe(`routing scenarios (${backend.name}, real dispatcher)`, () => {
    it('gives a tie on load to the agent idle longest, an agent who never took a chat first', async () => {
      // given ann took and closed a chat; bob never took one
      const r = await rig();
      await r.queue({ id: 'support' });
      await r.agent('ann', { connected: true });
      await r.agent('bob', { connected: true });
      const first = await r.customerWrites('support', 'c-1', 'chat-1'); // to ann (id order)
      expect(await r.dispatcher.accept('ann', first)).toEqual({ ok: true });
      r.advance(10);
      await r.dispatcher.close(first, 'agent', 'ann');
      // when
      const from = r.notifier.sent.length;
      await r.customerWrites('support', 'c-2', 'chat-2');
      // then
      expect(offered(r, from)).toEqual([['chat-2', 'bob']]);
    });

    it('prefers the agent who took a chat longer ago when both have taken one', async () => {
      const r = await rig();
      await r.queue({ id: 'support', routingRule: 'all-agents' });
      await r.agent('ann', { connected: true });
      await r.agent('bob', { connected: true });
      await r.customerWrites('support', 'c-1', 'chat-1');
      await r.customerWrites('support', 'c-2', 'chat-2');
      // bob takes chat-1 first, ann takes chat-2 a minute later; both close
      await r.dispatcher.accept('bob', 'chat-1');
      r.advance(60);
      await r.dispatcher.accept('ann', 'chat-2');
      await r.dispatcher.close('chat-1', 'agent', 'bob');
      await r.dispatcher.close('chat-2', 'agent', 'ann');
      await r.queue({ id: 'sales', routingRule: 'available-agent' });
      // when
      const from = r.notifier.sent.length;
      await r.customerWrites('sales', 'c-3', 'chat-3');
      // then bob, idle longer, gets it although ann sorts first by name
      expect(offered(r, from)).toEqual([['chat-3', 'bob']]);
    });

    it('passes over an agent who let the chat expire while someone else can take it, even one idle longer', async () => {
      // given ann (own capacity 2) took a chat before bob did, then let chat-3 expire; bob is full
      const r = await rig(1);
      await r.queue({ id: 'support' });
      await r.agent('ann', { connected: true, simultaneousChats: 2 });
      await r.agent('bob', { connected: true });
      await r.customerWrites('support', 'c-1', 'chat-1');
      await r.dispatcher.accept('ann', 'chat-1');
      r.advance(1);
      await r.customerWrites('support', 'c-2', 'chat-2');
      await r.dispatcher.accept('bob', 'chat-2');
      await r.customerWrites('support', 'c-3', 'chat-3');
      const timer = r.timers.armed.get('accept-chat-3-ann')?.payload;
      if (timer?.kind !== 'acceptTimeout') throw new Error('no accept timer for chat-3');
      await r.dispatcher.acceptTimedOut('chat-3', 'ann', timer.version);
      await r.membership.saveAgent({ id: 'ann', displayName: 'ann', groups: ['agents'] });
      await r.dispatcher.setPresence('ann', 'active');
      expect(await r.chats.chat('chat-3')).toMatchObject({ state: 'waiting', skipped: ['ann'] });
      // when both gain room at once
      const from = r.notifier.sent.length;
      await r.directory.saveSettings({ ...(await r.directory.settings()), simultaneousChats: 2 });
      await r.membership.settingsChanged();
      // then
      expect(offered(r, from)).toEqual([['chat-3', 'bob']]);
    });

    it('lets a chat whose only agent let it expire wait, and offers it to the first agent who becomes able', async () => {
      const r = await rig();
      await r.queue({ id: 'support' });
      await r.agent('ann', { connected: true });
      await r.agent('bob');
      await r.customerWrites('support', 'c-1', 'chat-1');
      const timer = r.timers.armed.get('accept-chat-1-ann')?.payload;
      if (timer?.kind !== 'acceptTimeout') throw new Error('no accept timer');
      // when
      await r.dispatcher.acceptTimedOut('chat-1', 'ann', timer.version);
      expect(await r.chats.chat('chat-1')).toMatchObject({ state: 'waiting', skipped: ['ann'] });
      const from = r.notifier.sent.length;
      await r.dispatcher.connected('bob', 'conn-bob');
      // then
      expect(offered(r, from)).toEqual([['chat-1', 'bob']]);
    });

    it('keeps the chats of an agent whose capacity is lowered, and offers them nothing until their load falls below it', async () => {
      const r = await rig(3);
      await r.queue({ id: 'support' });
      await r.agent('ann', { connected: true });
      for (const n of [1, 2, 3]) await r.customerWrites('support', `c-${n}`, `chat-${n}`);
      expect((await r.store.agent('ann'))?.load).toBe(3);
      // when
      await r.directory.saveSettings({ ...(await r.directory.settings()), simultaneousChats: 1 });
      await r.membership.settingsChanged();
      let from = r.notifier.sent.length;
      await r.customerWrites('support', 'c-4', 'chat-4');
      // then
      expect((await r.store.agent('ann'))?.load).toBe(3);
      expect(offered(r, from)).toEqual([]);
      for (const n of [1, 2, 3]) await r.dispatcher.accept('ann', `chat-${n}`);
      await r.dispatcher.close('chat-1', 'agent', 'ann');
      await r.dispatcher.close('chat-2', 'agent', 'ann');
      expect(offered(r, from)).toEqual([]);
      from = r.notifier.sent.length;
      await r.dispatcher.close('chat-3', 'agent', 'ann');
      expect(offered(r, from)).toEqual([['chat-4', 'ann']]);
    });

    it('puts a chat transferred to another queue in line by its arrival, ahead of younger waiting chats', async () => {
      const r = await rig(1);
      await r.queue({ id: 'support', members: { users: ['ann'], groups: [] } });
      await r.queue({ id: 'billing', members: { users: ['bob'], groups: [] } });
      await r.agent('ann', { connected: true, groups: [] });
      await r.agent('bob', { connected: true, groups: [] });
      await r.customerWrites('support', 'c-0', 'chat-0');
      await r.dispatcher.accept('ann', 'chat-0');
      await r.customerWrites('billing', 'c-1', 'chat-1');
      await r.dispatcher.accept('bob', 'chat-1');
      await r.customerWrites('billing', 'c-2', 'chat-2');
      expect((await r.chats.chat('chat-2'))?.state).toBe('waiting');
      await r.dispatcher.transfer('ann', 'chat-0', { queueId: 'billing' });
      // when bob frees up
      const from = r.notifier.sent.length;
      await r.dispatcher.close('chat-1', 'agent', 'bob');
      // then the transferred chat, older, goes first
      expect(offered(r, from)).toEqual([['chat-0', 'bob']]);
    });

    it('drains a queue longer than a page of waiting chats oldest first, across the page boundary', async () => {
      // given 30 chats waiting (the dispatcher reads 25 per page) and nobody online
      const r = await rig(40);
      await r.queue({ id: 'support' });
      await r.agent('ann');
      const ids = Array.from({ length: 30 }, (_, n) => `chat-${String(n).padStart(2, '0')}`);
      for (const id of ids) await r.customerWrites('support', `c-${id}`, id);
      // when
      await r.dispatcher.connected('ann', 'conn-ann');
      // then every chat is offered, in arrival order
      expect(offered(r, 0).map(([chatId]) => chatId)).toEqual(ids);
    });

    it('offers the chat that arrives right after a full page of waiting chats, in its turn', async () => {
      // given exactly one page (25) of chats waiting for a full agent
      const r = await rig(1);
      await r.queue({ id: 'support', routingRule: 'all-agents' });
      await r.agent('ann', { connected: true, simultaneousChats: 1 });
      await r.customerWrites('support', 'c-first', 'chat-first');
      await r.dispatcher.accept('ann', 'chat-first');
      for (let n = 0; n < 24; n++) await r.customerWrites('support', `c-${n}`, `chat-${String(n).padStart(2, '0')}`);
      await r.agent('bob', { simultaneousChats: 30 });
      // when the 26th arrives, then bob comes online
      await r.customerWrites('support', 'c-last', 'chat-last');
      await r.dispatcher.connected('bob', 'conn-bob');
      // then bob is offered all 25, the newest last
      const toBob = offered(r, 0).filter(([, agent]) => agent === 'bob').map(([chatId]) => chatId);
      expect(toBob).toHaveLength(25);
      expect(toBob.at(-1)).toBe('chat-last');
    });

    it('sends the offers of an agent going offline to the others, and keeps their assigned chats', async () => {
      const r = await rig(2);
      await r.queue({ id: 'support' });
      await r.agent('ann');
      await r.agent('bob');
      await r.dispatcher.connected('ann', 'conn-ann');
      await r.customerWrites('support', 'c-1', 'chat-1');
      await r.dispatcher.accept('ann', 'chat-1');
      await r.customerWrites('support', 'c-2', 'chat-2');
      await r.dispatcher.connected('bob', 'conn-bob');
      expect(offered(r, 0)).toEqual([['chat-1', 'ann'], ['chat-2', 'ann']]);
      // when
      const from = r.notifier.sent.length;
      await r.dispatcher.disconnected('conn-ann');
      // then
      expect(r.notifier.sent.slice(from).map((s) => [s.agentId, s.event.type])).toEqual([
        ['ann', 'offerWithdrawn'],
        ['bob', 'chatOffered'],
      ]);
      expect(await r.chats.chat('chat-1')).toMatchObject({ state: 'assigned', agentId: 'ann' });
    });
  });
}
