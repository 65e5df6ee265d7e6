import * as z from 'zod/mini';
import { en } from 'zod/v4/locales';

// zod/mini ships no messages; the webhooks answer 400s in English, as zod classic does.
z.config(en());
import { utf8Bytes } from './text';

/**
 * What a webhook may carry so that everything it acknowledges can be stored: DynamoDB keys stop at
 * 2,048 bytes (the store prefixes ids, e.g. `DELIVERY#messenger#<page>#<mid>`), items at 400 KB,
 * dates must be dates. Each limit is far above what Meta and Telegram send, so only malformed
 * input meets it; it is refused with a 400 naming the field instead of being acknowledged and lost.
 */
export const inboundLimits = {
  /** Platform ids (Page, PSID, mid, app, callback query): Meta's are 15–20 digits or ~100-character mids. */
  idBytes: 256,
  /** Ids in a webhook's path (`/webhooks/messenger/{appId}`, `/webhooks/telegram/{channelId}`). */
  pathIdChars: 128,
  /** Earliest event time accepted: 2000-01-01T00:00:00Z (epoch ms). */
  earliestMillis: Date.UTC(2000, 0, 1),
  /** How far after its arrival an event may be dated (platform clocks drift, not by a day). */
  futureMillis: 24 * 3600 * 1000,
  /** Button payloads (Meta allows 1,000 characters, Telegram 64 bytes). */
  payloadBytes: 8 * 1024,
  /** Names, usernames, language codes, handover metadata. */
  nameBytes: 1024,
  /** Texts stored in one item as they are: edits (Telegram allows 4,096 characters) and other apps' echoes (Meta 2,000). */
  singleTextBytes: 64 * 1024,
  attachmentUrlBytes: 4 * 1024,
  attachments: 50,
  /** Message ids in one delivery receipt. */
  receiptMids: 1000,
} as const;

/** A non-empty string of at most `max` UTF-8 bytes. */
export function boundedString(max: number, what = 'value'): z.ZodMiniString {
  return z.string().check(z.refine((s) => utf8Bytes(s) <= max, { message: `The ${what} must be at most ${max} bytes (UTF-8).` }));
}

/** A platform id: non-empty, at most `inboundLimits.idBytes` bytes. */
export function platformId(): z.ZodMiniString {
  return boundedString(inboundLimits.idBytes, 'id').check(z.minLength(1, { message: 'The id must not be empty.' }));
}

/** A whole number a JavaScript number holds exactly (Telegram's ids and counters); zod's `int()` stops at 2^53 − 1. */
export function safeInteger(): z.ZodMiniInt {
  return z.int();
}

/** Whether an event time (epoch ms) lies between 2000 and a day after it reached us. */
export function isPlausibleEventTime(millis: number, receivedAt: string): boolean {
  const received = Date.parse(receivedAt);
  const latest = (Number.isNaN(received) ? Date.UTC(2100, 0, 1) : received) + inboundLimits.futureMillis;
  return Number.isInteger(millis) && millis >= inboundLimits.earliestMillis && millis <= latest;
}

export const eventTimeMessage = 'Must be a whole number of milliseconds (seconds for Telegram) between 2000-01-01 and a day after the event reached us.';

const registrableId = /^[A-Za-z0-9_.@:-]+$/;

/**
 * Whether a webhook path id can name anything an admin registered (the management API takes ids of
 * 1–128 letters, digits and `_ . @ : -`); any other answers 404 without a lookup.
 */
export function isPlausiblePathId(id: string): boolean {
  return id.length > 0 && id.length <= inboundLimits.pathIdChars && registrableId.test(id);
}
