import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { type AgentRecord, type Offer, type RoutedChat, agentRecordSchema, offerSchema, routedChatSchema } from '../../functions/domain/model';
import { Supervision } from '../../functions/services/supervision';
import { routingHarness, type RoutingHarness } from '../support/routing-harness';

/**
 * Supervisors' moves racing the agents' own (accept, close) and each other, on DynamoDB Local:
 * after each race the table is read back and routing's invariants are checked on it.
 */

const membershipItem = z.object({ agentId: z.string(), queueId: z.string(), readyPk: z.string().optional(), load: z.number().optional() });

async function snapshot(h: RoutingHarness) {
  const out = { agents: [] as AgentRecord[], chats: [] as RoutedChat[], offers: [] as Offer[], memberships: [] as z.infer<typeof membershipItem>[] };
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await h.table.client.send(new ScanCommand({ TableName: h.table.name, ExclusiveStartKey: startKey, ConsistentRead: true }));
    for (const item of page.Items ?? []) {
      const sk = String(item.sk);
      if (sk === 'AGENT') {
        const agent = agentRecordSchema.parse(item);
        out.agents.push(agent);
        // pending offers are kept in the agent's item
        for (const [chatId, offer] of Object.entries(agent.offers ?? {})) out.offers.push({ chatId, agentId: agent.id, ...offer });
      }
      else if (sk === 'CHAT') out.chats.push(routedChatSchema.parse(item));
      else if (sk.startsWith('OFFER#')) out.offers.push(offerSchema.parse(item));
      else if (sk.startsWith('MEMBER#')) out.memberships.push(membershipItem.parse(item));
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return out;
}

/** Load is what an agent is offered plus holds; a chat is held by one agent or offered exactly as its offers say. */
function expectConsistent(s: Awaited<ReturnType<typeof snapshot>>): void {
  for (const agent of s.agents) {
    const offers = s.offers.filter((o) => o.agentId === agent.id).length;
    const assigned = s.chats.filter((c) => c.state === 'assigned' && c.agentId === agent.id).length;
    expect({ agent: agent.id, load: agent.load }).toEqual({ agent: agent.id, load: offers + assigned });
    for (const m of s.memberships.filter((x) => x.agentId === agent.id)) {
      if (m.readyPk !== undefined) expect({ agent: agent.id, load: m.load }).toEqual({ agent: agent.id, load: agent.load });
    }
  }
  for (const chat of s.chats) {
    const offeredTo = s.offers.filter((o) => o.chatId === chat.id).map((o) => o.agentId).sort();
    if (chat.state === 'offered') expect({ chat: chat.id, offeredTo }).toEqual({ chat: chat.id, offeredTo: [...chat.offeredTo].sort() });
    else expect({ chat: chat.id, state: chat.state, offeredTo }).toEqual({ chat: chat.id, state: chat.state, offeredTo: [] });
    if (chat.state === 'waiting' || chat.state === 'offered') expect({ chat: chat.id, agentId: chat.agentId }).toEqual({ chat: chat.id, agentId: null });
  }
}

async function harness(capacity = 2) {
  const h = await routingHarness({ simultaneousChats: capacity });
  await h.queue({ id: 'support', routingRule: 'available-agent' });
  await h.queue({ id: 'sales', routingRule: 'all-agents' });
  for (const id of ['ann', 'bob', 'cid']) await h.agent(id, { connected: true });
  return h;
}

describe('supervisors moving chats while agents act, on DynamoDB Local', () => {
  it('decides a reassignment racing the offered agent’s accept: the chat ends offered to the named agent alone, whoever landed first, twenty times over', async () => {
    const h = await harness();
    for (let round = 0; round < 20; round++) {
      const chatId = await h.customerWrites('support');
      const offeredTo = (await h.chats.chat(chatId))?.offeredTo ?? [];
      expect(offeredTo).toHaveLength(1);
      const first = offeredTo[0] ?? '';
      const target = ['ann', 'bob', 'cid'].find((a) => a !== first) ?? '';
      // when the offered agent accepts while a supervisor moves the chat to another agent
      const [accepted, moved] = await Promise.all([h.dispatcher.accept(first, chatId), h.dispatcher.reassign(chatId, { agentId: target }, 'sup')]);
      // then
      expect(moved.ok).toBe(true);
      const s = await snapshot(h);
      expectConsistent(s);
      expect(await h.chats.chat(chatId)).toMatchObject({ state: 'offered', offeredTo: [target], agentId: null });
      const told = h.eventsOf(first).filter((e) => 'chatId' in e && e.chatId === chatId && (e.type === 'offerWithdrawn' || e.type === 'chatClosed'));
      // the first agent lost the chat exactly once: its offer withdrawn, or the chat closed after accepting
      expect(told).toEqual([accepted.ok ? { type: 'chatClosed', chatId, reason: 'transfer' } : { type: 'offerWithdrawn', chatId, reason: 'transfer' }]);
      expect(h.events.published.filter((e) => e.detailType === 'ChatReassigned' && e.detail.chatId === chatId)).toHaveLength(1);
      // the named agent takes it, then the supervisor closes it, so each round starts alike
      expect(await h.dispatcher.accept(target, chatId)).toEqual({ ok: true });
      expect(await h.dispatcher.close(chatId, 'supervisor')).toEqual({ ok: true });
    }
    const end = await snapshot(h);
    expectConsistent(end);
    expect(end.agents.map((a) => a.load)).toEqual([0, 0, 0]);
  }, 120_000);

  it('closes a chat once when a supervisor closes it while another forces it to an agent: closed, every load back to zero, one ChatClosed with the note', async () => {
    const h = await harness();
    for (let round = 0; round < 15; round++) {
      const chatId = await h.customerWrites('support');
      const holder = (await h.chats.chat(chatId))?.offeredTo[0] ?? '';
      await h.dispatcher.accept(holder, chatId);
      const target = ['ann', 'bob', 'cid'].find((a) => a !== holder) ?? '';
      const supervision = new Supervision({ dispatcher: h.dispatcher, store: h.store, directory: h.directory, chats: h.chats, clock: h.clock });
      const [closed, moved] = await Promise.allSettled([
        supervision.close(chatId, 'Cliente abusivo — cerrado 🚫'),
        h.dispatcher.reassign(chatId, { agentId: target, force: true }, 'sup-2'),
      ]);
      expect(closed.status).toBe('fulfilled');
      const s = await snapshot(h);
      expectConsistent(s);
      expect(s.chats.find((c) => c.id === chatId)).toMatchObject({ state: 'closed', closeReason: 'supervisor' });
      expect(s.agents.map((a) => a.load)).toEqual([0, 0, 0]);
      const closings = h.events.published.filter((e) => e.detailType === 'ChatClosed' && e.detail.chatId === chatId);
      expect(closings).toEqual([{ detailType: 'ChatClosed', detail: expect.objectContaining({ reason: 'supervisor', note: 'Cliente abusivo — cerrado 🚫' }) }]);
      // whoever held the chat when it closed was told, with reason supervisor
      const holderAtClose = closings[0]?.detail.agentId as string | null;
      if (holderAtClose) expect(h.eventsOf(holderAtClose)).toContainEqual({ type: 'chatClosed', chatId, reason: 'supervisor' });
      if (moved.status === 'fulfilled' && !moved.value.ok) expect(moved.value.code).toBe('chat_closed');
    }
  }, 120_000);

  it('lets two supervisors moving one all-agents chat to different agents at once leave it with exactly one of them', async () => {
    const h = await harness();
    for (let round = 0; round < 15; round++) {
      const chatId = await h.customerWrites('sales');
      expect((await h.chats.chat(chatId))?.offeredTo.sort()).toEqual(['ann', 'bob', 'cid']);
      const results = await Promise.all([h.dispatcher.reassign(chatId, { agentId: 'bob' }, 's1'), h.dispatcher.reassign(chatId, { agentId: 'cid' }, 's2')]);
      expect(results.some((r) => r.ok)).toBe(true);
      const s = await snapshot(h);
      expectConsistent(s);
      const chat = s.chats.find((c) => c.id === chatId);
      expect(chat?.state).toBe('offered');
      expect(chat?.offeredTo).toHaveLength(1);
      expect(s.offers.filter((o) => o.chatId === chatId).map((o) => o.agentId)).toEqual(chat?.offeredTo);
      expect(await h.dispatcher.close(chatId, 'supervisor')).toEqual({ ok: true });
    }
  }, 120_000);

  it('keeps the offer a named agent holds already, and turns it into the chat itself when forced, the other offers withdrawn', async () => {
    const h = await harness();
    const chatId = await h.customerWrites('sales');
    expect((await h.chats.chat(chatId))?.offeredTo.sort()).toEqual(['ann', 'bob', 'cid']);
    expect(await h.dispatcher.reassign(chatId, { agentId: 'bob' }, 'sup')).toMatchObject({ ok: true, chat: { state: 'offered', offeredTo: ['bob'] } });
    for (const other of ['ann', 'cid']) expect(h.eventsOf(other)).toContainEqual({ type: 'offerWithdrawn', chatId, reason: 'transfer' });
    let s = await snapshot(h);
    expectConsistent(s);
    expect(s.agents.map((a) => [a.id, a.load]).sort()).toEqual([['ann', 0], ['bob', 1], ['cid', 0]]);
    // the kept offer still times out: its timer carries the chat's new version
    const timer = h.timers.armed.get(`accept-${chatId}-bob`);
    expect(timer?.payload).toMatchObject({ version: (await h.chats.chat(chatId))?.version });
    // forced onto bob, who holds the offer: the offer becomes the chat, bob's load stays one
    expect(await h.dispatcher.reassign(chatId, { agentId: 'bob', force: true }, 'sup')).toMatchObject({ ok: true, chat: { state: 'assigned', agentId: 'bob' } });
    s = await snapshot(h);
    expectConsistent(s);
    expect(s.agents.map((a) => [a.id, a.load]).sort()).toEqual([['ann', 0], ['bob', 1], ['cid', 0]]);
    expect(s.offers).toEqual([]);
  }, 60_000);

  it('assigns beyond capacity only when forced, moves a held chat to another queue, and refuses closed chats and offline agents', async () => {
    const h = await routingHarness({ simultaneousChats: 1 });
    await h.queue({ id: 'support', routingRule: 'available-agent', members: { users: ['ann'], groups: [] } });
    await h.queue({ id: 'billing', routingRule: 'available-agent', members: { users: ['bob'], groups: [] } });
    await h.agent('ann', { connected: true, groups: [] });
    await h.agent('bob', { connected: true, groups: [] });
    await h.agent('dee', { groups: [] });
    const held = await h.customerWrites('support');
    await h.dispatcher.accept('ann', held);
    const second = await h.customerWrites('support');
    expect(await h.chats.chat(second)).toMatchObject({ state: 'waiting' });
    // ann is full: an offer is refused, a forced assignment lands
    expect(await h.dispatcher.reassign(second, { agentId: 'ann' }, 'sup')).toEqual({ ok: false, code: 'agent_unavailable' });
    expect(await h.dispatcher.reassign(second, { agentId: 'dee', force: true }, 'sup')).toEqual({ ok: false, code: 'agent_unavailable' });
    const forced = await h.dispatcher.reassign(second, { agentId: 'ann', force: true }, 'sup');
    expect(forced).toMatchObject({ ok: true, chat: { state: 'assigned', agentId: 'ann' } });
    expect((await h.store.agent('ann'))?.load).toBe(2);
    expect(h.eventsOf('ann')).toContainEqual(expect.objectContaining({ type: 'chatAssigned', chat: expect.objectContaining({ id: second }) }));
    // to another queue: bob there gets it offered, ann is told it went
    const toQueue = await h.dispatcher.reassign(held, { queueId: 'billing' }, 'sup');
    expect(toQueue.ok).toBe(true);
    expect(await h.chats.chat(held)).toMatchObject({ state: 'offered', queueId: 'billing', offeredTo: ['bob'] });
    expect(h.eventsOf('ann')).toContainEqual({ type: 'chatClosed', chatId: held, reason: 'transfer' });
    expect(h.events.published).toContainEqual({
      detailType: 'ChatReassigned',
      detail: expect.objectContaining({ chatId: held, fromAgentId: 'ann', toAgentId: null, toQueueId: 'billing', forced: false, by: 'sup' }),
    });
    expect(await h.dispatcher.reassign(held, { queueId: 'nowhere' }, 'sup')).toEqual({ ok: false, code: 'queue_not_found' });
    await h.dispatcher.close(second, 'supervisor');
    expect(await h.dispatcher.reassign(second, { agentId: 'bob' }, 'sup')).toEqual({ ok: false, code: 'chat_closed' });
    expectConsistent(await snapshot(h));
  }, 60_000);

  it('shows the live view from the agent records, waiting indexes and offers, with since when each status holds', async () => {
    const h = await harness(1);
    const supervision = new Supervision({ dispatcher: h.dispatcher, store: h.store, directory: h.directory, chats: h.chats, clock: h.clock });
    const a = await h.customerWrites('support');
    await h.dispatcher.accept((await h.chats.chat(a))?.offeredTo[0] ?? '', a);
    await h.customerWrites('support');
    await h.customerWrites('support');
    h.advance(30);
    await h.customerWrites('support');
    await h.dispatcher.setPresence('cid', 'inactive', 'supervisor');
    h.advance(12);
    const live = await supervision.live();
    const support = live.queues.find((q) => q.queueId === 'support');
    // one held, two offered (ann, bob and cid take one chat each), one waiting; cid went inactive holding its offer
    expect(support).toMatchObject({ offersPending: 2, waiting: 1, agents: { active: 2, inactive: 1, offline: 0 }, load: 3 });
    // the oldest chat not taken came 42 s ago, less the harness's millisecond per arrival: whole seconds, rounded down
    expect(support?.oldestWaitSeconds).toBe(41);
    const cid = live.agents.find((x) => x.agentId === 'cid');
    expect(cid).toMatchObject({ status: 'inactive', statusSince: new Date(h.clock().getTime() - 12_000).toISOString() });
    expect(live.agents.reduce((n, x) => n + x.chatsHeld, 0)).toBe(1);
    expect(h.eventsOf('cid')).toContainEqual({ type: 'statusChanged', status: 'inactive', reason: 'supervisor' });
  }, 60_000);
});
