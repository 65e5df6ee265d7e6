import * as z from 'zod/mini';
import { utf8Bytes } from './text';

/**
 * A platform event reduced to what routing needs, platform-neutral. Webhook functions turn
 * Messenger and Telegram payloads into these and put them on the inbound FIFO queue; the
 * router reads them back through the same schema.
 */
const attachment = z.object({ type: z.string(), url: z.string(), name: z.optional(z.string()) });

const customerProfile = z.object({
  id: z.string(),
  firstName: z.optional(z.string()),
  lastName: z.optional(z.string()),
  username: z.optional(z.string()),
  languageCode: z.optional(z.string()),
});

export const inboundEventSchema = z.discriminatedUnion('kind', [
  /** A customer wrote (text, attachments, quick reply, postback, callback). */
  z.object({
    kind: z.literal('message'),
    platformMessageId: z.string(),
    timestamp: z.number(),
    customer: customerProfile,
    text: z.optional(z.string()),
    attachments: z.optional(z.array(attachment)),
    payload: z.optional(z.string()),
    /** Messenger `standby`: a bot owns the thread, store without routing. */
    standby: z.optional(z.boolean()),
    /** Telegram callback query to answer so the customer's spinner stops. */
    callbackQueryId: z.optional(z.string()),
  }),
  /** The customer edited an earlier message (Telegram). */
  z.object({
    kind: z.literal('edit'),
    platformMessageId: z.string(),
    timestamp: z.number(),
    customer: customerProfile,
    text: z.optional(z.string()),
  }),
  /** Our outgoing messages reached the customer (by ids, or all up to the watermark). */
  z.object({ kind: z.literal('delivery'), timestamp: z.number(), mids: z.optional(z.array(z.string())), watermark: z.optional(z.number()) }),
  /** The customer read everything sent up to the watermark. */
  z.object({ kind: z.literal('read'), timestamp: z.number(), watermark: z.number() }),
  /** A message the Page sent: ours (ignored by app id) or another app's (stored as outgoing). */
  z.object({
    kind: z.literal('echo'),
    platformMessageId: z.string(),
    timestamp: z.number(),
    appId: z.optional(z.string()),
    text: z.optional(z.string()),
    attachments: z.optional(z.array(attachment)),
  }),
  /** Messenger handover protocol (conversation routing). */
  z.object({
    kind: z.literal('handover'),
    timestamp: z.number(),
    action: z.enum(['pass', 'take', 'request']),
    newOwnerAppId: z.optional(z.string()),
    previousOwnerAppId: z.optional(z.string()),
    metadata: z.optional(z.string()),
  }),
]);

export type InboundEvent = z.infer<typeof inboundEventSchema>;
export type CustomerProfile = z.infer<typeof customerProfile>;

/** One event on the inbound queue: which channel and conversation it belongs to. */
export const inboundEnvelopeSchema = z.object({
  channelType: z.enum(['messenger', 'telegram']),
  /** Messenger: the Page id (`entry[].id`); Telegram: our channel id. */
  channelKey: z.string(),
  /** The customer's id on the platform (Messenger PSID, Telegram chat id). */
  conversationKey: z.string(),
  receivedAt: z.string(),
  /** The platform's id of this delivery, stored once however often it arrives (Messenger `mid`, Telegram `update_id`). */
  deliveryId: z.optional(z.string()),
  event: inboundEventSchema,
});

export type InboundEnvelope = z.infer<typeof inboundEnvelopeSchema>;

/** FIFO message group: one per conversation, so a conversation is processed in order. */
export function messageGroupOf(envelope: Pick<InboundEnvelope, 'channelType' | 'channelKey' | 'conversationKey'>): string {
  return `${envelope.channelType}:${envelope.channelKey}:${envelope.conversationKey}`;
}

/** A stable id for SQS deduplication within its five-minute window. */
export function deduplicationKeyOf(envelope: InboundEnvelope): string {
  const e = envelope.event;
  switch (e.kind) {
    case 'message':
    case 'edit':
    case 'echo':
      return `${e.kind}:${e.platformMessageId}:${e.timestamp}`;
    case 'delivery':
      return `delivery:${e.watermark ?? ''}:${(e.mids ?? []).join(',')}:${e.timestamp}`;
    case 'read':
      return `read:${e.watermark}:${e.timestamp}`;
    case 'handover':
      return `handover:${e.action}:${e.timestamp}`;
  }
}

/** SQS takes at most 1 MiB (1,048,576 bytes) per message, and per batch all bodies together. */
export const maxQueueMessageBytes = 1024 * 1024;

/** An envelope as the queue carries it. */
export function queueBodyOf(envelope: InboundEnvelope): string {
  return JSON.stringify(envelope);
}

/** Bytes SQS counts for an envelope's message body. */
export function queueBytesOf(envelope: InboundEnvelope): number {
  return utf8Bytes(queueBodyOf(envelope));
}

/**
 * Cuts items, in order, into SQS batches of at most `maxEntries` whose sizes add up to at most
 * `maxBytes`; an item bigger than `maxBytes` on its own goes alone (SQS will refuse it, loudly).
 */
export function batchesOf<T>(items: readonly T[], sizeOf: (item: T) => number, maxEntries = 10, maxBytes = maxQueueMessageBytes): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length >= maxEntries || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
