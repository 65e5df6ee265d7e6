import * as z from 'zod/mini';
import { chatStates } from '../../domain/model';
import { table as shape } from '../../shared/resources';
import { indexKeys, keys } from './keys';
import { agentListingItem } from './routing-store';
import { lostRace, type Item, type Table } from './table';

/**
 * Moves items written before the index partitions were sharded (`keys.ts`, `shardCounts`) into
 * their shards, and lists every agent through its listing entry: a table deployed before needs
 * it once after the deploy (`npm run reshard -- --table <name>`); a local table is recreated.
 * Each move is conditioned on the item still being in the old partition, so a routing write that
 * moved it meanwhile wins and is left alone; running it again changes nothing.
 *
 *   byKind  CHATS#<state>  → CHATS#<state>#<nn>      (chats; by chat id)
 *   waiting WAIT#<queue>   → WAIT#<queue>#<nn>       (waiting chats; by chat id)
 *   ready   READY#<queue>  → READY#<queue>#<nn>      (memberships; by agent id)
 *   byChannel CHANNEL#<id> → CHANNEL#<id>#<nn>       (chats; by chat id)
 *   byKind  AGENT, agent item → AGENT#<id> | LISTING entry; the agent item leaves the index
 */
const entry = z.looseObject({ pk: z.string(), sk: z.string() });
const idOf = z.object({ id: z.string() });

export async function reshard(table: Table): Promise<{ moved: number }> {
  let moved = 0;
  const walk = async (index: keyof typeof shape.indexes, pk: string, each: (item: Item & { pk: string; sk: string }) => Promise<void>) => {
    let startKey: Item | undefined;
    do {
      const page = await table.queryPartition(entry, { index, pk, startKey });
      for (const item of page.items) await each(item);
      startKey = page.lastKey;
    } while (startKey);
  };
  const move = async (item: { pk: string; sk: string }, attribute: string, from: string, to: string) => {
    try {
      await table.update({ pk: item.pk, sk: item.sk, update: 'SET #a = :to', condition: '#a = :from', names: { '#a': attribute }, values: { ':to': to, ':from': from } });
      moved += 1;
    } catch (error) {
      if (!lostRace(error)) throw error;
    }
  };
  const chatId = (item: { pk: string }) => item.pk.slice('CHAT#'.length);

  for (const state of chatStates) {
    const old = `CHATS#${state}`;
    await walk('byKind', old, (item) => move(item, 'kindPk', old, indexKeys.chatsOfState(state, chatId(item))));
  }
  const kindIds = async (kind: string) => {
    const ids: string[] = [];
    let startKey: Item | undefined;
    do {
      const page = await table.queryPartition(idOf, { index: 'byKind', pk: indexKeys.kind(kind), startKey, whole: true });
      ids.push(...page.items.map((i) => i.id));
      startKey = page.lastKey;
    } while (startKey);
    return ids;
  };
  for (const queueId of await kindIds('QUEUE')) {
    await walk('waiting', `WAIT#${queueId}`, (item) => move(item, 'waitPk', `WAIT#${queueId}`, indexKeys.waiting(queueId, chatId(item))));
    await walk('ready', `READY#${queueId}`, (item) => move(item, 'readyPk', `READY#${queueId}`, indexKeys.ready(queueId, item.pk.slice('AGENT#'.length))));
  }
  for (const channelId of await kindIds('CHANNEL')) {
    await walk('byChannel', `CHANNEL#${channelId}`, (item) => move(item, 'channelPk', `CHANNEL#${channelId}`, indexKeys.byChannel(channelId, chatId(item))));
  }
  await walk('byKind', indexKeys.kind('AGENT'), async (item) => {
    if (item.sk !== keys.agent('').sk) return;
    const kindSk = String(item.kindSk ?? '');
    const agentId = item.pk.slice('AGENT#'.length);
    await table.put(agentListingItem({ id: agentId, createdAt: kindSk.slice(0, kindSk.length - agentId.length - 1) }));
    await table.update({ pk: item.pk, sk: item.sk, update: 'REMOVE kindPk, kindSk', condition: 'attribute_exists(pk)' }).catch((error: unknown) => {
      if (!lostRace(error)) throw error;
    });
    moved += 1;
  });
  return { moved };
}
