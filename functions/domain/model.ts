import * as z from 'zod';
import { storedQueueHoursSchema } from './hours';

/**
 * The product's nouns: one zod schema per shape, and its type. No I/O, no SDK types.
 * Stores validate what they read with these schemas; the public API derives its own views
 * from them (`functions/admin/views.ts`), so a field added here is not public by accident.
 */

export const channelTypes = ['messenger', 'telegram'] as const;
export type ChannelType = (typeof channelTypes)[number];
export const routingRules = ['all-agents', 'available-agent'] as const;
export type RoutingRule = (typeof routingRules)[number];
export const chatStates = ['bot', 'waiting', 'offered', 'assigned', 'closed'] as const;
export type ChatState = (typeof chatStates)[number];
export type AgentStatus = 'active' | 'inactive' | 'offline';
export type Presence = 'active' | 'inactive';
export type MessageDirection = 'in' | 'out';
export const messageStatuses = ['received', 'pending', 'sent', 'delivered', 'read', 'failed'] as const;
export type MessageStatus = (typeof messageStatuses)[number];
export type CloseReason = 'agent' | 'timeout' | 'transfer' | 'handover' | 'supervisor' | 'inactivity' | 'maxWait';
export type WithdrawReason = 'timeout' | 'taken' | 'closed' | 'offline' | 'transfer';

export const settingsSchema = z.object({
  simultaneousChats: z.number().int().min(1),
  acceptTimeoutSeconds: z.number().int().min(1),
  siteUrl: z.string().optional(),
  notificationSoundUrl: z.string().optional(),
  /** The language whose quick replies an agent gets when none match the chat's language (`en` when unset). */
  defaultLanguage: z.string().optional(),
});
export type Settings = z.infer<typeof settingsSchema>;

export const defaultSettings: Settings = { simultaneousChats: 2, acceptTimeoutSeconds: 300 };

export const messengerAppSchema = z.object({ appId: z.string(), verifyToken: z.string(), createdAt: z.string() });
export type MessengerApp = z.infer<typeof messengerAppSchema>;

/** A channel (its tokens live in the secret store, never here). */
export const channelSchema = z.object({
  id: z.string(),
  type: z.enum(channelTypes),
  name: z.string(),
  active: z.boolean(),
  queueId: z.string().nullable(),
  language: z.string().nullable(),
  provisioningState: z.enum(['running', 'failed']),
  lastError: z.string().nullable(),
  humanAgentTag: z.boolean(),
  /** Whether customers' attachments reach agents (refused ones get the `attachmentRefused` reply) and agents may send files; absent means true. */
  customerAttachments: z.boolean().optional(),
  agentAttachments: z.boolean().optional(),
  /** Messenger: the Meta app and Page; Telegram: the bot. */
  appId: z.string().optional(),
  pageId: z.string().optional(),
  botUsername: z.string().optional(),
  createdAt: z.string(),
});
export type Channel = z.infer<typeof channelSchema>;

export const queueMembersSchema = z.object({ users: z.array(z.string()), groups: z.array(z.string()) });
export type QueueMembers = z.infer<typeof queueMembersSchema>;

export const queueSchema = z.object({
  id: z.string(),
  name: z.string(),
  routingRule: z.enum(routingRules),
  completionTimeoutSeconds: z.number().int().nullable(),
  members: queueMembersSchema,
  /** A chat accepted within this many seconds of its creation counts as answered within the service level. */
  serviceLevelSeconds: z.number().int().min(1).max(86_400).optional(),
  /** An assigned chat where neither the customer nor the agent wrote for this long closes (reason `inactivity`). */
  inactivityTimeoutSeconds: z.number().int().min(60).nullable().optional(),
  /** Opening hours (`domain/hours.ts`); none: always open. */
  hours: storedQueueHoursSchema.optional(),
  /** How long a chat may wait for an agent in this queue, and what then happens to it. */
  maxWaitSeconds: z.number().int().nullable().optional(),
  maxWaitAction: z.discriminatedUnion('type', [z.object({ type: z.literal('overflow'), queueId: z.string() }), z.object({ type: z.literal('close') })]).optional(),
  /** Tell a waiting customer their position in line this often. */
  positionUpdates: z.object({ everySeconds: z.number().int() }).nullable().optional(),
  /** Agents (and supervisors) must give a disposition when they close a chat of this queue. */
  dispositionRequired: z.boolean().optional(),
  createdAt: z.string(),
});
export type Queue = z.infer<typeof queueSchema>;

/** What a queue without its own `serviceLevelSeconds` uses. */
export const defaultServiceLevelSeconds = 60;

/** An agent as routing keeps it: presence, live connections, load, the queues they belong to. */
export const agentRecordSchema = z.object({
  id: z.string(),
  displayName: z.string(),
  groups: z.array(z.string()),
  /** Per-agent override of the `simultaneousChats` setting. */
  simultaneousChats: z.number().int().min(0).optional(),
  presence: z.enum(['active', 'inactive']),
  connections: z.number().int(),
  /** Chats in progress: offered + accepted. */
  load: z.number().int(),
  /** When the agent last took (accepted) a chat; absent if never. */
  lastTakenAt: z.string().optional(),
  queues: z.array(z.string()),
  /** When the agent's status (active / inactive / offline) last changed; absent if never since this was kept. */
  statusSince: z.string().optional(),
  /** Grows on every write that changes routing facts; writes are conditional on it. */
  rev: z.number().int(),
  createdAt: z.string(),
});
export type AgentRecord = z.infer<typeof agentRecordSchema>;

/** An agent as agents and admins see one: the status derived from presence and connections. */
export interface Agent {
  id: string;
  displayName: string;
  groups: string[];
  simultaneousChats?: number;
  status: AgentStatus;
  load: number;
  lastTakenAt?: string;
  connections: number;
  createdAt: string;
}

export const customerSchema = z.object({ id: z.string(), name: z.string(), avatarUrl: z.string().optional(), languageCode: z.string().optional() });
export type Customer = z.infer<typeof customerSchema>;

export const attachmentSchema = z.object({ type: z.string(), url: z.string(), name: z.string().optional() });
export type Attachment = z.infer<typeof attachmentSchema>;

/** A customer's answer to the satisfaction survey (thumbs are stored as 5 and 1). */
export const surveyAnswerSchema = z.object({ rating: z.number().int(), comment: z.string().optional(), answeredAt: z.string() });
export type SurveyAnswer = z.infer<typeof surveyAnswerSchema>;

/** What the agent who transferred a chat left for the next one. */
export const transferNoteSchema = z.object({ text: z.string(), fromAgentId: z.string(), fromAgentName: z.string() });
export type TransferNote = z.infer<typeof transferNoteSchema>;

/** The customer's first message, shortened: what an offer shows before the chat is accepted. */
export const chatPreviewSchema = z.object({ text: z.string().optional(), attachments: z.number().int().optional(), sentAt: z.string() });
export type ChatPreview = z.infer<typeof chatPreviewSchema>;
/** Characters of the first message an offer shows. */
export const previewChars = 140;

/** The preview of a chat's first message (text cut at `previewChars`, whole characters only). */
export function previewOf(message: { text?: string; attachments?: unknown[]; sentAt: string }): ChatPreview {
  const chars = message.text === undefined ? undefined : [...message.text];
  const text = chars === undefined ? undefined : chars.length > previewChars ? `${chars.slice(0, previewChars - 1).join('')}…` : message.text;
  return { ...(text !== undefined ? { text } : {}), ...(message.attachments?.length ? { attachments: message.attachments.length } : {}), sentAt: message.sentAt };
}

/** A chat as agents see it. */
export const chatSchema = z.object({
  id: z.string(),
  channelId: z.string(),
  channelType: z.enum(channelTypes),
  queueId: z.string().nullable(),
  state: z.enum(chatStates),
  agentId: z.string().nullable(),
  customer: customerSchema,
  contactId: z.string().nullable(),
  language: z.string().nullable(),
  createdAt: z.string(),
  lastMessageAt: z.string(),
  /** Grows on every state change; timers carry it so a stale timer changes nothing. */
  version: z.number().int(),
  /** The customer blocked the bot: replies cannot reach them until they write again. */
  customerBlocked: z.boolean().optional(),
  /** Messenger handover: what the bot passed along with the thread, and the bot's app id to pass it back to. */
  handoverMetadata: z.string().optional(),
  botAppId: z.string().optional(),
  /** When the customer's last message reached us (the chat's creation until they write again): the messaging window's start. */
  customerWroteAt: z.string().optional(),
  /** The customer's answer to the satisfaction survey sent when the chat closed. */
  survey: surveyAnswerSchema.optional(),
  /** Left by the agent who last transferred the chat (`transfer` with a `note`). */
  transferNote: transferNoteSchema.optional(),
  /** The wrap-up given when the chat was closed: its disposition (as labelled then) and tags. */
  disposition: z.object({ id: z.string(), label: z.string() }).optional(),
  tags: z.array(z.string()).optional(),
});
export type Chat = z.infer<typeof chatSchema>;

/** What routing keeps on a chat beside what agents see. */
export const routingStateSchema = z.object({
  /** Agents holding an offer for this chat now. */
  offeredTo: z.array(z.string()).default([]),
  /** Agents whose offer of this chat timed out; passed over while others can take it. */
  skipped: z.array(z.string()).default([]),
  /** Set by an agent message while a completion timeout runs; a customer message clears it. */
  completionToken: z.string().optional(),
  closedAt: z.string().optional(),
  closeReason: z.string().optional(),
  /** Until when supervisors may be watching the chat (its latest watch's expiry); unwatched chats have none. */
  watchedUntil: z.string().optional(),
  /** Report facts kept on the chat: when an agent last accepted it, the first agent reply, messages each way. */
  assignedAt: z.string().optional(),
  firstReplyAt: z.string().optional(),
  messagesIn: z.number().int().optional(),
  messagesOut: z.number().int().optional(),
  /** When the satisfaction survey was sent to the customer (answers count for 24 h after). */
  surveySentAt: z.string().optional(),
  /** When the customer or the agent last wrote, by our clock (the inactivity timeout counts from it, or from `assignedAt` if later). */
  lastActivityAt: z.string().optional(),
  /** When the agent holding the chat got it (accept, or a supervisor's forced move); names the assignment to its inactivity timer. */
  heldSince: z.string().optional(),
  /** The customer's first message, for offers (written with the chat, read with it: no extra request). */
  firstMessage: chatPreviewSchema.optional(),
});

/** A chat with its routing state: what the stores keep and the services decide on. */
export const routedChatSchema = chatSchema.extend(routingStateSchema.shape);
export type RoutedChat = z.infer<typeof routedChatSchema>;

/** The chat as agents see it, without the routing state. */
export function chatView(chat: RoutedChat): Chat {
  const { offeredTo: _o, skipped: _s, completionToken: _c, closedAt: _ca, closeReason: _cr, assignedAt: _a, firstReplyAt: _f, messagesIn: _mi, messagesOut: _mo, surveySentAt: _ss, watchedUntil: _w, lastActivityAt: _la, heldSince: _hs, firstMessage: _fm, ...view } = chat;
  return view;
}

/** Start of a chat's messaging window: when the customer last wrote, by the platform's clock (as Meta counts it). */
export function customerLastWroteAt(chat: Pick<Chat, 'customerWroteAt' | 'lastMessageAt'>): string {
  return chat.customerWroteAt ?? chat.lastMessageAt;
}

export const messageSchema = z.object({
  id: z.string(),
  chatId: z.string(),
  direction: z.enum(['in', 'out']),
  text: z.string().optional(),
  attachments: z.array(attachmentSchema).optional(),
  /** Quick-reply, postback or callback payload chosen by the customer. */
  payload: z.string().optional(),
  sentAt: z.string(),
  status: z.enum(messageStatuses),
  agentId: z.string().optional(),
  /** The platform's id (Messenger `mid`, Telegram message id) once known. */
  platformMessageId: z.string().optional(),
  error: z.string().optional(),
  /** Set when the customer edited the message (Telegram). */
  editedAt: z.string().optional(),
  /** How many attachments the customer sent that the channel does not take (never kept; see `customerAttachments`). */
  refusedAttachments: z.number().int().min(1).optional(),
});
export type Message = z.infer<typeof messageSchema>;

/** A message as stored: with the agent client's own id, remembered so a retried reply is stored once. */
export const storedMessageSchema = messageSchema.extend({ clientMessageId: z.string().optional() });
export type StoredMessage = z.infer<typeof storedMessageSchema>;

export function messageView(stored: StoredMessage): Message {
  const { clientMessageId: _c, ...message } = stored;
  return message;
}

export const offerSchema = z.object({
  chatId: z.string(),
  agentId: z.string(),
  offeredAt: z.string(),
  /** Set for the available-agent rule, where the offer times out. */
  expiresAt: z.string().optional(),
});
export type Offer = z.infer<typeof offerSchema>;

/** An agent's reply (or a thread pass-back) on its way to the platform, through the outbound queue. */
export const outboundJobSchema = z.object({
  chatId: z.string(),
  messageId: z.string(),
  sentAt: z.string(),
  /** Hands a Messenger thread back to another app (the bot) after the chat's last message. */
  threadControl: z.object({ action: z.literal('pass'), targetAppId: z.string(), metadata: z.string().optional() }).optional(),
  /** Answer buttons sent with the message's text (Messenger quick replies, a Telegram inline keyboard). */
  buttons: z.array(z.object({ title: z.string(), payload: z.string() })).max(13).optional(),
});
export type OutboundJob = z.infer<typeof outboundJobSchema>;
export type ThreadControlJob = OutboundJob & { threadControl: NonNullable<OutboundJob['threadControl']> };

/** A timer that routing arms; it fires once, carrying what it was armed for. */
export const timerPayloadSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('acceptTimeout'), chatId: z.string(), agentId: z.string(), version: z.number().int() }),
  z.object({ kind: z.literal('completionTimeout'), chatId: z.string(), token: z.string() }),
  z.object({ kind: z.literal('allAgentsBusy'), chatId: z.string() }),
  /** Armed when a chat is assigned; `heldSince` names that assignment, so only the latest assignment's timer acts. */
  z.object({ kind: z.literal('inactivityTimeout'), chatId: z.string(), heldSince: z.string() }),
  /** A closed queue opens: its waiting chats are routed (`chatId`: a chat that was waiting when it was armed). */
  z.object({ kind: z.literal('queueOpens'), chatId: z.string(), queueId: z.string() }),
  /** A chat's wait in a queue reaches the queue's `maxWaitSeconds`. */
  z.object({ kind: z.literal('maxWait'), chatId: z.string(), queueId: z.string() }),
  /** Time to tell a waiting customer their position in line (armed again while they wait). */
  z.object({ kind: z.literal('positionInLine'), chatId: z.string(), queueId: z.string() }),
]);
export type TimerPayload = z.infer<typeof timerPayloadSchema>;

/** A Messenger profile as last fetched; `none` when Meta has none to give (error 2018218). */
export const cachedProfileSchema = z.object({
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  profilePic: z.string().optional(),
  /** Meta's `locale` (`pt_BR`), when the app may read it. */
  locale: z.string().optional(),
  none: z.boolean().optional(),
  fetchedAt: z.string(),
});
export type CachedProfile = z.infer<typeof cachedProfileSchema>;

const automatedTexts = z.object({
  greeting: z.string().optional(),
  allAgentsBusy: z.string().optional(),
  closing: z.string().optional(),
  attachmentRefused: z.string().optional(),
  /** A chat arrives at a queue outside its hours. */
  outOfHours: z.string().optional(),
  /** A chat waited the queue's `maxWaitSeconds` and is closed. */
  maxWaitExpired: z.string().optional(),
  /** The customer's place in line; `{position}` is replaced by it. */
  positionInLine: z.string().optional(),
});
/** A channel's automated messages per language (`default` when no language matches), and the busy notice's wait. */
export const automatedMessagesSchema = z.object({
  languages: z.record(z.string(), automatedTexts),
  allAgentsBusyAfterSeconds: z.number().int().min(1).nullable(),
});
export type AutomatedMessageTexts = z.infer<typeof automatedMessagesSchema>;

export const chatActionSchema = z.object({ id: z.string(), caption: z.string(), queueId: z.string(), detailType: z.string(), createdAt: z.string() });
export type ChatAction = z.infer<typeof chatActionSchema>;

export const quickReplySchema = z.object({ id: z.string(), language: z.string(), text: z.string(), queueId: z.string().nullable(), createdAt: z.string() });
export type QuickReply = z.infer<typeof quickReplySchema>;

export const contactSchema = z.object({ id: z.string(), name: z.string(), email: z.string().optional(), phone: z.string().optional(), createdAt: z.string() });
export type Contact = z.infer<typeof contactSchema>;

const languageTexts = z.record(z.string(), z.string());
/** A channel's satisfaction survey, sent when a chat closes (agent, supervisor, timeout). */
export const surveySettingsSchema = z.object({
  enabled: z.boolean(),
  scale: z.enum(['1-5', 'thumbs']),
  questions: languageTexts,
  commentPrompt: languageTexts.optional(),
  thankYou: languageTexts,
});
export type SurveySettings = z.infer<typeof surveySettingsSchema>;
