/**
 * Shapes of the stateful resources, shared by the CDK stack (`lib/`) and the local runtime
 * (`local/`) so both create the same table, indexes and queues.
 */
export const table = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'ttl',
  indexes: {
    /** Lists of one kind of item (queues, channels, chats by state …), newest last. */
    byKind: { name: 'byKind', partitionKey: 'kindPk', sortKey: 'kindSk' },
    /** Agents ready for a queue's next chat, ordered by load then by idle time (sparse). */
    ready: { name: 'ready', partitionKey: 'readyPk', sortKey: 'readySk' },
    /** Chats waiting in a queue, oldest first (sparse). */
    waiting: { name: 'waiting', partitionKey: 'waitPk', sortKey: 'waitSk' },
    /** Offers and chats held by one agent (sparse). */
    byAgent: { name: 'byAgent', partitionKey: 'agentPk', sortKey: 'agentSk' },
    /** Chats of one channel, oldest first. */
    byChannel: { name: 'byChannel', partitionKey: 'channelPk', sortKey: 'channelSk' },
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
