import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { AcceptResult } from '../../functions/services/dispatcher';
import { routingHarness, type RoutingHarness } from '../support/routing-harness';
import { type AgentRecord, type Offer, type RoutedChat, agentRecordSchema, offerSchema, routedChatSchema } from '../../functions/domain/model';

/**
 * Routing under concurrency, the way parallel router, socket and timer invocations drive it:
 * many decisions racing on the same agents and chats through conditional transactions. After
 * each storm the table itself is read back and every routing invariant is checked on it.
 */

const membershipItem = z.object({ agentId: z.string(), queueId: z.string(), readyPk: z.string().optional(), load: z.number().optional() });

interface Snapshot {
  agents: AgentRecord[];
  chats: RoutedChat[];
  offers: Offer[];
  memberships: z.infer<typeof membershipItem>[];
}

async function snapshot(h: RoutingHarness): Promise<Snapshot> {
  const out: Snapshot = { agents: [], chats: [], offers: [], memberships: [] };
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

function able(agent: AgentRecord, capacity: number): boolean {
  return agent.presence === 'active' && agent.connections > 0 && agent.load < (agent.simultaneousChats ?? capacity);
}

/** Every invariant that must hold in the table whatever the interleaving. */
function expectConsistent(s: Snapshot, capacity: number): void {
  for (const agent of s.agents) {
    const offers = s.offers.filter((o) => o.agentId === agent.id).length;
    const assigned = s.chats.filter((c) => c.state === 'assigned' && c.agentId === agent.id).length;
    expect({ agent: agent.id, load: agent.load }).toEqual({ agent: agent.id, load: offers + assigned });
    expect(agent.load).toBeLessThanOrEqual(agent.simultaneousChats ?? capacity);
    // the ready index lists the agent exactly while they can take a chat, with their current load
    for (const m of s.memberships.filter((x) => x.agentId === agent.id)) {
      expect({ agent: agent.id, queue: m.queueId, ready: m.readyPk !== undefined, load: m.load ?? agent.load }).toEqual({
        agent: agent.id,
        queue: m.queueId,
        ready: able(agent, capacity),
        load: agent.load,
      });
    }
  }
  for (const chat of s.chats) {
    const offeredTo = s.offers.filter((o) => o.chatId === chat.id).map((o) => o.agentId).sort();
    if (chat.state === 'assigned') expect({ chat: chat.id, agentId: typeof chat.agentId, offeredTo }).toEqual({ chat: chat.id, agentId: 'string', offeredTo: [] });
    else if (chat.state === 'offered') expect({ chat: chat.id, offeredTo }).toEqual({ chat: chat.id, offeredTo: [...chat.offeredTo].sort() });
    else if (chat.state === 'closed') expect({ chat: chat.id, offeredTo }).toEqual({ chat: chat.id, offeredTo: [] });
    else expect({ chat: chat.id, state: chat.state, agentId: chat.agentId, offeredTo }).toEqual({ chat: chat.id, state: chat.state, agentId: null, offeredTo: [] });
  }
}

/** After a final drain: no chat waits while a member of its queue could take it. */
function expectNothingStranded(s: Snapshot, capacity: number): void {
  for (const chat of s.chats.filter((c) => c.state === 'waiting')) {
    const couldTake = s.agents.filter((a) => a.queues.includes(chat.queueId ?? '') && able(a, capacity)).map((a) => a.id);
    expect({ chat: chat.id, couldTake }).toEqual({ chat: chat.id, couldTake: [] });
  }
}

function offerTimer(h: RoutingHarness, chatId: string, agentId: string): number | undefined {
  const timer = h.timers.armed.get(`accept-${chatId}-${agentId}`);
  return timer?.payload.kind === 'acceptTimeout' ? timer.payload.version : undefined;
}

describe('routing under concurrent invocations, read back from DynamoDB Local', () => {
  it('Rocket.Chat #37776, an agent over capacity under a race: keeps capacity, single ownership and the queues consistent through 200 simultaneous chats, racing accepts and timeouts', async () => {
    // given 20 connected agents of capacity 2: 8 only in the available-agent queue, 8 only in the all-agents one, 4 in both
    const capacity = 2;
    const h = await routingHarness({ simultaneousChats: capacity });
    const ids = Array.from({ length: 20 }, (_, i) => `agent-${String(i).padStart(2, '0')}`);
    await h.queue({ id: 'support', routingRule: 'available-agent', members: { users: ids.slice(0, 12), groups: [] } });
    await h.queue({ id: 'sales', routingRule: 'all-agents', members: { users: ids.slice(8), groups: [] } });
    await Promise.all(ids.map((id) => h.agent(id, { connected: true, groups: [] })));

    // when 200 customers write at once (parallel router invocations); every drain of an all-agents queue
    // walks all its listed chats, so that queue gets a quarter of them
    const chatIds = await Promise.all(Array.from({ length: 200 }, (_, i) => h.customerWrites(i % 4 ? 'support' : 'sales')));
    // then
    const afterArrivals = await snapshot(h);
    expectConsistent(afterArrivals, capacity);
    expect(afterArrivals.chats).toHaveLength(200);
    expect(afterArrivals.offers.length).toBeGreaterThan(0);

    // when every agent accepts every offer they hold, all at once (several agents on each all-agents chat)
    const wins = new Map<string, number>();
    const count = (chatId: string, r: AcceptResult) => {
      if (r.ok) wins.set(chatId, (wins.get(chatId) ?? 0) + 1);
    };
    await Promise.all(afterArrivals.offers.map(async (o) => count(o.chatId, await h.dispatcher.accept(o.agentId, o.chatId))));
    expectConsistent(await snapshot(h), capacity);

    // when the offers made since then meet their timeouts while accepts land: each available-agent offer
    // is both accepted and timed out at once, every all-agents offer is accepted
    const pending = (await snapshot(h)).offers;
    await Promise.all(
      pending.map(async (o) => {
        const version = offerTimer(h, o.chatId, o.agentId);
        const accepting = h.dispatcher.accept(o.agentId, o.chatId).then((r) => count(o.chatId, r));
        await Promise.all([accepting, version === undefined ? undefined : h.dispatcher.acceptTimedOut(o.chatId, o.agentId, version)]);
      }),
    );
    // agents made inactive by a timeout come back, then a final drain of both queues
    const afterTimeouts = await snapshot(h);
    expectConsistent(afterTimeouts, capacity);
    for (const a of afterTimeouts.agents.filter((x) => x.presence === 'inactive')) await h.dispatcher.setPresence(a.id, 'active');
    await h.dispatcher.routeQueue('support');
    await h.dispatcher.routeQueue('sales');

    // then
    const end = await snapshot(h);
    expectConsistent(end, capacity);
    expectNothingStranded(end, capacity);
    for (const chat of end.chats) expect({ chat: chat.id, wins: wins.get(chat.id) ?? 0 }).toEqual({ chat: chat.id, wins: chat.state === 'assigned' ? 1 : 0 });
    expect(end.chats.filter((c) => c.state === 'assigned').length).toBeGreaterThan(0);
    expect(new Set(chatIds).size).toBe(200);
  }, 300_000);

  it('Rocket.Chat #22206, one chat taken by two agents: lets exactly one of three agents win an all-agents chat they all accept at once, twenty times over', async () => {
    const h = await routingHarness({ simultaneousChats: 1 });
    await h.queue({ id: 'sales', routingRule: 'all-agents' });
    const agents = ['ann', 'bob', 'cid'];
    for (const id of agents) await h.agent(id, { connected: true });
    for (let round = 0; round < 20; round++) {
      // given a chat offered to all three
      const chatId = await h.customerWrites('sales');
      expect((await h.chats.chat(chatId))?.offeredTo.sort()).toEqual(agents);
      // when
      const results = await Promise.all(agents.map((a) => h.dispatcher.accept(a, chatId)));
      // then
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const winner = agents[results.findIndex((r) => r.ok)] ?? '';
      expect(await h.chats.chat(chatId)).toMatchObject({ state: 'assigned', agentId: winner });
      const s = await snapshot(h);
      expectConsistent(s, 1);
      expect(s.offers).toEqual([]);
      expect(s.agents.map((a) => [a.id, a.load]).sort()).toEqual(agents.map((a) => [a, a === winner ? 1 : 0]));
      // the winner closes, so the next round starts from the same place
      expect(await h.dispatcher.close(chatId, 'agent', winner)).toEqual({ ok: true });
    }
  }, 60_000);
});

describe('routing defects found by the model, fixed', () => {
  // dispatcher.acceptTimedOut withdraws (and re-routes) before making the agent inactive, so the
  // agent who let the offer expire can be offered the same chat again and then sit on it inactive.
  it('makes an agent who let an offer expire inactive before the chat is routed again, so a newly connected agent gets it', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.agent('ann', { connected: true });
    await h.agent('bob');
    const chatId = await h.customerWrites('support');
    const version = offerTimer(h, chatId, 'ann');
    // when ann lets it expire, then bob connects
    await h.dispatcher.acceptTimedOut(chatId, 'ann', version ?? -1);
    await h.dispatcher.connected('bob', 'bob-1');
    // then
    expect(await h.store.offersOf('ann')).toEqual([]);
    expect(h.offersTo('bob')).toEqual([chatId]);
  });

  // dispatcher.routeQueue re-reads the first page (25) of the waiting index on every pass and stops
  // when it holds only chats it has seen; all-agents offers stay in that index, so a chat behind 25
  // offered ones is never looked at.
  it('offers an all-agents chat that waits behind 25 offered ones to an agent with room for it', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'sales', routingRule: 'all-agents' });
    await h.agent('ann', { connected: true, simultaneousChats: 27 });
    for (let i = 0; i < 25; i++) await h.customerWrites('sales');
    await h.dispatcher.setPresence('ann', 'inactive');
    const late = [await h.customerWrites('sales'), await h.customerWrites('sales')];
    // when
    await h.dispatcher.setPresence('ann', 'active');
    // then
    expect(h.offersTo('ann')).toEqual(expect.arrayContaining(late));
  });
});
