/**
 * The business metrics the handlers publish (CloudWatch embedded metric format, namespace
 * `Omnichat/<stack name>`, dimension `service`), named once for the handlers and the dashboard.
 */
export const productMetrics = {
  /** A customer message stored (duplicates and receipts do not count). */
  inboundMessages: 'InboundMessages',
  /** A chat offered to an agent. */
  offers: 'ChatsOffered',
  /** An agent accepted an offered chat. */
  accepts: 'ChatsAccepted',
  /** Milliseconds from a chat's creation to an offer. */
  timeToOffer: 'TimeToOffer',
  /** Milliseconds from an offer to its acceptance. */
  timeToAccept: 'TimeToAccept',
  /** Milliseconds from a chat's creation to an agent taking it. */
  queueWait: 'QueueWait',
  /** A reply that the platform refused for good; the agent sees it failed. */
  failedSends: 'FailedSends',
} as const;

export type ProductMetricName = (typeof productMetrics)[keyof typeof productMetrics];
