/**
 * Shapes of the stateful resources, shared by the CDK stack (`lib/`) and the local runtime
 * (`local/`) so both create the same table, indexes and queues.
 */
export const table = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'ttl',
  /**
   * Each index projects only what its queries read (keys, or keys and a few stable attributes),
   * so a write that moves a volatile attribute (a chat's lastMessageAt, an agent's connections)
   * writes the table item alone. A list that needs whole items reads them by key after the query.
   */
  indexes: {
    /** Lists of one kind of item (queues, channels, chats by state …), newest last; the chat filters' attributes. */
    byKind: { name: 'byKind', partitionKey: 'kindPk', sortKey: 'kindSk', projection: ['queueId', 'agentId'] },
    /** Agents ready for a queue's next chat, ordered by load then by idle time (sparse). */
    ready: { name: 'ready', partitionKey: 'readyPk', sortKey: 'readySk', projection: ['agentId', 'queueId', 'load', 'capacity', 'lastTakenAt'] },
    /** Chats waiting in a queue, oldest first (sparse). */
    waiting: { name: 'waiting', partitionKey: 'waitPk', sortKey: 'waitSk', projection: 'keys' },
    /** Offers and chats held by one agent (sparse): the offer's fields, the held chat's id and queue. */
    byAgent: { name: 'byAgent', partitionKey: 'agentPk', sortKey: 'agentSk', projection: ['chatId', 'agentId', 'offeredAt', 'expiresAt', 'id', 'queueId'] },
    /** Chats of one channel, oldest first (keys only: "has this channel any chat"). */
    byChannel: { name: 'byChannel', partitionKey: 'channelPk', sortKey: 'channelSk', projection: 'keys' },
    /** Chats of one customer of one channel, by creation (keys only: written once, when the chat opens; a customer's history). */
    byCustomer: { name: 'byCustomer', partitionKey: 'custPk', sortKey: 'custSk', projection: 'keys' },
  },
} as const;

export const queues = {
  inbound: { name: 'omnichat-inbound.fifo', dlqName: 'omnichat-inbound-dlq.fifo', fifo: true },
  outbound: { name: 'omnichat-outbound.fifo', dlqName: 'omnichat-outbound-dlq.fifo', fifo: true },
  /** Timers as delayed messages: a standard queue, since FIFO queues take no per-message DelaySeconds. */
  timer: { name: 'omnichat-timers', dlqName: 'omnichat-timers-dlq', fifo: false },
  /** Seconds a received message stays hidden; six times the consumer's timeout, as AWS advises. */
  visibilityTimeoutSeconds: 180,
  consumerTimeoutSeconds: 30,
  maxReceiveCount: 5,
  batchSize: 10,
} as const;

export const secretsPrefixDefault = 'omnichat';
