import { randomUUID } from 'node:crypto';
import type { TransactItem } from '../../functions/adapters/dynamodb/table';
import { routingHarness, type RoutingHarness } from '../support/routing-harness';

/**
 * A routing decision under available-agent is two conditional writes (the agent, then the chat),
 * not one transaction. These are the decisions that stop between the two, on DynamoDB Local: the
 * agent holds an offer the chat does not list, and it must be finished once or taken back, never
 * counted twice or kept.
 */

/** Makes the chat's write of the next decision fail (as a reset connection or a Lambda timeout would), or wait for `gate`. */
function breakChatWrite(h: RoutingHarness, how: { gate?: Promise<void> } = {}): { reached: Promise<void> } {
  const original = h.table.write.bind(h.table);
  let reachedNow = () => {};
  const reached = new Promise<void>((resolve) => (reachedNow = resolve));
  let armed = true;
  h.table.write = async (item: TransactItem) => {
    const key = item.Update?.Key as { sk?: string } | undefined;
    if (armed && key?.sk === 'CHAT' && Object.values(item.Update?.ExpressionAttributeNames ?? {}).includes('offeredTo')) {
      armed = false;
      reachedNow();
      if (!how.gate) throw Object.assign(new Error('socket hang up'), { name: 'ECONNRESET' });
      await how.gate;
    }
    return original(item);
  };
  return { reached };
}

/** Ann alone in a queue, and a decision offering her a new chat that stopped (a reset connection) after her offer was written. */
async function halfMadeDecision(): Promise<{ h: RoutingHarness; chatId: string }> {
  const h = await routingHarness();
  await h.queue({ id: 'support' });
  await h.agent('ann', { connected: true });
  const chatId = randomUUID();
  breakChatWrite(h);
  await expect(h.customerWrites('support', undefined, chatId)).rejects.toThrow('socket hang up');
  return { h, chatId };
}

/** Ann alone in a queue, and a decision offering her a new chat that waits, her offer written, before writing the chat. */
async function stalledDecision(): Promise<{ h: RoutingHarness; chatId: string; release: () => void; deciding: Promise<string> }> {
  const h = await routingHarness();
  await h.queue({ id: 'support' });
  await h.agent('ann', { connected: true });
  const chatId = randomUUID();
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const { reached } = breakChatWrite(h, { gate });
  const deciding = h.customerWrites('support', undefined, chatId);
  await reached;
  return { h, chatId, release, deciding };
}

function acceptTimer(h: RoutingHarness, chatId: string, agentId: string): number {
  const timer = h.timers.armed.get(`accept-${chatId}-${agentId}`);
  if (timer?.payload.kind !== 'acceptTimeout') throw new Error(`no accept timer for ${agentId}`);
  return timer.payload.version;
}

describe('a routing decision stopped between its two writes, against DynamoDB Local', () => {
  it('is finished by the same decision again, the agent counted once', async () => {
    const { h, chatId } = await halfMadeDecision();
    // the agent holds it, the chat does not list it, nobody was told
    expect(Object.keys((await h.store.agent('ann'))?.offers ?? {})).toEqual([chatId]);
    expect((await h.store.agent('ann'))?.load).toBe(1);
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'waiting', offeredTo: [] });
    expect(h.offersTo('ann')).toEqual([]);
    // when: the queue is routed again (the router's retry, or any agent becoming ready)
    await h.dispatcher.routeQueue('support');
    // then
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'offered', offeredTo: ['ann'] });
    expect(h.offersTo('ann')).toEqual([chatId]);
    expect((await h.store.agent('ann'))?.load).toBe(1);
    expect(await h.dispatcher.accept('ann', chatId)).toEqual({ ok: true });
    const held = await h.store.agent('ann');
    expect(held?.load).toBe(1);
    expect(held?.offers).toBeUndefined();
  });

  it('is taken back by its accept timer when the chat went to another agent, whose own timer still works', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.agent('ann', { connected: true });
    await h.agent('bob', { connected: true });
    const chatId = randomUUID();
    breakChatWrite(h);
    await expect(h.customerWrites('support', undefined, chatId)).rejects.toThrow('socket hang up');
    const halfMade = acceptTimer(h, chatId, 'ann');
    // bob now has fewer chats than ann (whose load counts what she holds) and gets it
    await h.dispatcher.routeQueue('support');
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'offered', offeredTo: ['bob'] });
    expect((await h.store.agent('ann'))?.load).toBe(1);
    // when: ann's timer fires
    await h.dispatcher.acceptTimedOut(chatId, 'ann', halfMade);
    // then: ann holds nothing and stays active (she was never offered it); bob's offer is untouched
    const ann = await h.store.agent('ann');
    expect(ann).toMatchObject({ load: 0, presence: 'active' });
    expect(ann?.offers).toBeUndefined();
    expect(h.eventsOf('ann').filter((e) => e.type === 'offerWithdrawn' || e.type === 'chatOffered')).toEqual([]);
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'offered', offeredTo: ['bob'] });
    await h.dispatcher.acceptTimedOut(chatId, 'bob', acceptTimer(h, chatId, 'bob'));
    expect(h.eventsOf('bob')).toContainEqual({ type: 'offerWithdrawn', chatId, reason: 'timeout' });
    const bob = await h.store.agent('bob');
    expect(bob).toMatchObject({ load: 0, presence: 'inactive' });
    expect(bob?.offers).toBeUndefined();
    // and the chat goes on to ann
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'offered', offeredTo: ['ann'] });
    expect((await h.store.agent('ann'))?.load).toBe(1);
  });

  it('is taken back when the agent goes offline, and the chat waits for the next agent', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.agent('ann');
    await h.dispatcher.connected('ann', 'conn-ann');
    const chatId = randomUUID();
    breakChatWrite(h);
    await expect(h.customerWrites('support', undefined, chatId)).rejects.toThrow('socket hang up');
    // when
    await h.dispatcher.disconnected('conn-ann');
    // then
    const ann = await h.store.agent('ann');
    expect(ann).toMatchObject({ load: 0, connections: 0 });
    expect(ann?.offers).toBeUndefined();
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'waiting', offeredTo: [] });
    await h.agent('bob', { connected: true });
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'offered', offeredTo: ['bob'] });
  });

  it('cannot land once taken back: a decision stalled past its accept timeout offers the chat afresh, counted once', async () => {
    const { h, chatId, release, deciding } = await stalledDecision();
    // the timer fires while the decision waits before writing the chat: what ann held is taken back,
    // the chat's version moved on, and ann, ready again, is offered the chat afresh (against version 2)
    await h.dispatcher.acceptTimedOut(chatId, 'ann', acceptTimer(h, chatId, 'ann'));
    const afresh = await h.chats.chat(chatId);
    expect(afresh).toMatchObject({ state: 'offered', offeredTo: ['ann'], version: 3 });
    expect((await h.store.agent('ann'))?.offers?.[chatId]?.chatVersion).toBe(2);
    // when: the stalled write goes on
    release();
    await deciding;
    // then: it lost (it was for version 1), and took nothing back of the offer made afresh
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'offered', offeredTo: ['ann'], version: 3 });
    const ann = await h.store.agent('ann');
    expect(ann?.load).toBe(1);
    expect(Object.keys(ann?.offers ?? {})).toEqual([chatId]);
    expect(h.offersTo('ann')).toEqual([chatId]);
    expect(acceptTimer(h, chatId, 'ann')).toBe(3);
  });

  it('cannot land once taken back: what the agent held is released while the decision waits, and its chat write then loses', async () => {
    const { h, chatId, release, deciding } = await stalledDecision();
    // when: the offer ann holds is taken back (the chat is still at the version it was made against) …
    await h.store.releaseOffer(chatId, 'ann', await h.directory.settings());
    expect((await h.store.agent('ann'))?.load).toBe(0);
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'waiting', version: 2 });
    // … and only then the decision writes the chat
    release();
    await deciding;
    // then: that write lost; made again, the decision offered the chat once, with its own offer
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'offered', offeredTo: ['ann'], version: 3 });
    const ann = await h.store.agent('ann');
    expect(ann?.load).toBe(1);
    expect(ann?.offers?.[chatId]?.chatVersion).toBe(2);
    expect(h.offersTo('ann')).toEqual([chatId]);
  });

  it('is taken back, not finished, once the agent has stopped taking chats', async () => {
    const { h, chatId } = await halfMadeDecision();
    await h.dispatcher.setPresence('ann', 'inactive');
    // when: the chat is routed again with ann's record in hand (as a decision that read her before)
    const ann = await h.store.agent('ann');
    const chat = await h.chats.chat(chatId);
    if (!ann || !chat) throw new Error('missing');
    const settings = await h.directory.settings();
    const outcome = await h.store.offerChat({ chat, agent: ann, settings, rule: 'available-agent', now: h.clock(), expiresAt: new Date(h.clock().getTime() + 300_000) });
    // then
    expect(outcome).toBe('lost');
    const after = await h.store.agent('ann');
    expect(after).toMatchObject({ load: 0, presence: 'inactive' });
    expect(after?.offers).toBeUndefined();
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'waiting', offeredTo: [] });
  });
});
