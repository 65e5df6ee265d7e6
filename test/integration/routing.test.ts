import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { invocationRoutingPasses, withInvocationMemo } from '../../functions/adapters/invocation-memo';
import { ownPassSeconds } from '../../functions/domain/routing';
import { routingHarness, type RoutingHarness } from '../support/routing-harness';

/** Every item of a chat's partition (the chat, its messages, any offer item of its own). */
async function chatPartition(h: RoutingHarness, chatId: string): Promise<string[]> {
  const found = await h.table.client.send(new QueryCommand({ TableName: h.table.name, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `CHAT#${chatId}` }, ConsistentRead: true }));
  return (found.Items ?? []).map((i) => String(i.sk));
}

/** Turns an agent's pending offer into the offer item of earlier versions: a table written before offers were kept with the agent. */
async function asOfferItem(h: RoutingHarness, agentId: string, chatId: string): Promise<void> {
  const agent = await h.table.client.send(new GetCommand({ TableName: h.table.name, Key: { pk: `AGENT#${agentId}`, sk: 'AGENT' }, ConsistentRead: true }));
  const offer = (agent.Item?.offers as Record<string, { offeredAt: string; expiresAt?: string }>)[chatId];
  expect(offer).toBeDefined();
  await h.table.client.send(new UpdateCommand({ TableName: h.table.name, Key: { pk: `AGENT#${agentId}`, sk: 'AGENT' }, UpdateExpression: 'REMOVE offers.#c', ExpressionAttributeNames: { '#c': chatId } }));
  await h.table.client.send(
    new PutCommand({
      TableName: h.table.name,
      Item: { pk: `CHAT#${chatId}`, sk: `OFFER#${agentId}`, chatId, agentId, ...offer, agentPk: `AGENT#${agentId}`, agentSk: `OFFER#${chatId}` },
    }),
  );
}

describe('routing against DynamoDB Local', () => {
  it('offers a new chat to the connected agent with the fewest chats, with an expiry and an accept timer', async () => {
    // given
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.agent('ann', { connected: true });
    await h.agent('bob', { connected: true });
    await h.customerWrites('support');
    // when
    const chatId = await h.customerWrites('support');
    // then: the first chat went to ann (never took one, id order), the second to bob (fewer chats)
    expect(h.offersTo('bob')).toEqual([chatId]);
    const offered = h.eventsOf('bob').find((e) => e.type === 'chatOffered');
    expect(offered && 'expiresAt' in offered && offered.expiresAt).toBe('2026-03-01T09:05:00.000Z');
    expect([...h.timers.armed.keys()]).toContain(`accept-${chatId}-bob`);
  });

  it('assigns the chat on accept and refuses a second accept with offer_gone', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.agent('ann', { connected: true });
    const chatId = await h.customerWrites('support');
    // when
    const first = await h.dispatcher.accept('ann', chatId);
    const again = await h.dispatcher.accept('ann', chatId);
    // then
    expect(first).toEqual({ ok: true });
    expect(again).toEqual({ ok: false, code: 'offer_gone' });
    const chat = await h.chats.chat(chatId);
    expect(chat).toMatchObject({ state: 'assigned', agentId: 'ann' });
    expect(h.eventsOf('ann').map((e) => e.type)).toEqual(['statusChanged', 'chatOffered', 'chatAssigned']);
    // the accept timer is not disarmed: when it fires (even twice) it finds the offer gone and changes nothing
    const timer = h.timers.armed.get(`accept-${chatId}-ann`);
    expect(timer?.payload.kind).toBe('acceptTimeout');
    if (timer?.payload.kind === 'acceptTimeout') {
      await h.dispatcher.acceptTimedOut(chatId, 'ann', timer.payload.version);
      await h.dispatcher.acceptTimedOut(chatId, 'ann', timer.payload.version);
    }
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'assigned', agentId: 'ann' });
    expect(h.eventsOf('ann').map((e) => e.type)).toEqual(['statusChanged', 'chatOffered', 'chatAssigned']);
  });

  it('keeps a chat waiting while the only agent is at capacity, and offers it when a chat closes', async () => {
    const h = await routingHarness({ simultaneousChats: 1 });
    await h.queue({ id: 'support' });
    await h.agent('ann', { connected: true });
    const first = await h.customerWrites('support');
    await h.dispatcher.accept('ann', first);
    const second = await h.customerWrites('support');
    expect(h.offersTo('ann')).toEqual([first]);
    expect((await h.chats.chat(second))?.state).toBe('waiting');
    // when
    await h.dispatcher.close(first, 'agent', 'ann');
    // then
    expect(h.offersTo('ann')).toEqual([first, second]);
    expect((await h.store.agent('ann'))?.load).toBe(1);
  });

  it('a new chat with every agent busy reads the ready list and not the waiting head; with an agent free, the oldest waiting chat still goes first', async () => {
    const h = await routingHarness({ simultaneousChats: 1 });
    await h.queue({ id: 'support' });
    await h.agent('ann', { connected: true });
    const first = await h.customerWrites('support', 'Zoë 🇵🇹');
    await h.dispatcher.accept('ann', first);
    const waitingReads = jest.spyOn(h.store, 'waitingChats');
    const readyReads = jest.spyOn(h.store, 'readyCandidates');
    // when two more customers write while ann is full
    const older = await h.customerWrites('support', 'Мария');
    const younger = await h.customerWrites('support', '佐藤');
    // then each read the ready list once, found nobody, and left the waiting head unread
    expect(readyReads).toHaveBeenCalledTimes(2);
    expect(waitingReads).not.toHaveBeenCalled();
    expect((await h.chats.chat(older))?.state).toBe('waiting');
    expect((await h.chats.chat(younger))?.state).toBe('waiting');
    // when bob connects with room for one
    await h.agent('bob', { connected: true });
    // then the oldest waiting chat went to bob, not a younger one, and the next customer waits behind the younger
    expect(h.offersTo('bob')).toEqual([older]);
    const youngest = await h.customerWrites('support', 'Ahmed 🙏');
    expect((await h.chats.chat(youngest))?.state).toBe('waiting');
    await h.dispatcher.close(first, 'agent', 'ann');
    expect(h.offersTo('ann')).toEqual([first, younger]);
    waitingReads.mockRestore();
    readyReads.mockRestore();
  });

  it('ten customers writing in one invocation: their passes are joined, each chat is offered once to its own agent and no decision is lost', async () => {
    const h = await routingHarness({}, { passes: invocationRoutingPasses });
    await h.queue({ id: 'support' });
    const agents = Array.from({ length: 10 }, (_, i) => `agent-${i}`);
    for (const id of agents) await h.agent(id, { connected: true });
    const customers = ['Zoë 😀', 'Мария', '佐藤 🙏', 'أحمد', 'דנה', 'Ngozi', 'Søren', 'Łucja', 'राहुल', 'Chloé 🇫🇷'];
    // when: as the router's batch does, every record at once
    const chatIds = await withInvocationMemo(() => Promise.all(customers.map((c) => h.customerWrites('support', c))));
    // then
    const offered = agents.map((a) => h.offersTo(a));
    expect(offered.every((o) => o.length === 1)).toBe(true);
    expect(new Set(offered.flat())).toEqual(new Set(chatIds));
    // one accept timer per decision: a decision that lost a race would have armed one more
    expect(h.timers.all.filter((t) => t.payload.kind === 'acceptTimeout')).toHaveLength(10);
    for (const id of chatIds) expect((await h.chats.chat(id))?.state).toBe('offered');
  });

  it('a new chat\'s pass leaves a chat another router opened moments ago to that router, and offers it first once it has waited its window', async () => {
    const h = await routingHarness({ simultaneousChats: 2 });
    await h.queue({ id: 'support' });
    await h.agent('ann', { connected: true });
    // another router has just opened Мария's chat and is about to offer it
    const theirs = await h.customerWrites('support', 'Мария', undefined, false);
    // when Zoë writes through this router at the same moment
    const mine = await h.customerWrites('support', 'Zoë 😀');
    // then this pass offered its own chat and left the other to its router: they do not race for it
    expect(h.offersTo('ann')).toEqual([mine]);
    expect((await h.chats.chat(theirs))?.state).toBe('waiting');
    // when that router never offers it (it stopped) and 佐藤 writes after the window
    h.advance(ownPassSeconds);
    const later = await h.customerWrites('support', '佐藤 🙏');
    // then the chat that waited goes first, and the younger waits behind it (ann holds two)
    expect(h.offersTo('ann')).toEqual([mine, theirs]);
    expect((await h.chats.chat(later))?.state).toBe('waiting');
  });

  it('an agent who connects to many waiting chats is offered them from one read of the ready list', async () => {
    const h = await routingHarness({ simultaneousChats: 3 });
    await h.queue({ id: 'support' });
    await h.agent('ann');
    await h.agent('bob');
    const waiting = [];
    for (const customer of ['Zoë 😀', 'Мария', '佐藤 🙏', 'أحمد', 'דנה']) waiting.push(await h.customerWrites('support', customer));
    await h.dispatcher.connected('bob', 'conn-bob');
    const readyReads = jest.spyOn(h.store, 'readyCandidates');
    // when ann connects, with bob holding three offers and ann room for three
    await h.dispatcher.connected('ann', 'conn-ann');
    // then ann got the two chats left, and the pass read the ready list once, learning each offer as it wrote it
    expect(h.offersTo('bob')).toEqual(waiting.slice(0, 3));
    expect(h.offersTo('ann')).toEqual(waiting.slice(3));
    expect(readyReads).toHaveBeenCalledTimes(1);
    readyReads.mockRestore();
  });

  it('offers waiting chats oldest first when an agent connects', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.agent('ann');
    const older = await h.customerWrites('support');
    const younger = await h.customerWrites('support');
    const youngest = await h.customerWrites('support');
    // when
    await h.dispatcher.connected('ann', 'conn-1');
    // then: capacity 2, so the two oldest
    expect(h.offersTo('ann')).toEqual([older, younger]);
    expect((await h.chats.chat(youngest))?.state).toBe('waiting');
  });

  it('under all-agents lets exactly one of three simultaneous accepts win and withdraws the others as taken', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'sales', routingRule: 'all-agents' });
    for (const id of ['ann', 'bob', 'cid']) await h.agent(id, { connected: true });
    const chatId = await h.customerWrites('sales');
    expect(['ann', 'bob', 'cid'].map((a) => h.offersTo(a))).toEqual([[chatId], [chatId], [chatId]]);
    // when
    const results = await Promise.all(['ann', 'bob', 'cid'].map((a) => h.dispatcher.accept(a, chatId)));
    // then
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    const chat = await h.chats.chat(chatId);
    const winner = chat?.agentId as string;
    const losers = ['ann', 'bob', 'cid'].filter((a) => a !== winner);
    for (const loser of losers) {
      const told = h.eventsOf(loser).filter((e) => e.type === 'offerWithdrawn');
      const refused = results[['ann', 'bob', 'cid'].indexOf(loser)];
      // a loser either saw the offer withdrawn as taken, or accepted too late and got offer_gone, or both
      expect(told.length > 0 || (!refused?.ok && refused?.code === 'offer_gone')).toBe(true);
      expect((await h.store.agent(loser))?.load).toBe(0);
      expect(await h.store.offersOf(loser)).toEqual([]);
    }
    expect((await h.store.agent(winner))?.load).toBe(1);
  });

  it('withdraws an unaccepted offer on timeout, makes the agent inactive and offers the chat to the next agent', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.agent('ann', { connected: true });
    await h.agent('bob', { connected: true });
    await h.dispatcher.accept('bob', await h.customerWrites('support')).catch(() => undefined);
    const chatId = await h.customerWrites('support');
    const timedOut = h.offersTo('ann').includes(chatId) ? 'ann' : 'bob';
    const next = timedOut === 'ann' ? 'bob' : 'ann';
    const timer = h.timers.armed.get(`accept-${chatId}-${timedOut}`);
    expect(timer?.payload.kind).toBe('acceptTimeout');
    // when
    if (timer?.payload.kind === 'acceptTimeout') await h.dispatcher.acceptTimedOut(chatId, timedOut, timer.payload.version);
    // then
    expect(h.eventsOf(timedOut)).toEqual(
      expect.arrayContaining([
        { type: 'offerWithdrawn', chatId, reason: 'timeout' },
        { type: 'statusChanged', status: 'inactive', reason: 'accept_timeout' },
      ]),
    );
    expect(h.offersTo(next)).toContain(chatId);
    expect((await h.store.agent(timedOut))?.presence).toBe('inactive');
  });

  it('acts once on an accept timeout delivered twice at the same moment (the timer queue delivers at least once)', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.agent('ann', { connected: true });
    await h.agent('bob', { connected: true });
    const chatId = await h.customerWrites('support');
    const first = h.offersTo('ann').includes(chatId) ? 'ann' : 'bob';
    const other = first === 'ann' ? 'bob' : 'ann';
    const timer = h.timers.armed.get(`accept-${chatId}-${first}`);
    if (timer?.payload.kind !== 'acceptTimeout') throw new Error('no accept timer armed');
    // when the same timer message is delivered twice, concurrently
    await Promise.all([
      h.dispatcher.acceptTimedOut(chatId, first, timer.payload.version),
      h.dispatcher.acceptTimedOut(chatId, first, timer.payload.version),
    ]);
    // then the offer is withdrawn once, and the chat offered to the next agent once
    expect(h.eventsOf(first).filter((e) => e.type === 'offerWithdrawn')).toEqual([{ type: 'offerWithdrawn', chatId, reason: 'timeout' }]);
    expect(h.offersTo(other)).toEqual([chatId]);
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'offered', offeredTo: [other] });
    expect((await h.store.agent(first))?.load).toBe(0);
    expect((await h.store.agent(other))?.load).toBe(1);
    // and a third, late delivery changes nothing either
    await h.dispatcher.acceptTimedOut(chatId, first, timer.payload.version);
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'offered', offeredTo: [other] });
  });

  it('ignores an accept timeout that fires after the chat was accepted', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.agent('ann', { connected: true });
    const chatId = await h.customerWrites('support');
    const timer = h.timers.armed.get(`accept-${chatId}-ann`);
    await h.dispatcher.accept('ann', chatId);
    // when
    if (timer?.payload.kind === 'acceptTimeout') await h.dispatcher.acceptTimedOut(chatId, 'ann', timer.payload.version);
    // then
    expect((await h.chats.chat(chatId))).toMatchObject({ state: 'assigned', agentId: 'ann' });
    expect((await h.store.agent('ann'))?.presence).toBe('active');
  });

  it('re-routes the pending offers of an agent whose last connection closes, and keeps their accepted chats', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.agent('ann');
    await h.dispatcher.connected('ann', 'ann-1');
    const kept = await h.customerWrites('support');
    await h.dispatcher.accept('ann', kept);
    const pending = await h.customerWrites('support');
    await h.agent('bob', { connected: true });
    // when
    await h.dispatcher.disconnected('ann-1');
    // then
    expect(h.eventsOf('ann')).toContainEqual({ type: 'offerWithdrawn', chatId: pending, reason: 'offline' });
    expect(h.offersTo('bob')).toContain(pending);
    expect(await h.chats.chat(kept)).toMatchObject({ state: 'assigned', agentId: 'ann' });
  });

  it('closes a chat on completion timeout only if no message came since the agent wrote', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support', completionTimeoutSeconds: 60 });
    await h.agent('ann', { connected: true });
    const chatId = await h.customerWrites('support');
    await h.dispatcher.accept('ann', chatId);
    const chat = await h.chats.chat(chatId);
    await h.dispatcher.armCompletion(chat!, 'msg-1', new Date('2026-03-01T09:00:10.000Z'));
    expect(h.timers.armed.get(`complete-${chatId}`)?.at.toISOString()).toBe('2026-03-01T09:01:10.000Z');
    // when a stale token fires, nothing happens; the current one closes the chat
    await h.dispatcher.completionTimedOut(chatId, 'msg-0');
    expect((await h.chats.chat(chatId))?.state).toBe('assigned');
    await h.dispatcher.completionTimedOut(chatId, 'msg-1');
    // then
    expect((await h.chats.chat(chatId))?.state).toBe('closed');
    expect(h.eventsOf('ann')).toContainEqual({ type: 'chatClosed', chatId, reason: 'timeout' });
    expect((await h.store.agent('ann'))?.load).toBe(0);
  });

  it('closes a chat once when its completion timeout is delivered twice at the same moment', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support', completionTimeoutSeconds: 60 });
    await h.agent('ann', { connected: true });
    const chatId = await h.customerWrites('support');
    await h.dispatcher.accept('ann', chatId);
    await h.dispatcher.armCompletion((await h.chats.chat(chatId))!, 'msg-1', new Date('2026-03-01T09:00:10.000Z'));
    // when
    await Promise.all([h.dispatcher.completionTimedOut(chatId, 'msg-1'), h.dispatcher.completionTimedOut(chatId, 'msg-1')]);
    // then
    expect((await h.chats.chat(chatId))?.state).toBe('closed');
    expect(h.eventsOf('ann').filter((e) => e.type === 'chatClosed')).toEqual([{ type: 'chatClosed', chatId, reason: 'timeout' }]);
    expect(h.events.published.filter((e) => e.detailType === 'ChatClosed')).toHaveLength(1);
    expect((await h.store.agent('ann'))?.load).toBe(0);
  });

  it('keeps a chat open when the completion timeout fires after the customer wrote again (nothing is disarmed)', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support', completionTimeoutSeconds: 60 });
    await h.agent('ann', { connected: true });
    const chatId = await h.customerWrites('support');
    await h.dispatcher.accept('ann', chatId);
    await h.dispatcher.armCompletion((await h.chats.chat(chatId))!, 'msg-1', new Date('2026-03-01T09:00:10.000Z'));
    // when the customer writes again (stored as the router stores it), then the timer armed for the agent's message fires
    const reply = { id: 'in-2', chatId, direction: 'in' as const, text: 'ещё вопрос 👍🏽', sentAt: '2026-03-01T09:00:30.000Z', status: 'received' as const };
    expect(await h.chats.append(chatId, { message: reply }, new Date('2026-03-01T09:00:30.000Z'))).toBeTruthy();
    await h.dispatcher.completionTimedOut(chatId, 'msg-1');
    // then
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'assigned', agentId: 'ann' });
  });
});

describe('transfer', () => {
  it('moves a chat to another queue, where that queue routes it', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.queue({ id: 'billing', members: { users: ['bob'], groups: [] } });
    await h.agent('ann', { connected: true });
    await h.agent('bob', { connected: true, groups: ['billing'] });
    const chatId = await h.customerWrites('support');
    await h.dispatcher.accept('ann', chatId);
    // when
    const result = await h.dispatcher.transfer('ann', chatId, { queueId: 'billing' });
    // then
    expect(result).toEqual({ ok: true });
    expect(h.eventsOf('ann')).toContainEqual({ type: 'chatClosed', chatId, reason: 'transfer' });
    expect(h.offersTo('bob')).toEqual([chatId]);
    expect(await h.chats.chat(chatId)).toMatchObject({ queueId: 'billing', state: 'offered' });
    expect((await h.store.agent('ann'))?.load).toBe(0);
  });

  it('offers a chat to a named agent, and refuses when that agent is full', async () => {
    const h = await routingHarness({ simultaneousChats: 1 });
    await h.queue({ id: 'support' });
    await h.agent('ann', { connected: true });
    const chatId = await h.customerWrites('support');
    await h.dispatcher.accept('ann', chatId);
    await h.agent('bob', { connected: true });
    await h.agent('cid', { connected: true });
    const other = await h.customerWrites('support');
    const full = h.offersTo('bob').includes(other) ? 'bob' : 'cid';
    const free = full === 'bob' ? 'cid' : 'bob';
    // when
    const refused = await h.dispatcher.transfer('ann', chatId, { agentId: full });
    const done = await h.dispatcher.transfer('ann', chatId, { agentId: free });
    // then
    expect(refused).toEqual({ ok: false, code: 'agent_unavailable' });
    expect(done).toEqual({ ok: true });
    expect(h.offersTo(free)).toContain(chatId);
    expect(await h.dispatcher.accept(free, chatId)).toEqual({ ok: true });
    expect(await h.chats.chat(chatId)).toMatchObject({ agentId: free, state: 'assigned' });
  });

  it('keeps a pending offer in the agent\'s item, with no item of its own, and forgets it on accept and on withdrawal', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.agent('ann', { connected: true });
    const accepted = await h.customerWrites('support');
    const withdrawn = await h.customerWrites('support');
    // then: both offers are the agent's, each with its expiry; the chats' partitions hold no offer item
    const agent = await h.store.agent('ann');
    expect(agent?.offers).toEqual({
      [accepted]: { offeredAt: '2026-03-01T09:00:00.000Z', expiresAt: '2026-03-01T09:05:00.000Z', chatVersion: 1 },
      [withdrawn]: { offeredAt: '2026-03-01T09:00:00.000Z', expiresAt: '2026-03-01T09:05:00.000Z', chatVersion: 1 },
    });
    expect(agent?.load).toBe(2);
    for (const chatId of [accepted, withdrawn]) expect((await chatPartition(h, chatId)).filter((sk) => sk.startsWith('OFFER#'))).toEqual([]);
    expect((await h.store.offersOf('ann')).map((o) => o.chatId)).toEqual([accepted, withdrawn].sort());
    expect(await h.store.offer(withdrawn, 'ann')).toEqual({ chatId: withdrawn, agentId: 'ann', offeredAt: '2026-03-01T09:00:00.000Z', expiresAt: '2026-03-01T09:05:00.000Z' });
    // when
    expect(await h.dispatcher.accept('ann', accepted)).toEqual({ ok: true });
    const timer = h.timers.armed.get(`accept-${withdrawn}-ann`);
    if (timer?.payload.kind !== 'acceptTimeout') throw new Error('no accept timer');
    await h.dispatcher.acceptTimedOut(withdrawn, 'ann', timer.payload.version);
    // then: no offer is left, and the load is the one chat held
    const after = await h.store.agent('ann');
    expect(after?.offers).toBeUndefined();
    expect(after?.load).toBe(1);
    expect(await h.store.offersOf('ann')).toEqual([]);
    expect(await h.chats.chat(withdrawn)).toMatchObject({ state: 'waiting', offeredTo: [], skipped: ['ann'] });
  });

  it('accepts, withdraws and lists an offer left as an item of its own by an earlier version, beside offers kept with the agent', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.queue({ id: 'sales', routingRule: 'all-agents' });
    await h.agent('ann', { simultaneousChats: 3 });
    await h.dispatcher.connected('ann', 'conn-ann');
    const old = await h.customerWrites('support');
    const oldToo = await h.customerWrites('sales');
    await asOfferItem(h, 'ann', old);
    await asOfferItem(h, 'ann', oldToo);
    const fresh = await h.customerWrites('sales');
    // then: all three are listed and found, one way or the other
    expect((await h.store.offersOf('ann')).map((o) => o.chatId)).toEqual([old, oldToo, fresh].sort());
    expect(await h.store.offer(old, 'ann')).toMatchObject({ chatId: old, agentId: 'ann', expiresAt: '2026-03-01T09:05:00.000Z' });
    expect(Object.keys((await h.store.agent('ann'))?.offers ?? {})).toEqual([fresh]);
    // when: the old offer is accepted, the other old one withdrawn as the agent goes offline
    expect(await h.dispatcher.accept('ann', old)).toEqual({ ok: true });
    expect((await chatPartition(h, old)).filter((sk) => sk.startsWith('OFFER#'))).toEqual([]);
    await h.dispatcher.disconnected('conn-ann');
    // then
    expect(await h.store.offersOf('ann')).toEqual([]);
    expect((await chatPartition(h, oldToo)).filter((sk) => sk.startsWith('OFFER#'))).toEqual([]);
    expect(await h.chats.chat(old)).toMatchObject({ state: 'assigned', agentId: 'ann' });
    for (const chatId of [oldToo, fresh]) expect(await h.chats.chat(chatId)).toMatchObject({ state: 'waiting', offeredTo: [] });
    expect((await h.store.agent('ann'))?.load).toBe(1);
  });
});
