import * as z from 'zod';
import { DynamoAdminStore } from '../../functions/adapters/dynamodb/admin-store';
import { keys } from '../../functions/adapters/dynamodb/keys';
import { reshard } from '../../functions/adapters/dynamodb/reshard';
import { routingHarness } from '../support/routing-harness';

const anyItem = z.object({ pk: z.string(), sk: z.string() }).passthrough();

describe('moving items written before the index partitions were sharded', () => {
  it('puts chats, waiting chats, ready memberships and channel entries into their shards and lists agents by their entry, once', async () => {
    // given a waiting chat in q1 and ann ready in q2, as the sharded keys write them
    const h = await routingHarness();
    const { table, store, directory } = h;
    const admin = new DynamoAdminStore(table);
    await h.queue({ id: 'q1', members: { users: [], groups: ['nobody'] } });
    await h.queue({ id: 'q2', members: { users: [], groups: ['team-2'] } });
    await h.agent('ann-😀', { connected: true, groups: ['team-2'] });
    await table.put({ pk: 'CHANNEL#channel-1', sk: 'CHANNEL', id: 'channel-1', kindPk: 'CHANNEL', kindSk: '2026-01-01T00:00:00.000Z#channel-1' });
    const chatId = await h.customerWrites('q1', 'Zoë 🇵🇹');
    expect((await store.readyCandidates('q2', 5)).map((c) => c.agentId)).toEqual(['ann-😀']);
    const agent = await directory.agentItem('ann-😀');

    // and the same items as the unsharded layout wrote them
    const chatKey = keys.chat(chatId);
    const chat = await table.get(anyItem, chatKey.pk, chatKey.sk, true);
    await table.put({ ...chat, kindPk: 'CHATS#waiting', waitPk: 'WAIT#q1', channelPk: 'CHANNEL#channel-1', channelSk: `${String(chat?.createdAt)}#${chatId}` });
    // earlier versions listed a channel's chats in byChannel and wrote no CHATS item
    await table.delete(keys.channelChats('channel-1').pk, keys.channelChats('channel-1').sk);
    const memberKey = keys.membership('ann-😀', 'q2');
    const member = await table.get(anyItem, memberKey.pk, memberKey.sk, true);
    await table.put({ ...member, readyPk: 'READY#q2' });
    const agentKey = keys.agent('ann-😀');
    await table.put({ ...(await table.get(anyItem, agentKey.pk, agentKey.sk, true)), kindPk: 'AGENT', kindSk: `${agent?.createdAt}#ann-😀` });
    await table.delete(keys.agentListing('ann-😀').pk, keys.agentListing('ann-😀').sk);
    expect((await store.readyCandidates('q2', 5)).length).toBe(0);
    expect((await store.waitingChats('q1', 10)).items.length).toBe(0);
    expect(await admin.channelHasChats('channel-1')).toBe(false);

    // when
    const first = await reshard(table);
    const again = await reshard(table);

    // then every list finds them again, and a second run has nothing to move
    expect(first.moved).toBe(5);
    expect(again.moved).toBe(0);
    expect((await store.readyCandidates('q2', 5)).map((c) => c.agentId)).toEqual(['ann-😀']);
    expect((await store.waitingChats('q1', 10)).items.map((c) => c.id)).toEqual([chatId]);
    expect((await admin.chatsInState('waiting', {}, { limit: 10 })).items.map((c) => c.id)).toEqual([chatId]);
    expect(await admin.channelHasChats('channel-1')).toBe(true);
    expect((await directory.listAgentItems()).map((a) => a.id)).toEqual(['ann-😀']);
    const agentAfter = await table.get(anyItem, agentKey.pk, agentKey.sk, true);
    expect(agentAfter?.kindPk).toBeUndefined();
  });
});
