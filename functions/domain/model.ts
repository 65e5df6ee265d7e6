import * as z from 'zod/mini';
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
  simultaneousChats: z.number().check(z.int(), z.gte(1)),
  acceptTimeoutSeconds: z.number().check(z.int(), z.gte(1)),
  siteUrl: z.optional(z.string()),
  notificationSoundUrl: z.optional(z.string()),
  /** The language whose quick replies an agent gets when none match the chat's language (`en` when unset). */
  defaultLanguage: z.optional(z.string()),
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
  queueId: z.nullable(z.string()),
  language: z.nullable(z.string()),
  provisioningState: z.enum(['running', 'failed']),
  lastError: z.nullable(z.string()),
  humanAgentTag: z.boolean(),
  /** Whether customers' attachments reach agents (refused ones get the `attachmentRefused` reply) and agents may send files; absent means true. */
  customerAttachments: z.optional(z.boolean()),
  agentAttachments: z.optional(z.boolean()),
  /** Messenger: the Meta app and Page; Telegram: the bot. */
  appId: z.optional(z.string()),
  pageId: z.optional(z.string()),
  botUsername: z.optional(z.string()),
  createdAt: z.string(),
});
export type Channel = z.infer<typeof channelSchema>;

export const queueMembersSchema = z.object({ users: z.array(z.string()), groups: z.array(z.string()) });
export type QueueMembers = z.infer<typeof queueMembersSchema>;

export const queueSchema = z.object({
  id: z.string(),
  name: z.string(),
  routingRule: z.enum(routingRules),
  completionTimeoutSeconds: z.nullable(z.number().check(z.int())),
  members: queueMembersSchema,
  /** A chat accepted within this many seconds of its creation counts as answered within the service level. */
  serviceLevelSeconds: z.optional(z.number().check(z.int(), z.gte(1), z.lte(86_400))),
  /** An assigned chat where neither the customer nor the agent wrote for this long closes (reason `inactivity`). */
  inactivityTimeoutSeconds: z.optional(z.nullable(z.number().check(z.int(), z.gte(60)))),
  /** Opening hours (`domain/hours.ts`); none: always open. */
  hours: z.optional(storedQueueHoursSchema),
  /** How long a chat may wait for an agent in this queue, and what then happens to it. */
  maxWaitSeconds: z.optional(z.nullable(z.number().check(z.int()))),
  maxWaitAction: z.optional(z.discriminatedUnion('type', [z.object({ type: z.literal('overflow'), queueId: z.string() }), z.object({ type: z.literal('close') })])),
  /** Tell a waiting customer their position in line this often. */
  positionUpdates: z.optional(z.nullable(z.object({ everySeconds: z.number().check(z.int()) }))),
  /** Agents (and supervisors) must give a disposition when they close a chat of this queue. */
  dispositionRequired: z.optional(z.boolean()),
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
  simultaneousChats: z.optional(z.number().check(z.int(), z.gte(0))),
  presence: z.enum(['active', 'inactive']),
  connections: z.number().check(z.int()),
  /** Chats in progress: offered + accepted. */
  load: z.number().check(z.int()),
  /** When the agent last took (accepted) a chat; absent if never. */
  lastTakenAt: z.optional(z.string()),
  queues: z.array(z.string()),
  /** When the agent's status (active / inactive / offline) last changed; absent if never since this was kept. */
  statusSince: z.optional(z.string()),
  /** Grows on every write that changes routing facts; writes are conditional on it. */
  rev: z.number().check(z.int()),
  createdAt: z.string(),
  /**
   * The agent's pending offers by chat id, kept with the agent (whose item every offer, accept and
   * withdrawal rewrites anyway for its load) rather than in an item of their own, each with the
   * chat's version it was made against. Read and written by the routing store only; absent when
   * there are none. One the chat does not list is a decision under way or stopped halfway.
   */
  offers: z.optional(z.record(z.string(), z.object({ offeredAt: z.string(), expiresAt: z.optional(z.string()), chatVersion: z.optional(z.number().check(z.int())) }))),
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

export const customerSchema = z.object({ id: z.string(), name: z.string(), avatarUrl: z.optional(z.string()), languageCode: z.optional(z.string()) });
export type Customer = z.infer<typeof customerSchema>;

export const attachmentSchema = z.object({ type: z.string(), url: z.string(), name: z.optional(z.string()) });
export type Attachment = z.infer<typeof attachmentSchema>;

/** A customer's answer to the satisfaction survey (thumbs are stored as 5 and 1). */
export const surveyAnswerSchema = z.object({ rating: z.number().check(z.int()), comment: z.optional(z.string()), answeredAt: z.string() });
export type SurveyAnswer = z.infer<typeof surveyAnswerSchema>;

/** What the agent who transferred a chat left for the next one. */
export const transferNoteSchema = z.object({ text: z.string(), fromAgentId: z.string(), fromAgentName: z.string() });
export type TransferNote = z.infer<typeof transferNoteSchema>;

/** The customer's first message, shortened: what an offer shows before the chat is accepted. */
export const chatPreviewSchema = z.object({ text: z.optional(z.string()), attachments: z.optional(z.number().check(z.int())), sentAt: z.string() });
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
  queueId: z.nullable(z.string()),
  state: z.enum(chatStates),
  agentId: z.nullable(z.string()),
  customer: customerSchema,
  contactId: z.nullable(z.string()),
  language: z.nullable(z.string()),
  createdAt: z.string(),
  lastMessageAt: z.string(),
  /** Grows on every state change; timers carry it so a stale timer changes nothing. */
  version: z.number().check(z.int()),
  /** The customer blocked the bot: replies cannot reach them until they write again. */
  customerBlocked: z.optional(z.boolean()),
  /** Messenger handover: what the bot passed along with the thread, and the bot's app id to pass it back to. */
  handoverMetadata: z.optional(z.string()),
  botAppId: z.optional(z.string()),
  /** When the customer's last message reached us (the chat's creation until they write again): the messaging window's start. */
  customerWroteAt: z.optional(z.string()),
  /** The customer's answer to the satisfaction survey sent when the chat closed. */
  survey: z.optional(surveyAnswerSchema),
  /** Left by the agent who last transferred the chat (`transfer` with a `note`). */
  transferNote: z.optional(transferNoteSchema),
  /** The wrap-up given when the chat was closed: its disposition (as labelled then) and tags. */
  disposition: z.optional(z.object({ id: z.string(), label: z.string() })),
  tags: z.optional(z.array(z.string())),
});
export type Chat = z.infer<typeof chatSchema>;

/** What routing keeps on a chat beside what agents see. */
export const routingStateSchema = z.object({
  /** Agents holding an offer for this chat now. */
  offeredTo: z._default(z.array(z.string()), []),
  /** Agents whose offer of this chat timed out; passed over while others can take it. */
  skipped: z._default(z.array(z.string()), []),
  /** Set by an agent message while a completion timeout runs; a customer message clears it. */
  completionToken: z.optional(z.string()),
  closedAt: z.optional(z.string()),
  closeReason: z.optional(z.string()),
  /** Until when supervisors may be watching the chat (its latest watch's expiry); unwatched chats have none. */
  watchedUntil: z.optional(z.string()),
  /** Report facts kept on the chat: when an agent last accepted it, the first agent reply, messages each way. */
  assignedAt: z.optional(z.string()),
  firstReplyAt: z.optional(z.string()),
  messagesIn: z.optional(z.number().check(z.int())),
  messagesOut: z.optional(z.number().check(z.int())),
  /** When the satisfaction survey was sent to the customer (answers count for 24 h after). */
  surveySentAt: z.optional(z.string()),
  /** When the customer or the agent last wrote, by our clock (the inactivity timeout counts from it, or from `assignedAt` if later). */
  lastActivityAt: z.optional(z.string()),
  /** When the agent holding the chat got it (accept, or a supervisor's forced move); names the assignment to its inactivity timer. */
  heldSince: z.optional(z.string()),
});

/** A chat with its routing state: what the stores keep and the services decide on. */
export const routedChatSchema = z.extend(chatSchema, routingStateSchema.shape);
export type RoutedChat = z.infer<typeof routedChatSchema>;

/** The chat as agents see it, without the routing state. */
export function chatView(chat: RoutedChat): Chat {
  const { offeredTo: _o, skipped: _s, completionToken: _c, closedAt: _ca, closeReason: _cr, assignedAt: _a, firstReplyAt: _f, messagesIn: _mi, messagesOut: _mo, surveySentAt: _ss, watchedUntil: _w, lastActivityAt: _la, heldSince: _hs, ...view } = chat;
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
  text: z.optional(z.string()),
  attachments: z.optional(z.array(attachmentSchema)),
  /** Quick-reply, postback or callback payload chosen by the customer. */
  payload: z.optional(z.string()),
  sentAt: z.string(),
  status: z.enum(messageStatuses),
  agentId: z.optional(z.string()),
  /** The platform's id (Messenger `mid`, Telegram message id) once known. */
  platformMessageId: z.optional(z.string()),
  error: z.optional(z.string()),
  /** Set when the customer edited the message (Telegram). */
  editedAt: z.optional(z.string()),
  /** How many attachments the customer sent that the channel does not take (never kept; see `customerAttachments`). */
  refusedAttachments: z.optional(z.number().check(z.int(), z.gte(1))),
});
export type Message = z.infer<typeof messageSchema>;

/** A message as stored: with the agent client's own id, remembered so a retried reply is stored once. */
export const storedMessageSchema = z.extend(messageSchema, { clientMessageId: z.optional(z.string()) });
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
  expiresAt: z.optional(z.string()),
});
export type Offer = z.infer<typeof offerSchema>;

/** An agent's reply (or a thread pass-back) on its way to the platform, through the outbound queue. */
export const outboundJobSchema = z.object({
  chatId: z.string(),
  messageId: z.string(),
  sentAt: z.string(),
  /** Hands a Messenger thread back to another app (the bot) after the chat's last message. */
  threadControl: z.optional(z.object({ action: z.literal('pass'), targetAppId: z.string(), metadata: z.optional(z.string()) })),
  /** Answer buttons sent with the message's text (Messenger quick replies, a Telegram inline keyboard). */
  buttons: z.optional(z.array(z.object({ title: z.string(), payload: z.string() })).check(z.maxLength(13))),
});
export type OutboundJob = z.infer<typeof outboundJobSchema>;
export type ThreadControlJob = OutboundJob & { threadControl: NonNullable<OutboundJob['threadControl']> };

/** A timer that routing arms; it fires once, carrying what it was armed for. */
export const timerPayloadSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('acceptTimeout'), chatId: z.string(), agentId: z.string(), version: z.number().check(z.int()) }),
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
  firstName: z.optional(z.string()),
  lastName: z.optional(z.string()),
  profilePic: z.optional(z.string()),
  /** Meta's `locale` (`pt_BR`), when the app may read it. */
  locale: z.optional(z.string()),
  none: z.optional(z.boolean()),
  fetchedAt: z.string(),
});
export type CachedProfile = z.infer<typeof cachedProfileSchema>;

const automatedTexts = z.object({
  greeting: z.optional(z.string()),
  allAgentsBusy: z.optional(z.string()),
  closing: z.optional(z.string()),
  attachmentRefused: z.optional(z.string()),
  /** A chat arrives at a queue outside its hours. */
  outOfHours: z.optional(z.string()),
  /** A chat waited the queue's `maxWaitSeconds` and is closed. */
  maxWaitExpired: z.optional(z.string()),
  /** The customer's place in line; `{position}` is replaced by it. */
  positionInLine: z.optional(z.string()),
});
/** A channel's automated messages per language (`default` when no language matches), and the busy notice's wait. */
export const automatedMessagesSchema = z.object({
  languages: z.record(z.string(), automatedTexts),
  allAgentsBusyAfterSeconds: z.nullable(z.number().check(z.int(), z.gte(1))),
});
export type AutomatedMessageTexts = z.infer<typeof automatedMessagesSchema>;

export const chatActionSchema = z.object({ id: z.string(), caption: z.string(), queueId: z.string(), detailType: z.string(), createdAt: z.string() });
export type ChatAction = z.infer<typeof chatActionSchema>;

export const quickReplySchema = z.object({ id: z.string(), language: z.string(), text: z.string(), queueId: z.nullable(z.string()), createdAt: z.string() });
export type QuickReply = z.infer<typeof quickReplySchema>;

export const contactSchema = z.object({ id: z.string(), name: z.string(), email: z.optional(z.string()), phone: z.optional(z.string()), createdAt: z.string() });
export type Contact = z.infer<typeof contactSchema>;

const languageTexts = z.record(z.string(), z.string());
/** A channel's satisfaction survey, sent when a chat closes (agent, supervisor, timeout). */
export const surveySettingsSchema = z.object({
  enabled: z.boolean(),
  scale: z.enum(['1-5', 'thumbs']),
  questions: languageTexts,
  commentPrompt: z.optional(languageTexts),
  thankYou: languageTexts,
});
export type SurveySettings = z.infer<typeof surveySettingsSchema>;
