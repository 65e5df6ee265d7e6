/**
 * Key design of the single table. Every item has `pk`/`sk`; sparse index keys put an item
 * into a list only while it belongs there (a ready agent, a waiting chat).
 *
 *   SETTINGS            | SETTINGS            product settings
 *   MAPP#<appId>        | MAPP                Meta app (secret in Secrets Manager)
 *   CHANNEL#<id>        | CHANNEL             channel
 *   CHANNEL#<id>        | CHATS               a chat came in through the channel: written before its first chat (once per
 *                                           function instance), never removed; a channel with it is never deleted
 *   PAGE#<pageId>       | PAGE                Messenger Page → channel id
 *   QUEUE#<id>          | QUEUE               chat queue
 *   AGENT#<id>          | AGENT               agent: presence, load, capacity, queues, last taken, pending offers by chat id
 *                                           (in no index: rewritten on every routing change)
 *   AGENT#<id>          | LISTING             the agent's entry in the byKind `AGENT` list; written when the agent is saved, never by routing
 *   AGENT#<id>          | MEMBER#<queueId>    queue membership; readyPk/readySk while the agent can take a chat
 *   AGENT#<id>          | CONN#<connectionId> live WebSocket connection
 *   AGENT#<id>          | EVT#<cursor>        event log for `sync` (TTL); the newest cursor is the log's last item
 *   CONN#<connectionId> | CONN                connection → agent
 *   CONV#<channelId>#<customerId> | CONV      conversation → its open chat, and that chat's customer-side counters
 *                                           (messagesIn, lastMessageAt, customerWroteAt …) while it is open
 *   CHAT#<id>           | CHAT                chat; waitPk/waitSk while waiting; agentPk while assigned;
 *                                           custPk/custSk (byCustomer) from its creation on; channelPk/channelSk
 *                                           (byChannel) only on chats opened by earlier versions
 *   CHAT#<id>           | OFFER#<agentId>     pending offer as earlier versions wrote it (agentPk/agentSk): read, accepted and
 *                                           withdrawn as before, never written now (offers are kept in the agent item)
 *   CHAT#<id>           | MSG#<sentAt>#<id>   message
 *   CHAT#<id>           | WATCH#<connectionId> a supervisor's connection watching the chat (TTL)
 *   SIGNAL#<chatId>     | typing / seen       when the last indicator went to the customer (TTL; signal-gate.ts)
 *   DELIVERY#<source>#<key>#<id> | DELIVERY  dedupe marker (TTL): platform ids, agents' clientMessageIds;
 *                                           names the item whose write completes the delivery
 */
export const keys = {
  settings: () => ({ pk: 'SETTINGS', sk: 'SETTINGS' }),
  messengerApp: (appId: string) => ({ pk: `MAPP#${appId}`, sk: 'MAPP' }),
  channel: (id: string) => ({ pk: `CHANNEL#${id}`, sk: 'CHANNEL' }),
  channelChats: (id: string) => ({ pk: `CHANNEL#${id}`, sk: 'CHATS' }),
  page: (pageId: string) => ({ pk: `PAGE#${pageId}`, sk: 'PAGE' }),
  queue: (id: string) => ({ pk: `QUEUE#${id}`, sk: 'QUEUE' }),
  agent: (id: string) => ({ pk: `AGENT#${id}`, sk: 'AGENT' }),
  agentListing: (id: string) => ({ pk: `AGENT#${id}`, sk: 'LISTING' }),
  membership: (agentId: string, queueId: string) => ({ pk: `AGENT#${agentId}`, sk: `MEMBER#${queueId}` }),
  agentConnection: (agentId: string, connectionId: string) => ({ pk: `AGENT#${agentId}`, sk: `CONN#${connectionId}` }),
  agentEvent: (agentId: string, cursor: number) => ({ pk: `AGENT#${agentId}`, sk: `EVT#${String(cursor).padStart(12, '0')}` }),
  connection: (connectionId: string) => ({ pk: `CONN#${connectionId}`, sk: 'CONN' }),
  conversation: (channelId: string, customerId: string) => ({ pk: `CONV#${channelId}#${customerId}`, sk: 'CONV' }),
  chat: (id: string) => ({ pk: `CHAT#${id}`, sk: 'CHAT' }),
  offer: (chatId: string, agentId: string) => ({ pk: `CHAT#${chatId}`, sk: `OFFER#${agentId}` }),
  watch: (chatId: string, connectionId: string) => ({ pk: `CHAT#${chatId}`, sk: `WATCH#${connectionId}` }),
  message: (chatId: string, sentAt: string, id: string) => ({ pk: `CHAT#${chatId}`, sk: `MSG#${sentAt}#${id}` }),
  delivery: (channelType: string, channelKey: string, deliveryId: string) => ({
    pk: `DELIVERY#${channelType}#${channelKey}#${deliveryId}`,
    sk: 'DELIVERY',
  }),
} as const;

/**
 * Shard counts of the index partitions every chat or agent of a state, queue or channel would
 * otherwise share (README, Scaling: at 500 new chats/s one such partition takes ~1,000 writes/s,
 * DynamoDB's limit per partition, GSI partitions included). A sharded partition key ends in
 * `#<nn>`, the shard of the item's own id (`shardOf`); readers query every shard and merge by
 * the sort key, which orders the whole list as it did unsharded.
 */
export const shardCounts = {
  /** byKind `CHATS#<state>#<nn>`, by chat id. */
  chatsOfState: 16,
  /**
   * byChannel `CHANNEL#<id>#<nn>`, by chat id: written once per new chat by earlier versions (now the
   * channel's `CHATS` item says it has chats) and read only when a channel is deleted. Entries
   * written under 16 shards stay in 00–15, which the readers still query.
   */
  byChannel: 32,
  /** waiting `WAIT#<queue>#<nn>`, by chat id. */
  waiting: 16,
  /** ready `READY#<queue>#<nn>`, by agent id. */
  ready: 16,
} as const;

/** The shard of an id among `count`: FNV-1a of its UTF-8 bytes, two decimal digits. Stable forever: it is written into keys. */
export function shardOf(id: string, count: number): string {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(id, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return String(hash % count).padStart(2, '0');
}

/** Every shard of a sharded partition, in shard order. */
function allShards(base: string, count: number): string[] {
  return Array.from({ length: count }, (_, n) => `${base}#${String(n).padStart(2, '0')}`);
}

/** Partition values of the sparse indexes. */
export const indexKeys = {
  kind: (kind: string) => kind,
  /** byKind partition of one chat of a state: `CHATS#<state>#<nn>`. */
  chatsOfState: (state: string, chatId: string) => `CHATS#${state}#${shardOf(chatId, shardCounts.chatsOfState)}`,
  chatsOfStateShards: (state: string) => allShards(`CHATS#${state}`, shardCounts.chatsOfState),
  ready: (queueId: string, agentId: string) => `READY#${queueId}#${shardOf(agentId, shardCounts.ready)}`,
  readyShards: (queueId: string) => allShards(`READY#${queueId}`, shardCounts.ready),
  waiting: (queueId: string, chatId: string) => `WAIT#${queueId}#${shardOf(chatId, shardCounts.waiting)}`,
  waitingShards: (queueId: string) => allShards(`WAIT#${queueId}`, shardCounts.waiting),
  byAgent: (agentId: string) => `AGENT#${agentId}`,
  byChannel: (channelId: string, chatId: string) => `CHANNEL#${channelId}#${shardOf(chatId, shardCounts.byChannel)}`,
  byChannelShards: (channelId: string) => allShards(`CHANNEL#${channelId}`, shardCounts.byChannel),
  byCustomer: (channelId: string, customerId: string) => `CUST#${channelId}#${customerId}`,
} as const;

/** Epoch seconds for DynamoDB TTL. */
export function ttlAfter(now: Date, seconds: number): number {
  return Math.floor(now.getTime() / 1000) + seconds;
}
