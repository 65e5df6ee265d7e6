/**
 * Key design of the single table. Every item has `pk`/`sk`; sparse index keys put an item
 * into a list only while it belongs there (a ready agent, a waiting chat).
 *
 *   SETTINGS            | SETTINGS            product settings
 *   MAPP#<appId>        | MAPP                Meta app (secret in Secrets Manager)
 *   CHANNEL#<id>        | CHANNEL             channel
 *   PAGE#<pageId>       | PAGE                Messenger Page → channel id
 *   QUEUE#<id>          | QUEUE               chat queue
 *   AGENT#<id>          | AGENT               agent: presence, load, capacity, queues, last taken
 *   AGENT#<id>          | MEMBER#<queueId>    queue membership; readyPk/readySk while the agent can take a chat
 *   AGENT#<id>          | CONN#<connectionId> live WebSocket connection
 *   AGENT#<id>          | EVT#<cursor>        event log for `sync` (TTL); the newest cursor is the log's last item
 *   CONN#<connectionId> | CONN                connection → agent
 *   CONV#<channelId>#<customerId> | CONV      conversation → its open chat
 *   CHAT#<id>           | CHAT                chat; waitPk/waitSk while waiting; agentPk while assigned;
 *                                           custPk/custSk (byCustomer) from its creation on
 *   CHAT#<id>           | OFFER#<agentId>     pending offer; agentPk/agentSk
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
  page: (pageId: string) => ({ pk: `PAGE#${pageId}`, sk: 'PAGE' }),
  queue: (id: string) => ({ pk: `QUEUE#${id}`, sk: 'QUEUE' }),
  agent: (id: string) => ({ pk: `AGENT#${id}`, sk: 'AGENT' }),
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

/** Partition values of the sparse indexes. */
export const indexKeys = {
  kind: (kind: string) => kind,
  ready: (queueId: string) => `READY#${queueId}`,
  waiting: (queueId: string) => `WAIT#${queueId}`,
  byAgent: (agentId: string) => `AGENT#${agentId}`,
  byChannel: (channelId: string) => `CHANNEL#${channelId}`,
  byCustomer: (channelId: string, customerId: string) => `CUST#${channelId}#${customerId}`,
} as const;

/** Epoch seconds for DynamoDB TTL. */
export function ttlAfter(now: Date, seconds: number): number {
  return Math.floor(now.getTime() / 1000) + seconds;
}
