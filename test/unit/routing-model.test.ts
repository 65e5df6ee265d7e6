import fc from 'fast-check';
import type { Candidate } from '../../functions/domain/routing';
import {
  apply,
  applyAll,
  chatIdOf,
  initialState,
  type ModelChat,
  type OfferDecision,
  type RoutingEffect,
  type RoutingEvent,
  type RoutingState,
} from '../../functions/domain/routing-model';

const start = new Date('2026-03-01T09:00:00.000Z');
const queueIds = ['q0', 'q1', 'q2'];

// ---- facts recomputed from the state, independently of the model's own bookkeeping ----------

function capacity(state: RoutingState, agentId: string): number {
  return state.agents[agentId]?.simultaneousChats ?? state.simultaneousChats;
}

function able(state: RoutingState, agentId: string): boolean {
  const a = state.agents[agentId];
  return !!a && a.presence === 'active' && a.connections > 0 && a.load < capacity(state, agentId);
}

function heldBy(state: RoutingState, agentId: string): number {
  return Object.values(state.chats).filter((c) => c.offeredTo.includes(agentId) || (c.state === 'assigned' && c.agentId === agentId)).length;
}

function ruleOf(state: RoutingState, queueId: string) {
  const queue = state.queues.find((q) => q.id === queueId);
  if (!queue) throw new Error(`no queue ${queueId}`);
  return queue.rule;
}

/** The available-agent choice, written out from the product text: fewest chats, then idle longest (never first), skipped last. */
function expectedChoice(members: Candidate[], skipped: string[]): Candidate | undefined {
  const ableOnes = members.filter((m) => m.status === 'active' && m.load < m.capacity);
  const fresh = ableOnes.filter((m) => !skipped.includes(m.agentId));
  const pool = fresh.length > 0 ? fresh : ableOnes;
  const idle = (m: Candidate) => (m.lastTakenAt === undefined ? -Infinity : Date.parse(m.lastTakenAt));
  return [...pool].sort((a, b) => a.load - b.load || idle(a) - idle(b) || (a.agentId < b.agentId ? -1 : 1))[0];
}

/** Agents allowed above their capacity: those who held more when it was lowered, until their load falls back. */
type Ceilings = Record<string, number>;

function nextCeilings(state: RoutingState, before: Ceilings): Ceilings {
  const out: Ceilings = {};
  for (const agent of Object.values(state.agents)) {
    const cap = capacity(state, agent.id);
    out[agent.id] = Math.max(cap, Math.min(before[agent.id] ?? cap, agent.load));
  }
  return out;
}

function checkState(state: RoutingState, ceilings: Ceilings): void {
  for (const agent of Object.values(state.agents)) {
    // load is exactly what the chats say the agent holds
    expect({ agent: agent.id, load: agent.load }).toEqual({ agent: agent.id, load: heldBy(state, agent.id) });
    // never above capacity, except what a lowered capacity left behind
    expect(agent.load).toBeLessThanOrEqual(Math.max(capacity(state, agent.id), ceilings[agent.id] ?? 0));
  }
  for (const chat of Object.values(state.chats)) checkChat(state, chat);
}

function checkChat(state: RoutingState, chat: ModelChat): void {
  const rule = ruleOf(state, chat.queueId);
  expect(new Set(chat.offeredTo).size).toBe(chat.offeredTo.length);
  switch (chat.state) {
    case 'waiting':
      expect({ agentId: chat.agentId, offeredTo: chat.offeredTo }).toEqual({ agentId: null, offeredTo: [] });
      // never stranded: nobody in the queue could take it
      expect({ chat: chat.id, ableMembers: Object.keys(state.agents).filter((a) => state.agents[a]?.queues.includes(chat.queueId) && able(state, a)) }).toEqual({
        chat: chat.id,
        ableMembers: [],
      });
      break;
    case 'offered':
      expect(chat.agentId).toBeNull();
      expect(chat.offeredTo.length).toBeGreaterThan(0);
      if (rule === 'available-agent' || chat.direct) expect(chat.offeredTo).toHaveLength(1);
      else {
        // all-agents: every able member of the queue has been offered it
        const missed = Object.keys(state.agents).filter((a) => state.agents[a]?.queues.includes(chat.queueId) && able(state, a) && !chat.offeredTo.includes(a));
        expect({ chat: chat.id, missed }).toEqual({ chat: chat.id, missed: [] });
      }
      break;
    case 'assigned':
      // exactly one owner, and no offer left standing anywhere
      expect(chat.agentId).not.toBeNull();
      expect(chat.offeredTo).toEqual([]);
      break;
    case 'closed':
      expect(chat.offeredTo).toEqual([]);
      break;
  }
}

function checkDecision(effect: Extract<RoutingEffect, { type: 'offered' }>, decision: OfferDecision): void {
  const target = decision.members.find((m) => m.agentId === effect.agentId);
  // offered only to an active member with spare capacity who does not hold it yet
  expect(target && target.status === 'active' && target.load < target.capacity).toBe(true);
  expect(decision.offeredTo).not.toContain(effect.agentId);
  // oldest first: no older chat of the queue was left waiting
  expect({ chat: effect.chatId, olderWaiting: decision.olderWaiting }).toEqual({ chat: effect.chatId, olderWaiting: [] });
  if (decision.rule === 'available-agent') {
    expect(decision.offeredTo).toEqual([]);
    expect({ chat: effect.chatId, to: effect.agentId }).toEqual({ chat: effect.chatId, to: expectedChoice(decision.members, decision.skipped)?.agentId });
  }
}

// ---- random worlds and event sequences --------------------------------------------------------

type Step =
  | { k: 'arrive'; q: number }
  | { k: 'accept'; pick: number }
  | { k: 'acceptTimeout'; pick: number; stale: boolean }
  | { k: 'close'; pick: number }
  | { k: 'completionTimeout'; pick: number }
  | { k: 'presence'; agent: number; active: boolean }
  | { k: 'connect'; agent: number }
  | { k: 'disconnect'; agent: number }
  | { k: 'transferQueue'; pick: number; q: number }
  | { k: 'transferAgent'; pick: number; agent: number }
  | { k: 'setting'; value: number }
  | { k: 'agentCapacity'; agent: number; value?: number };

const pick = fc.nat(1000);
const agentIx = fc.nat(5);
const cap = fc.integer({ min: 1, max: 3 });

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('arrive' as const), q: fc.nat(2) }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('accept' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('acceptTimeout' as const), pick, stale: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('close' as const), pick }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('completionTimeout' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('presence' as const), agent: agentIx, active: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('connect' as const), agent: agentIx }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('disconnect' as const), agent: agentIx }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('transferQueue' as const), pick, q: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('transferAgent' as const), pick, agent: agentIx }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('setting' as const), value: cap }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('agentCapacity' as const), agent: agentIx, value: fc.option(cap, { nil: undefined }) }) },
);

const worldArb = fc.record({
  rules: fc.tuple(fc.constantFrom('all-agents' as const, 'available-agent' as const), fc.constantFrom('all-agents' as const, 'available-agent' as const), fc.constantFrom('all-agents' as const, 'available-agent' as const)),
  simultaneousChats: cap,
  agents: fc.array(
    fc.record({ queues: fc.subarray([0, 1, 2], { minLength: 1 }), override: fc.option(cap, { nil: undefined }), connected: fc.boolean() }),
    { minLength: 1, maxLength: 6 },
  ),
  steps: fc.array(stepArb, { maxLength: 60 }),
});

type World = typeof worldArb extends fc.Arbitrary<infer W> ? W : never;

function initial(world: World): RoutingState {
  return initialState({
    simultaneousChats: world.simultaneousChats,
    queues: queueIds.map((id, i) => ({ id, rule: world.rules[i] ?? 'available-agent' })),
    agents: world.agents.map((a, i) => ({ id: `agent-${i}`, queues: a.queues.map((q) => queueIds[q] ?? 'q0'), simultaneousChats: a.override })),
  });
}

function nth<T>(items: T[], n: number): T | undefined {
  return items.length ? items[n % items.length] : undefined;
}

/** Turns an abstract step into an event about things that exist now (or, for stale timers, used to). */
function resolve(state: RoutingState, step: Step): RoutingEvent {
  const agentIds = Object.keys(state.agents);
  const agentAt = (i: number) => agentIds[i % agentIds.length] ?? 'agent-0';
  const chats = Object.values(state.chats).sort((a, b) => (a.id < b.id ? -1 : 1));
  const offers = chats.flatMap((c) => c.offeredTo.map((agentId) => ({ chatId: c.id, agentId, timed: c.timed.includes(agentId) })));
  const assigned = chats.filter((c) => c.state === 'assigned');
  switch (step.k) {
    case 'arrive':
      return { type: 'chatArrives', queueId: queueIds[step.q] ?? 'q0' };
    case 'accept': {
      const o = nth(offers, step.pick);
      return o ? { type: 'accept', agentId: o.agentId, chatId: o.chatId } : { type: 'accept', agentId: agentAt(step.pick), chatId: chatIdOf(step.pick) };
    }
    case 'acceptTimeout': {
      const o = step.stale ? undefined : nth(offers.filter((x) => x.timed), step.pick);
      const any = nth(chats, step.pick);
      return o ? { type: 'acceptTimeout', ...o } : { type: 'acceptTimeout', agentId: agentAt(step.pick), chatId: any?.id ?? chatIdOf(0) };
    }
    case 'close': {
      const c = nth(assigned, step.pick);
      return { type: 'close', agentId: c?.agentId ?? agentAt(step.pick), chatId: c?.id ?? chatIdOf(step.pick) };
    }
    case 'completionTimeout':
      return { type: 'completionTimeout', chatId: nth(chats, step.pick)?.id ?? chatIdOf(0) };
    case 'presence':
      return { type: 'setPresence', agentId: agentAt(step.agent), presence: step.active ? 'active' : 'inactive' };
    case 'connect':
      return { type: 'connect', agentId: agentAt(step.agent) };
    case 'disconnect':
      return { type: 'disconnect', agentId: agentAt(step.agent) };
    case 'transferQueue': {
      const c = nth(assigned, step.pick);
      return { type: 'transferToQueue', agentId: c?.agentId ?? agentAt(step.pick), chatId: c?.id ?? chatIdOf(step.pick), queueId: queueIds[step.q] ?? 'q0' };
    }
    case 'transferAgent': {
      const c = nth(assigned, step.pick);
      return { type: 'transferToAgent', agentId: c?.agentId ?? agentAt(step.pick), chatId: c?.id ?? chatIdOf(step.pick), toAgentId: agentAt(step.agent) };
    }
    case 'setting':
      return { type: 'setSimultaneousChats', value: step.value };
    case 'agentCapacity':
      return { type: 'setAgentCapacity', agentId: agentAt(step.agent), value: step.value };
  }
}

/** Runs a world, checking every invariant after every event; returns what happened for further checks. */
function runWorld(world: World): { state: RoutingState; log: { event: RoutingEvent; effects: RoutingEffect[]; before: RoutingState; after: RoutingState }[] } {
  let state = initial(world);
  const prefix: RoutingEvent[] = world.agents.flatMap((a, i) => (a.connected ? [{ type: 'connect' as const, agentId: `agent-${i}` }] : []));
  let ceilings = nextCeilings(state, {});
  const log: { event: RoutingEvent; effects: RoutingEffect[]; before: RoutingState; after: RoutingState }[] = [];
  const events: (RoutingEvent | Step)[] = [...prefix, ...world.steps];
  events.forEach((item, i) => {
    const event = 'type' in item ? item : resolve(state, item);
    const out = apply(state, event, new Date(start.getTime() + i * 1000));
    ceilings = nextCeilings(out.state, ceilings);
    checkState(out.state, ceilings);
    for (const effect of out.effects) if (effect.type === 'offered' && effect.decision) checkDecision(effect, effect.decision);
    log.push({ event, effects: out.effects, before: state, after: out.state });
    state = out.state;
  });
  return { state, log };
}

// ---- properties -------------------------------------------------------------------------------

describe('routing model: properties over random event sequences', () => {
  it('keeps every invariant after every event: capacity, one owner, oldest first, tie-break, nothing stranded', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        runWorld(world);
      }),
      { numRuns: 400 },
    );
  });

  it('lets exactly one agent win an all-agents chat, and tells each other offered agent it was taken', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        for (const { event, effects, before } of runWorld(world).log) {
          if (event.type !== 'accept') continue;
          const chat = before.chats[event.chatId];
          const assigned = effects.filter((e) => e.type === 'assigned');
          if (!chat || chat.state !== 'offered' || !chat.offeredTo.includes(event.agentId)) {
            expect(assigned).toEqual([]);
            continue;
          }
          expect(assigned).toEqual([{ type: 'assigned', chatId: chat.id, agentId: event.agentId }]);
          const withdrawn = effects.filter((e) => e.type === 'withdrawn' && e.chatId === chat.id).map((e) => (e.type === 'withdrawn' ? [e.agentId, e.reason] : []));
          expect(withdrawn).toEqual(chat.offeredTo.filter((a) => a !== event.agentId).map((a) => [a, 'taken']));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('ignores a timer whose offer is gone, and makes an agent who let an offer expire inactive', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        for (const { event, effects, before, after } of runWorld(world).log) {
          if (event.type !== 'acceptTimeout') continue;
          const live = before.chats[event.chatId]?.timed.includes(event.agentId) ?? false;
          if (!live) {
            expect(effects).toEqual([]);
            expect(after).toEqual(before);
            continue;
          }
          expect(effects[0]).toEqual({ type: 'withdrawn', chatId: event.chatId, agentId: event.agentId, reason: 'timeout' });
          expect(after.agents[event.agentId]?.presence).toBe('inactive');
          // the agent who let it expire is not offered anything in the same breath
          expect(effects.filter((e) => e.type === 'offered' && e.agentId === event.agentId)).toEqual([]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('never changes the state it was given', () => {
    fc.assert(
      fc.property(worldArb, (world) => {
        let state = initial(world);
        for (const [i, step] of world.steps.entries()) {
          const frozen = structuredClone(state);
          const out = apply(state, resolve(state, step), new Date(start.getTime() + i * 1000));
          expect(state).toEqual(frozen);
          state = out.state;
        }
      }),
      { numRuns: 100 },
    );
  });
});

// ---- named scenarios --------------------------------------------------------------------------

function offersIn(effects: RoutingEffect[]): [string, string][] {
  return effects.flatMap((e) => (e.type === 'offered' ? [[e.chatId, e.agentId] as [string, string]] : []));
}

describe('routing model: scenarios', () => {
  const twoAgents = (rule: 'all-agents' | 'available-agent', simultaneousChats = 2) =>
    applyAll(
      initialState({ simultaneousChats, queues: [{ id: 'support', rule }], agents: [{ id: 'ann', queues: ['support'] }, { id: 'bob', queues: ['support'] }] }),
      [
        { type: 'connect', agentId: 'ann' },
        { type: 'connect', agentId: 'bob' },
      ],
      start,
    ).state;

  it('gives a tie on load to the agent idle longest, an agent who never took a chat first', () => {
    // given ann took a chat at 09:00:10, bob never did
    let s = twoAgents('available-agent');
    s = apply(s, { type: 'chatArrives', queueId: 'support' }, new Date('2026-03-01T09:00:05Z')).state; // to ann (id order)
    s = apply(s, { type: 'accept', agentId: 'ann', chatId: chatIdOf(0) }, new Date('2026-03-01T09:00:10Z')).state;
    s = apply(s, { type: 'close', agentId: 'ann', chatId: chatIdOf(0) }, new Date('2026-03-01T09:00:20Z')).state;
    // when
    const out = apply(s, { type: 'chatArrives', queueId: 'support' }, new Date('2026-03-01T09:00:30Z'));
    // then
    expect(offersIn(out.effects)).toEqual([[chatIdOf(1), 'bob']]);
  });

  it('offers the chat to the next agent when an offer times out, and leaves the one who let it expire inactive', () => {
    let s = twoAgents('available-agent');
    s = apply(s, { type: 'chatArrives', queueId: 'support' }, start).state; // ann
    // when
    const out = apply(s, { type: 'acceptTimeout', agentId: 'ann', chatId: chatIdOf(0) }, new Date(start.getTime() + 300_000));
    // then
    expect(out.effects).toEqual([
      { type: 'withdrawn', chatId: chatIdOf(0), agentId: 'ann', reason: 'timeout' },
      { type: 'statusChanged', agentId: 'ann', status: 'inactive', reason: 'accept_timeout' },
      expect.objectContaining({ type: 'offered', chatId: chatIdOf(0), agentId: 'bob' }),
    ]);
    expect(out.state.agents.ann?.presence).toBe('inactive');
  });

  it('lets a chat whose only agent let it expire wait, and offers it to the first agent who becomes able', () => {
    const base = initialState({ simultaneousChats: 2, queues: [{ id: 'support', rule: 'available-agent' }], agents: [{ id: 'ann', queues: ['support'] }, { id: 'bob', queues: ['support'] }] });
    let s = applyAll(base, [{ type: 'connect', agentId: 'ann' }, { type: 'chatArrives', queueId: 'support' }], start).state;
    // when
    s = apply(s, { type: 'acceptTimeout', agentId: 'ann', chatId: chatIdOf(0) }, start).state;
    expect(s.chats[chatIdOf(0)]).toMatchObject({ state: 'waiting', skipped: ['ann'] });
    const out = apply(s, { type: 'connect', agentId: 'bob' }, start);
    // then
    expect(offersIn(out.effects)).toEqual([[chatIdOf(0), 'bob']]);
  });

  it('passes over an agent who let the chat expire while someone else can take it, even one idle longer', () => {
    // given ann (own capacity 2) took a chat before bob did, then let chat 2 expire; bob is full
    const base = initialState({
      simultaneousChats: 1,
      queues: [{ id: 'support', rule: 'available-agent' }],
      agents: [{ id: 'ann', queues: ['support'], simultaneousChats: 2 }, { id: 'bob', queues: ['support'] }],
    });
    const events: RoutingEvent[] = [
      { type: 'connect', agentId: 'ann' },
      { type: 'connect', agentId: 'bob' },
      { type: 'chatArrives', queueId: 'support' },
      { type: 'accept', agentId: 'ann', chatId: chatIdOf(0) },
      { type: 'chatArrives', queueId: 'support' },
      { type: 'accept', agentId: 'bob', chatId: chatIdOf(1) },
      { type: 'chatArrives', queueId: 'support' },
      { type: 'acceptTimeout', agentId: 'ann', chatId: chatIdOf(2) },
      { type: 'setAgentCapacity', agentId: 'ann' },
      { type: 'setPresence', agentId: 'ann', presence: 'active' },
    ];
    const s = applyAll(base, events, start).state;
    expect(s.chats[chatIdOf(2)]).toMatchObject({ state: 'waiting', skipped: ['ann'] });
    // when both gain room at once
    const out = apply(s, { type: 'setSimultaneousChats', value: 2 }, new Date(start.getTime() + 60_000));
    // then
    expect(offersIn(out.effects)).toEqual([[chatIdOf(2), 'bob']]);
  });

  it('under all-agents offers a chat to every able agent, and withdraws it from the others as taken on the first accept', () => {
    let s = twoAgents('all-agents');
    const arrived = apply(s, { type: 'chatArrives', queueId: 'support' }, start);
    expect(offersIn(arrived.effects)).toEqual([
      [chatIdOf(0), 'ann'],
      [chatIdOf(0), 'bob'],
    ]);
    // when
    const out = apply(arrived.state, { type: 'accept', agentId: 'bob', chatId: chatIdOf(0) }, start);
    // then
    expect(out.effects).toEqual([
      { type: 'assigned', chatId: chatIdOf(0), agentId: 'bob' },
      { type: 'withdrawn', chatId: chatIdOf(0), agentId: 'ann', reason: 'taken' },
    ]);
    s = out.state;
    expect(apply(s, { type: 'accept', agentId: 'ann', chatId: chatIdOf(0) }, start).effects).toEqual([{ type: 'refused', event: 'accept', code: 'offer_gone' }]);
  });

  it('keeps the chats of an agent whose capacity is lowered, and offers them nothing until their load falls below it', () => {
    let s = twoAgents('available-agent', 3);
    s = applyAll(s, [{ type: 'setPresence', agentId: 'bob', presence: 'inactive' }, ...[0, 1, 2].map(() => ({ type: 'chatArrives' as const, queueId: 'support' }))], start).state;
    expect(s.agents.ann?.load).toBe(3);
    // when
    s = apply(s, { type: 'setSimultaneousChats', value: 1 }, start).state;
    const more = apply(s, { type: 'chatArrives', queueId: 'support' }, start);
    // then
    expect(more.state.agents.ann?.load).toBe(3);
    expect(offersIn(more.effects)).toEqual([]);
    s = applyAll(more.state, [0, 1, 2].map((n) => ({ type: 'accept' as const, agentId: 'ann', chatId: chatIdOf(n) })), start).state;
    s = applyAll(s, [{ type: 'close', agentId: 'ann', chatId: chatIdOf(0) }, { type: 'close', agentId: 'ann', chatId: chatIdOf(1) }], start).state;
    expect(offersIn(apply(s, { type: 'close', agentId: 'ann', chatId: chatIdOf(2) }, start).effects)).toEqual([[chatIdOf(3), 'ann']]);
  });

  it('puts a chat transferred to another queue in line by its arrival, ahead of younger waiting chats', () => {
    const base = initialState({
      simultaneousChats: 1,
      queues: [{ id: 'support', rule: 'available-agent' }, { id: 'billing', rule: 'available-agent' }],
      agents: [{ id: 'ann', queues: ['support'] }, { id: 'bob', queues: ['billing'] }],
    });
    let s = applyAll(base, [{ type: 'connect', agentId: 'ann' }, { type: 'connect', agentId: 'bob' }, { type: 'chatArrives', queueId: 'support' }], start).state;
    s = applyAll(s, [{ type: 'accept', agentId: 'ann', chatId: chatIdOf(0) }, { type: 'chatArrives', queueId: 'billing' }, { type: 'accept', agentId: 'bob', chatId: chatIdOf(1) }, { type: 'chatArrives', queueId: 'billing' }], start).state;
    expect(s.chats[chatIdOf(2)]?.state).toBe('waiting');
    s = apply(s, { type: 'transferToQueue', agentId: 'ann', chatId: chatIdOf(0), queueId: 'billing' }, start).state;
    // when bob frees up
    const out = apply(s, { type: 'close', agentId: 'bob', chatId: chatIdOf(1) }, start);
    // then the transferred chat, older, goes first
    expect(offersIn(out.effects)).toEqual([[chatIdOf(0), 'bob']]);
  });

  it('sends the offers of an agent going offline to the others and keeps their assigned chats', () => {
    let s = twoAgents('available-agent', 1);
    s = applyAll(s, [{ type: 'setPresence', agentId: 'bob', presence: 'inactive' }, { type: 'chatArrives', queueId: 'support' }], start).state;
    s = apply(s, { type: 'setPresence', agentId: 'bob', presence: 'active' }, start).state;
    // when
    const out = apply(s, { type: 'disconnect', agentId: 'ann' }, start);
    // then
    expect(out.effects).toEqual([
      { type: 'withdrawn', chatId: chatIdOf(0), agentId: 'ann', reason: 'offline' },
      expect.objectContaining({ type: 'offered', chatId: chatIdOf(0), agentId: 'bob' }),
    ]);
  });
});
