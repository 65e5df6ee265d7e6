import * as z from 'zod/mini';
import type { InboundEnvelope, InboundEvent } from './inbound';
import { boundedString, eventTimeMessage, inboundLimits, isPlausibleEventTime, platformId } from './limits';
import { secretTokensEqual } from './signature';
import { utf8Bytes } from './text';

/**
 * The Messenger webhook body (`object: "page"`), as Meta posts it to the app's callback URL.
 * Objects are loose: Meta adds fields over time and an unknown field must never cost a 400.
 */

// Meta documents app ids as strings but sends numbers in practice; they are ids, so strings here.
const appId = z.pipe(z.union([platformId(), z.number()]), z.transform((id: string | number) => String(id)));
const ownerAppId = z.optional(z.nullable(appId));

const attachmentSchema = z.looseObject({
  type: z.string(),
  // `fallback` (shared links) carries `payload: null` with `title`/`url` beside it.
  payload: z.optional(
    z.nullable(
      z.looseObject({
        url: z.optional(boundedString(inboundLimits.attachmentUrlBytes, 'URL')),
        title: z.optional(boundedString(inboundLimits.nameBytes, 'title')),
        text: z.optional(z.string()),
        elements: z.optional(z.array(z.looseObject({ title: z.optional(z.string()) }))),
      }),
    ),
  ),
  title: z.optional(boundedString(inboundLimits.nameBytes, 'title')),
  url: z.optional(boundedString(inboundLimits.attachmentUrlBytes, 'URL')),
});

const messageSchema = z.looseObject({
  mid: platformId(),
  text: z.optional(z.string()),
  is_echo: z.optional(z.boolean()),
  app_id: z.optional(z.nullable(appId)),
  quick_reply: z.optional(z.looseObject({ payload: boundedString(inboundLimits.payloadBytes, 'payload') })),
  attachments: z.optional(z.array(attachmentSchema).check(z.maxLength(inboundLimits.attachments))),
});

const postbackSchema = z.looseObject({
  mid: z.optional(platformId()),
  title: z.optional(z.string()),
  payload: z.optional(boundedString(inboundLimits.payloadBytes, 'payload')),
});

const deliverySchema = z.looseObject({ mids: z.optional(z.array(platformId()).check(z.maxLength(inboundLimits.receiptMids))), watermark: z.optional(z.number()) });
const readSchema = z.looseObject({ watermark: z.number() });

const threadControlSchema = z.looseObject({
  new_owner_app_id: ownerAppId,
  previous_owner_app_id: ownerAppId,
  metadata: z.optional(boundedString(inboundLimits.payloadBytes, 'metadata')),
});
const requestThreadControlSchema = z.looseObject({
  requested_owner_app_id: ownerAppId,
  metadata: z.optional(boundedString(inboundLimits.payloadBytes, 'metadata')),
});

const knownKinds = [
  'message',
  'postback',
  'delivery',
  'read',
  'pass_thread_control',
  'take_thread_control',
  'request_thread_control',
] as const;

const messagingEventSchema = z
  .looseObject({
    // Optional here because some events we ignore (app_roles, checkbox opt-ins) have no sender id.
    sender: z.optional(z.looseObject({ id: z.optional(platformId()) })),
    recipient: z.optional(z.looseObject({ id: z.optional(platformId()) })),
    timestamp: z.optional(z.number()),
    message: z.optional(messageSchema),
    postback: z.optional(postbackSchema),
    delivery: z.optional(deliverySchema),
    read: z.optional(readSchema),
    pass_thread_control: z.optional(threadControlSchema),
    take_thread_control: z.optional(threadControlSchema),
    request_thread_control: z.optional(requestThreadControlSchema),
  })
  .check(
    z.superRefine((event, ctx) => {
      if (!knownKinds.some((kind) => event[kind] !== undefined)) return;
      if (event.sender?.id === undefined) ctx.addIssue({ code: 'custom', path: ['sender', 'id'], message: 'Required for this event' });
      if (event.recipient?.id === undefined) ctx.addIssue({ code: 'custom', path: ['recipient', 'id'], message: 'Required for this event' });
      if (event.timestamp === undefined) ctx.addIssue({ code: 'custom', path: ['timestamp'], message: 'Required for this event' });
    }),
  );

const entrySchema = z.looseObject({
  id: platformId(),
  time: z.number(),
  messaging: z.optional(z.array(messagingEventSchema)),
  standby: z.optional(z.array(messagingEventSchema)),
});

export const messengerWebhookSchema = z.looseObject({
  object: z.literal('page'),
  entry: z.array(entrySchema),
});

export type MessengerWebhook = z.infer<typeof messengerWebhookSchema>;
type MessagingEvent = z.infer<typeof messagingEventSchema>;
type MessengerAttachment = z.infer<typeof attachmentSchema>;
type Attachment = NonNullable<Extract<InboundEvent, { kind: 'message' }>['attachments']>[number];

export interface ParseIssue {
  path: string;
  message: string;
}

export type MessengerParseResult =
  /** `paths[i]`: where in the body the event of `envelopes[i]` is (`entry.0.messaging.1`). */
  | { ok: true; envelopes: InboundEnvelope[]; paths: string[]; ignored: number }
  | { ok: false; issues: ParseIssue[] };

/** Turns a Messenger webhook body into inbound envelopes, one per event Omnichat handles, for every Page in it. */
export function parseMessengerWebhook(body: unknown, receivedAt: string): MessengerParseResult {
  const parsed = messengerWebhookSchema.safeParse(body);
  if (!parsed.success) {
    return { ok: false, issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) };
  }
  const envelopes: InboundEnvelope[] = [];
  const paths: string[] = [];
  const issues: ParseIssue[] = [];
  let ignored = 0;
  parsed.data.entry.forEach((entry, e) => {
    const events = [
      ...(entry.messaging ?? []).map((event, i) => ({ event, standby: false, path: `entry.${e}.messaging.${i}` })),
      ...(entry.standby ?? []).map((event, i) => ({ event, standby: true, path: `entry.${e}.standby.${i}` })),
    ];
    for (const { event, standby, path } of events) {
      const envelope = toEnvelope(event, entry.id, standby, receivedAt);
      if (envelope) {
        issues.push(...storableIssues(envelope, event, path, receivedAt));
        envelopes.push(envelope);
        paths.push(path);
      } else ignored += 1;
    }
  });
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, envelopes, paths, ignored };
}

/** What the store would refuse or misfile in an event we handle: dates out of range, an echo's text too long for one item. */
function storableIssues(envelope: InboundEnvelope, event: MessagingEvent, path: string, receivedAt: string): ParseIssue[] {
  const issues: ParseIssue[] = [];
  const e = envelope.event;
  if (!isPlausibleEventTime(e.timestamp, receivedAt)) issues.push({ path: `${path}.timestamp`, message: eventTimeMessage });
  if (e.kind === 'delivery' && e.watermark !== undefined && !isPlausibleEventTime(e.watermark, receivedAt)) {
    issues.push({ path: `${path}.delivery.watermark`, message: eventTimeMessage });
  }
  if (e.kind === 'read' && !isPlausibleEventTime(e.watermark, receivedAt)) issues.push({ path: `${path}.read.watermark`, message: eventTimeMessage });
  if (e.kind === 'echo' && e.text !== undefined && utf8Bytes(e.text) > inboundLimits.singleTextBytes) {
    const field = event.message?.text !== undefined ? 'message.text' : 'message.attachments';
    issues.push({ path: `${path}.${field}`, message: `An echoed text must be at most ${inboundLimits.singleTextBytes} bytes (UTF-8).` });
  }
  return issues;
}

function toEnvelope(event: MessagingEvent, pageId: string, standby: boolean, receivedAt: string): InboundEnvelope | null {
  const senderId = event.sender?.id;
  const recipientId = event.recipient?.id;
  const timestamp = event.timestamp;
  // The schema's refinement guarantees these for every kind handled below.
  if (senderId === undefined || recipientId === undefined || timestamp === undefined) return null;
  const base = { channelType: 'messenger' as const, channelKey: pageId, conversationKey: senderId, receivedAt };

  if (event.message?.is_echo) {
    const m = event.message;
    const content = contentOf(m.attachments ?? [], m.text);
    return {
      ...base,
      // The Page wrote to the customer: the customer is the recipient.
      conversationKey: recipientId,
      deliveryId: m.mid,
      event: {
        kind: 'echo',
        platformMessageId: m.mid,
        timestamp,
        ...(m.app_id != null && { appId: m.app_id }),
        ...content,
      },
    };
  }
  if (event.message) {
    const m = event.message;
    return {
      ...base,
      deliveryId: m.mid,
      event: {
        kind: 'message',
        platformMessageId: m.mid,
        timestamp,
        customer: { id: senderId },
        ...contentOf(m.attachments ?? [], m.text),
        ...(m.quick_reply && { payload: m.quick_reply.payload }),
        ...(standby && { standby: true }),
      },
    };
  }
  if (event.postback) {
    const p = event.postback;
    // Older postbacks carry no mid; sender and timestamp identify one tap.
    const id = p.mid ?? `postback:${senderId}:${timestamp}`;
    return {
      ...base,
      deliveryId: id,
      event: {
        kind: 'message',
        platformMessageId: id,
        timestamp,
        customer: { id: senderId },
        ...(p.title !== undefined && { text: p.title }),
        ...(p.payload !== undefined && { payload: p.payload }),
        ...(standby && { standby: true }),
      },
    };
  }
  if (event.delivery) {
    const d = event.delivery;
    return {
      ...base,
      event: {
        kind: 'delivery',
        timestamp,
        ...(d.mids && { mids: d.mids }),
        ...(d.watermark !== undefined && { watermark: d.watermark }),
      },
    };
  }
  if (event.read) {
    return { ...base, event: { kind: 'read', timestamp, watermark: event.read.watermark } };
  }
  const pass = event.pass_thread_control;
  const take = event.take_thread_control;
  if (pass || take) {
    const h = pass ?? take;
    return {
      ...base,
      event: {
        kind: 'handover',
        timestamp,
        action: pass ? 'pass' : 'take',
        ...(h?.new_owner_app_id != null && { newOwnerAppId: h.new_owner_app_id }),
        ...(h?.previous_owner_app_id != null && { previousOwnerAppId: h.previous_owner_app_id }),
        ...(h?.metadata !== undefined && { metadata: h.metadata }),
      },
    };
  }
  if (event.request_thread_control) {
    const r = event.request_thread_control;
    return {
      ...base,
      event: {
        kind: 'handover',
        timestamp,
        action: 'request',
        ...(r.requested_owner_app_id != null && { newOwnerAppId: r.requested_owner_app_id }),
        ...(r.metadata !== undefined && { metadata: r.metadata }),
      },
    };
  }
  return null;
}

/** Text and URL attachments of a message; templates have no URL, so their words become the text. */
function contentOf(attachments: MessengerAttachment[], text: string | undefined): { text?: string; attachments?: Attachment[] } {
  const reduced: Attachment[] = [];
  let templateText: string | undefined;
  for (const a of attachments) {
    if (a.type === 'template') {
      templateText ??= a.payload?.text ?? a.payload?.elements?.find((e) => e.title !== undefined)?.title;
      continue;
    }
    const url = a.payload?.url ?? a.url;
    if (url === undefined) continue;
    const name = a.payload?.title ?? a.title;
    // `fallback` is Meta's name for a shared link.
    reduced.push({ type: a.type === 'fallback' ? 'link' : a.type, url, ...(name !== undefined && { name }) });
  }
  const finalText = text ?? templateText;
  return {
    ...(finalText !== undefined && { text: finalText }),
    ...(reduced.length > 0 && { attachments: reduced }),
  };
}

/** The GET handshake: Meta's challenge to echo back when mode and verify token match, otherwise null. */
export function isMessengerVerification(query: Record<string, string | undefined> | null | undefined, verifyToken: string): string | null {
  if (!query || query['hub.mode'] !== 'subscribe') return null;
  const challenge = query['hub.challenge'];
  if (challenge === undefined || challenge.length === 0) return null;
  return secretTokensEqual(query['hub.verify_token'], verifyToken) ? challenge : null;
}
