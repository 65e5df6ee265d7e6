import * as z from 'zod/mini';
import type { CustomerProfile, InboundEnvelope, InboundEvent } from './inbound';
import { boundedString, eventTimeMessage, inboundLimits, isPlausibleEventTime, platformId, safeInteger } from './limits';
import { utf8Bytes } from './text';
import { InternalError } from './errors';

/**
 * A Telegram Bot API `Update`, as Telegram posts it to our webhook. Objects are loose:
 * the Bot API adds fields often and an unknown one must not refuse an update.
 */

const name = boundedString(inboundLimits.nameBytes, 'name');

const userSchema = z.looseObject({
  id: safeInteger(),
  is_bot: z.optional(z.boolean()),
  first_name: z.optional(name),
  last_name: z.optional(name),
  username: z.optional(name),
  language_code: z.optional(name),
});

const chatSchema = z.looseObject({
  id: safeInteger(),
  type: z.string(),
  first_name: z.optional(name),
  last_name: z.optional(name),
  username: z.optional(name),
});

// File ids become `tg-file:<id>` attachment URLs.
const fileId = boundedString(inboundLimits.attachmentUrlBytes - 8, 'file id').check(z.minLength(1));

const photoSizeSchema = z.looseObject({
  file_id: fileId,
  width: z.number(),
  height: z.number(),
  file_size: z.optional(z.number()),
});

const fileSchema = z.looseObject({
  file_id: fileId,
  file_name: z.optional(name),
  mime_type: z.optional(z.string()),
  file_size: z.optional(z.number()),
});

const messageSchema = z.looseObject({
  // message ids are positive within a chat
  message_id: safeInteger().check(z.positive()),
  from: z.optional(userSchema),
  chat: chatSchema,
  date: z.number(),
  edit_date: z.optional(z.number()),
  text: z.optional(z.string()),
  caption: z.optional(z.string()),
  photo: z.optional(z.array(photoSizeSchema).check(z.maxLength(inboundLimits.attachments))),
  document: z.optional(fileSchema),
  video: z.optional(fileSchema),
  audio: z.optional(fileSchema),
  voice: z.optional(fileSchema),
});

const callbackQuerySchema = z.looseObject({
  id: platformId(),
  from: userSchema,
  // Absent for buttons under inline-mode messages; those never belong to a private chat with us.
  message: z.optional(messageSchema),
  data: z.optional(boundedString(inboundLimits.payloadBytes, 'callback data')),
});

export const telegramUpdateSchema = z.looseObject({
  // "Update identifiers start from a certain positive number and increase sequentially" (Bot API)
  update_id: safeInteger().check(z.positive()),
  message: z.optional(messageSchema),
  edited_message: z.optional(messageSchema),
  callback_query: z.optional(callbackQuerySchema),
});

export type TelegramUpdate = z.infer<typeof telegramUpdateSchema>;
type TelegramMessage = z.infer<typeof messageSchema>;
type TelegramUser = z.infer<typeof userSchema>;
type Attachment = NonNullable<Extract<InboundEvent, { kind: 'message' }>['attachments']>[number];

export interface ParseIssue {
  path: string;
  message: string;
}

export type TelegramParseResult =
  | { ok: true; envelope: InboundEnvelope | null; ignoredKind?: string }
  | { ok: false; issues: ParseIssue[] };

/** Turns a Telegram update into an inbound envelope, or null with the kind of update that was ignored. */
export function parseTelegramUpdate(body: unknown, channelId: string, receivedAt: string): TelegramParseResult {
  const parsed = telegramUpdateSchema.safeParse(body);
  if (!parsed.success) {
    return { ok: false, issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) };
  }
  const result = toEnvelope(parsed.data, channelId, receivedAt);
  const issues = result.envelope ? storableIssues(parsed.data, result.envelope, receivedAt) : [];
  return issues.length > 0 ? { ok: false, issues } : result;
}

/** What the store would refuse or misfile: a date out of range, an edited text too long for one item. */
function storableIssues(update: TelegramUpdate, envelope: InboundEnvelope, receivedAt: string): ParseIssue[] {
  const issues: ParseIssue[] = [];
  const event = envelope.event;
  if (!('timestamp' in event) || !isPlausibleEventTime(event.timestamp, receivedAt)) {
    const path = update.message
      ? 'message.date'
      : update.edited_message
        ? update.edited_message.edit_date !== undefined ? 'edited_message.edit_date' : 'edited_message.date'
        : 'callback_query.message.date';
    issues.push({ path, message: eventTimeMessage });
  }
  if (event.kind === 'edit' && event.text !== undefined && utf8Bytes(event.text) > inboundLimits.singleTextBytes) {
    issues.push({
      path: update.edited_message?.text !== undefined ? 'edited_message.text' : 'edited_message.caption',
      message: `An edited text must be at most ${inboundLimits.singleTextBytes} bytes (UTF-8).`,
    });
  }
  return issues;
}

function toEnvelope(update: TelegramUpdate, channelId: string, receivedAt: string): { ok: true; envelope: InboundEnvelope | null; ignoredKind?: string } {
  const deliveryId = String(update.update_id);
  const envelopeFor = (message: { chat: { id: number } }, event: InboundEvent): InboundEnvelope => ({
    channelType: 'telegram',
    channelKey: channelId,
    conversationKey: String(message.chat.id),
    receivedAt,
    deliveryId,
    event,
  });

  // Omnichat serves one customer per conversation; a bot added to a group is not a support channel.
  const groupChat = (m: TelegramMessage | undefined) => m !== undefined && m.chat.type !== 'private';

  if (update.message) {
    const m = update.message;
    if (groupChat(m)) return { ok: true, envelope: null, ignoredKind: 'group_chat' };
    const content = contentOf(m);
    // Stickers, locations, contacts and service messages carry nothing an agent can read or open.
    if (content.text === undefined && content.attachments === undefined) {
      return { ok: true, envelope: null, ignoredKind: 'unsupported_content' };
    }
    return {
      ok: true,
      envelope: envelopeFor(m, {
        kind: 'message',
        platformMessageId: messageIdOf(m),
        timestamp: m.date * 1000,
        customer: customerOf(m.from, m),
        ...content,
      }),
    };
  }
  if (update.edited_message) {
    const m = update.edited_message;
    if (groupChat(m)) return { ok: true, envelope: null, ignoredKind: 'group_chat' };
    const text = m.text ?? m.caption;
    return {
      ok: true,
      envelope: envelopeFor(m, {
        kind: 'edit',
        platformMessageId: messageIdOf(m),
        timestamp: (m.edit_date ?? m.date) * 1000,
        customer: customerOf(m.from, m),
        ...(text !== undefined && { text }),
      }),
    };
  }
  if (update.callback_query) {
    const q = update.callback_query;
    if (q.message === undefined) return { ok: true, envelope: null, ignoredKind: 'inline_callback_query' };
    if (groupChat(q.message)) return { ok: true, envelope: null, ignoredKind: 'group_chat' };
    const receivedMs = Date.parse(receivedAt);
    return {
      ok: true,
      envelope: envelopeFor(q.message, {
        kind: 'message',
        platformMessageId: `callback:${q.id}`,
        // A callback query has no date of its own; it happened when it reached us.
        timestamp: Number.isNaN(receivedMs) ? q.message.date * 1000 : receivedMs,
        customer: customerOf(q.from, q.message),
        ...(q.data !== undefined && { text: q.data, payload: q.data }),
        callbackQueryId: q.id,
      }),
    };
  }
  const kind = Object.keys(update).find((key) => key !== 'update_id') ?? 'empty';
  return { ok: true, envelope: null, ignoredKind: kind };
}

/** Chat and message id together, so an edit finds the message it changes. */
function messageIdOf(m: TelegramMessage): string {
  return `${m.chat.id}:${m.message_id}`;
}

function customerOf(from: TelegramUser | undefined, m: TelegramMessage): CustomerProfile {
  // In a private chat the chat is the customer; `from` is only missing for anonymous senders.
  const who = from ?? { id: m.chat.id, first_name: m.chat.first_name, last_name: m.chat.last_name, username: m.chat.username };
  return {
    id: String(who.id),
    ...(who.first_name !== undefined && { firstName: who.first_name }),
    ...(who.last_name !== undefined && { lastName: who.last_name }),
    ...(who.username !== undefined && { username: who.username }),
    ...('language_code' in who && who.language_code !== undefined && { languageCode: who.language_code }),
  };
}

function contentOf(m: TelegramMessage): { text?: string; attachments?: Attachment[] } {
  const attachments: Attachment[] = [];
  const largest = largestPhoto(m.photo ?? []);
  if (largest) attachments.push({ type: 'image', url: `tg-file:${largest.file_id}` });
  if (m.document) attachments.push(fileAttachment(m.document, m.document.mime_type ?? 'file'));
  if (m.video) attachments.push(fileAttachment(m.video, 'video'));
  if (m.audio) attachments.push(fileAttachment(m.audio, 'audio'));
  if (m.voice) attachments.push(fileAttachment(m.voice, 'audio'));
  const text = m.text ?? m.caption;
  return {
    ...(text !== undefined && { text }),
    ...(attachments.length > 0 && { attachments }),
  };
}

function fileAttachment(file: z.infer<typeof fileSchema>, type: string): Attachment {
  return { type, url: `tg-file:${file.file_id}`, ...(file.file_name !== undefined && { name: file.file_name }) };
}

/** Telegram sends one photo in several sizes; keep the biggest (by pixels, then bytes). */
function largestPhoto<P extends { width: number; height: number; file_size?: number }>(sizes: P[]): P | undefined {
  let best: P | undefined;
  for (const p of sizes) {
    if (
      best === undefined ||
      p.width * p.height > best.width * best.height ||
      (p.width * p.height === best.width * best.height && (p.file_size ?? 0) > (best.file_size ?? 0))
    ) {
      best = p;
    }
  }
  return best;
}

/**
 * Splits text into Telegram messages of at most `limit` UTF-16 units (Telegram's unit), at the last
 * line break or space that fits; a word longer than the limit is cut, never inside a surrogate pair.
 */
export function splitTelegramText(text: string, limit = 4096): string[] {
  if (!Number.isInteger(limit) || limit < 2) throw new InternalError('limit must be an integer of at least 2');
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const window = rest.slice(0, limit + 1);
    // A line break is the nicer cut, unless it would leave a part much shorter than the limit.
    let cut = window.lastIndexOf('\n');
    if (cut < limit / 2) cut = Math.max(cut, window.lastIndexOf(' '), window.lastIndexOf('\t'));
    let next: number;
    if (cut > 0) {
      next = cut + 1;
    } else {
      cut = limit;
      // Do not leave half of an emoji at the end of a part.
      const code = rest.charCodeAt(cut - 1);
      if (code >= 0xd800 && code <= 0xdbff) cut -= 1;
      next = cut;
    }
    const part = rest.slice(0, cut).trimEnd();
    if (part.length > 0) parts.push(part);
    rest = rest.slice(next).trimStart();
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}
