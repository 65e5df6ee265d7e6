import type {
  Agent,
  AgentRecord,
  AgentStatus,
  AutomatedMessageTexts,
  CachedProfile,
  Channel,
  Chat,
  ChatPreview,
  TransferNote,
  ChatAction,
  ChatState,
  CloseReason,
  Contact,
  Message,
  MessengerApp,
  Offer,
  OutboundJob,
  Presence,
  Queue,
  QuickReply,
  RoutedChat,
  RoutingRule,
  Settings,
  StoredMessage,
  SurveySettings,
  TimerPayload,
  WithdrawReason,
} from './model';
import type { Candidate } from './routing';
import type { ReportCounters } from './report';
import type { Disposition, Note, WrapUp } from './wrap-up';

export type { OutboundJob, TimerPayload };

/** What an agent's client is told (docs/websocket.md, server → client, state events). */
export type AgentEvent =
  /** `preview`: the customer's first message; `transferNote`: what the agent who transferred the chat left. */
  | { type: 'chatOffered'; chat: Chat; expiresAt?: string; preview?: ChatPreview; transferNote?: TransferNote }
  | { type: 'offerWithdrawn'; chatId: string; reason: WithdrawReason }
  /** `messages`: the newest that fit a frame; `olderCursor` when older ones exist (read them with `history`). */
  | { type: 'chatAssigned'; chat: Chat; messages: Message[]; olderCursor?: string }
  | { type: 'message'; chatId: string; message: Message }
  | { type: 'messageStatus'; chatId: string; messageId: string; status: Message['status']; error?: string }
  | { type: 'chatClosed'; chatId: string; reason: CloseReason }
  | { type: 'statusChanged'; status: AgentStatus; reason?: string }
  /** A private note added to a chat the agent holds (or watches); never sent to the customer. */
  | { type: 'noteAdded'; chatId: string; note: Note };

/** Delivers state events to every live connection of an agent, and keeps them for `sync`. */
export interface AgentNotifier {
  notify(agentId: string, event: AgentEvent): Promise<void>;
}

/** What a routing pass of a queue is told besides what the eventually consistent indexes show: chats just created, agents who just gained capacity. */
export interface RouteHints {
  chats: RoutedChat[];
  agents: AgentRecord[];
}

/**
 * Routing passes of one queue, joined within an invocation: a pass asked for while one runs is
 * done, with the hints of every such request, by one further pass, instead of racing the running
 * one over the same chats and agents (ten new chats of a batch would otherwise be ten passes, each
 * trying to offer the same oldest chats to the same agents). Without it, every request is a pass.
 */
export interface RoutingPasses {
  join(queueId: string, hints: RouteHints, pass: (hints: RouteHints) => Promise<void>): Promise<void>;
}

/**
 * One-time timers: a delayed message on the timer queue, in AWS and locally alike. A timer fires
 * once (at least once: a duplicate delivery is possible), never before `at`. There is no
 * disarming: a timer that fires for a state that has moved on (its version or token is stale)
 * changes nothing.
 */
export interface Timers {
  arm(at: Date, payload: TimerPayload): Promise<void>;
}

/** Integration events on the product's bus (docs/events.md). */
export interface EventPublisher {
  publish(detailType: string, detail: Record<string, unknown>): Promise<void>;
}

export interface OutboundQueue {
  enqueue(job: OutboundJob): Promise<void>;
}

/**
 * Business figures for the operations dashboard: counts, and durations in milliseconds.
 * Published when the invocation ends (CloudWatch embedded metric format in AWS).
 */
export interface ProductMetrics {
  count(name: string, value?: number): void;
  duration(name: string, millis: number): void;
}

// ---- stores --------------------------------------------------------------------------
// What the services keep and read, in the product's words. The DynamoDB adapters in
// `functions/adapters/dynamodb/` implement them; tests may use in-memory ones.

/**
 * A page of a list to read: at most `limit` items, after the position `after` names (the `next`
 * of the previous page of the same list). Tokens are opaque: only the store that gave one out
 * reads it, and a store refuses a token it did not give out for that very list
 * (`InvalidNextToken`, the management API's 400 `invalid_token`).
 */
export interface PageRequest {
  limit: number;
  after?: string;
}

/** One page of a list; `next` when more follows. */
export interface Page<T> {
  items: T[];
  next?: string;
}

/** Of two concurrent decisions exactly one lands (`done`); the other is `lost` and decides again from fresh reads. */
export type Outcome = 'done' | 'lost';

/** A delivery to remember so a retry is stored once: a platform's message id, or an agent's `clientMessageId`. */
export interface DeliveryRef {
  channelType: string;
  channelKey: string;
  deliveryId: string;
}

/** Locates a message within its chat. */
export interface MessageRef {
  chatId: string;
  sentAt: string;
  id: string;
}

export interface NewMessage {
  message: StoredMessage;
  /** Further parts of a long customer text, stored with `message` in one transaction, in this order. */
  continuation?: Message[];
  delivery?: DeliveryRef;
  /** A customer message for a chat read as open: if a close landed first, `append` throws `ChatClosedMeanwhile` and stores nothing. */
  whileOpen?: boolean;
  /** The chat's channel, customer and customer message count, when the caller has read the chat (the store then need not read it again). */
  conversation?: { channelId: string; customerId: string; messagesIn?: number };
  /** An agent's reply: stored only while the chat is assigned to this agent, else `append` throws `ChatNoLongerHeld` and stores nothing. */
  heldBy?: string;
}

/** The chat was closed, transferred or reassigned between reading it and storing the agent's reply (see `NewMessage.heldBy`). */
export class ChatNoLongerHeld extends Error {
  constructor(readonly chatId: string) {
    super(`Chat ${chatId} is no longer held by the agent.`);
    this.name = 'ChatNoLongerHeld';
  }
}

/** The chat closed between reading it and appending a customer message to it (see `NewMessage.whileOpen`). */
export class ChatClosedMeanwhile extends Error {
  constructor(readonly chatId: string) {
    super(`Chat ${chatId} closed before the message was stored.`);
    this.name = 'ChatClosedMeanwhile';
  }
}

/** The configuration admins keep (settings, Meta apps, channels, queues, agents) as routing reads it. */
export interface Directory {
  settings(): Promise<Settings>;
  saveSettings(settings: Settings): Promise<void>;
  messengerApp(appId: string): Promise<MessengerApp | undefined>;
  /** Registers a Meta app; `lost` when one with that app id exists already. */
  createMessengerApp(app: MessengerApp): Promise<Outcome>;
  saveMessengerApp(app: MessengerApp): Promise<void>;
  channel(id: string): Promise<Channel | undefined>;
  channelOfPage(pageId: string): Promise<Channel | undefined>;
  /** Creates a channel; `lost` when its Messenger Page backs a channel already. */
  createChannel(channel: Channel): Promise<Outcome>;
  saveChannel(channel: Channel): Promise<void>;
  listChannels(): Promise<Channel[]>;
  queue(id: string): Promise<Queue | undefined>;
  listQueues(): Promise<Queue[]>;
  saveQueue(queue: Queue): Promise<void>;
  agentItem(id: string, consistent?: boolean): Promise<AgentRecord | undefined>;
  agent(id: string): Promise<Agent | undefined>;
  listAgentItems(): Promise<AgentRecord[]>;
  queuesPage(page: PageRequest): Promise<Page<Queue>>;
  channelsPage(page: PageRequest): Promise<Page<Channel>>;
  messengerAppsPage(page: PageRequest): Promise<Page<MessengerApp>>;
  agentItemsPage(page: PageRequest): Promise<Page<AgentRecord>>;
}

/** Chats, their conversations and their messages. */
export interface ChatStore {
  chat(id: string, consistent?: boolean): Promise<RoutedChat | undefined>;
  /** The open chat of a customer on a channel, if any. */
  openChatOf(channelId: string, customerId: string): Promise<RoutedChat | undefined>;
  openChatIdOf(channelId: string, customerId: string): Promise<string | undefined>;
  /** Opens a chat (from `newChat()`) with its first message; false when the customer has an open chat already, or the delivery was seen. */
  openChat(chat: RoutedChat, first: NewMessage): Promise<boolean>;
  /** Opens a chat with no message yet (a thread a bot handed over); false when one is open. */
  openEmptyChat(chat: RoutedChat): Promise<boolean>;
  /** Adds a message to an open chat; false when the delivery was seen before. */
  append(chatId: string, entry: NewMessage, now: Date): Promise<boolean>;
  messages(chatId: string, limit?: number): Promise<Message[]>;
  /** The chat's first customer message (for offers: read when offering, never kept on the chat item, which every message rewrites). */
  firstCustomerMessage(chatId: string): Promise<Message | undefined>;
  messagePage(
    chatId: string,
    opts?: { before?: { sentAt: string; id: string }; maxBytes?: number; maxCount?: number },
  ): Promise<{ messages: Message[]; olderCursor?: string }>;
  messagesUpTo(chatId: string, upTo: string, limit: number): Promise<StoredMessage[]>;
  messageAt(ref: MessageRef): Promise<Message | undefined>;
  setMessageStatus(ref: MessageRef, update: { status: Message['status']; platformMessageId?: string; error?: string }): Promise<Message>;
  /** Moves a message's status forward only (sent → delivered → read); false when it was already there. */
  advanceStatus(ref: MessageRef, status: 'delivered' | 'read'): Promise<boolean>;
  deliveredMessageId(delivery: DeliveryRef): Promise<string | undefined>;
  cachedProfile(channelId: string, customerId: string): Promise<CachedProfile | undefined>;
  cacheProfile(channelId: string, customerId: string, profile: CachedProfile, keepSeconds: number): Promise<void>;
  automatedMessages(channelId: string): Promise<AutomatedMessageTexts | undefined>;
  saveAutomatedMessages(channelId: string, settings: AutomatedMessageTexts): Promise<void>;
  /** A chat the bot held enters routing in a queue (Messenger handover). */
  enterRouting(chat: RoutedChat, to: { queueId: string; metadata?: string; botAppId?: string }): Promise<Outcome>;
}

/**
 * The decisions routing races on. Each is conditional on the versions it was given (`rev` of
 * an agent, `version` of a chat), so of two concurrent decisions exactly one lands.
 */
export interface RoutingStore {
  /** Agents of a queue who can take a chat now, best first (may lag a moment; the decisions re-check). */
  readyCandidates(queueId: string, limit: number): Promise<Candidate[]>;
  /** One page of the chats waiting in a queue for an agent, oldest first. */
  waitingChats(queueId: string, limit: number, after?: string): Promise<Page<RoutedChat>>;
  offersOf(agentId: string): Promise<Offer[]>;
  chatIdsHeldBy(agentId: string): Promise<string[]>;
  offer(chatId: string, agentId: string): Promise<Offer | undefined>;
  agent(agentId: string): Promise<AgentRecord | undefined>;
  /** Saves an agent read at `before` (undefined: a new agent), with the queues' view of them. */
  saveAgent(before: AgentRecord | undefined, after: AgentRecord, settings: Settings): Promise<Outcome>;
  /** A connection opened: the agent's connection count grows and the connection is remembered, together. */
  connectAgent(agent: AgentRecord, connectionId: string, settings: Settings, now: Date): Promise<Outcome>;
  /** A connection closed: the count falls and the connection is forgotten, together; `lost` if it was forgotten already. */
  disconnectAgent(agent: AgentRecord, connectionId: string, settings: Settings): Promise<Outcome>;
  offerChat(input: { chat: RoutedChat; agent: AgentRecord; settings: Settings; rule: RoutingRule; now: Date; expiresAt?: Date }): Promise<Outcome>;
  /**
   * Takes back an offer the agent holds and the chat does not list (a decision that lost the
   * chat, or stopped halfway); nothing when the chat lists it or the agent holds none.
   */
  releaseOffer(chatId: string, agentId: string, settings: Settings): Promise<void>;
  acceptChat(input: { chat: RoutedChat; agent: AgentRecord; settings: Settings; now: Date }): Promise<Outcome>;
  withdrawOffer(input: {
    chat: RoutedChat;
    agent: AgentRecord;
    settings: Settings;
    reason: WithdrawReason;
    requeue: boolean;
    now: Date;
    presence?: Presence;
  }): Promise<Outcome>;
  /** `wrapUp` (disposition, tags) is kept on the chat in the same write. With `quiet`, the close also loses (`lost`) if either side wrote since the chat was read (its message counts moved). */
  closeChat(input: { chat: RoutedChat; agent?: AgentRecord; settings: Settings; reason: CloseReason; now: Date; quiet?: boolean; wrapUp?: WrapUp }): Promise<Outcome>;
  /** `note`: kept on the chat as its `transferNote` (none removes an earlier one). */
  releaseChat(input: { chat: RoutedChat; agent: AgentRecord; settings: Settings; toQueueId: string; now: Date; note?: TransferNote }): Promise<Outcome>;
  handOver(input: { chat: RoutedChat; from: AgentRecord; to: AgentRecord; settings: Settings; now: Date; expiresAt?: Date; note?: TransferNote }): Promise<Outcome>;
  setCompletionToken(chat: RoutedChat, token: string | undefined): Promise<Outcome>;
  /**
   * A supervisor moves a chat, in one write: the pending offers of `withdraw` are taken back (each
   * agent's load falls), the agent holding it (`from`) lets go, and the chat goes to another queue
   * (waiting there), to a named agent as an offer (within capacity; an offer they hold already is
   * kept), or straight to them (`assigned`, capacity not checked). Every offer of the chat must be
   * in `withdraw` or be the target's.
   */
  redirectChat(input: { chat: RoutedChat; from?: AgentRecord; withdraw: AgentRecord[]; to: RedirectTarget; settings: Settings; now: Date }): Promise<Outcome>;
  /** Per queue, the chats waiting for an offer: how many, and the oldest one's creation (queues with none are left out). */
  waitingByQueue(): Promise<QueueBacklog[]>;
  /** Every offered chat: its queue and creation. */
  offeredChats(): Promise<OfferedChat[]>;
}

export type RedirectTarget = { queueId: string } | { agent: AgentRecord; as: 'offer' | 'assigned'; expiresAt?: Date };

export interface QueueBacklog {
  queueId: string;
  /** Chats in the queue in state `waiting`. */
  waiting: number;
  /** Creation of the oldest of them. */
  oldestCreatedAt: string;
}

export interface OfferedChat {
  chatId: string;
  queueId: string | null;
  createdAt: string;
}

/** A supervisor's connection watching a chat. */
export interface Watcher {
  agentId: string;
  connectionId: string;
}

/** Who watches which chat, each watch until it expires or is ended. */
export interface WatchStore {
  /** Remembers the watch until `until`, and marks the chat as watched until then (its version stays). */
  watch(chatId: string, watcher: Watcher, until: Date): Promise<void>;
  unwatch(chatId: string, connectionId: string): Promise<void>;
  /** The watches of a chat not yet expired. */
  watchersOf(chatId: string, now: Date): Promise<Watcher[]>;
}

export interface LiveConnection {
  connectionId: string;
  connectedAt?: string;
}

export type LoggedEvent = { cursor: number; event: Record<string, unknown> };

/** Per-agent event log with a cursor that only grows (for `sync`), and the agent's live connections. */
export interface AgentLog {
  append(agentId: string, event: AgentEvent, now: Date): Promise<number>;
  since(agentId: string, cursor: number, limit?: number): Promise<{ events: LoggedEvent[]; more: boolean }>;
  currentCursor(agentId: string): Promise<number>;
  connectionsOf(agentId: string): Promise<LiveConnection[]>;
  agentOfConnection(connectionId: string): Promise<string | undefined>;
}

/** Telegram's own turns of a conversation: edited customer messages, a customer who blocked the bot. */
export interface TelegramChats {
  applyEdit(ref: MessageRef, edit: { text: string; editedAt: string }, delivery: DeliveryRef): Promise<boolean>;
  markCustomerBlocked(chatId: string, reason: string): Promise<void>;
}

/** What admins keep beside the directory (chat actions, quick replies, contacts) and the lists they read. */
export interface AdminStore {
  putAction(action: ChatAction, create: boolean): Promise<void>;
  action(id: string): Promise<ChatAction | undefined>;
  actions(page: PageRequest): Promise<Page<ChatAction>>;
  deleteAction(id: string): Promise<boolean>;
  createQuickReply(reply: QuickReply): Promise<void>;
  quickReplies(page: PageRequest): Promise<Page<QuickReply>>;
  deleteQuickReply(id: string): Promise<boolean>;
  createContact(contact: Contact): Promise<void>;
  contact(id: string): Promise<Contact | undefined>;
  contacts(page: PageRequest): Promise<Page<Contact>>;
  linkContact(chat: Pick<RoutedChat, 'id' | 'channelId' | 'customer'>, contactId: string): Promise<void>;
  contactOfCustomer(channelId: string, customerId: string): Promise<string | undefined>;
  chatsInState(state: ChatState, filter: { queueId?: string; agentId?: string }, page: PageRequest): Promise<Page<RoutedChat>>;
  chatsHeldBy(agentId: string, filter: { queueId?: string }, page: PageRequest): Promise<Page<RoutedChat>>;
  /** Chats of every state, one state after another: waiting, offered, assigned, bot, closed; each oldest first. */
  chats(filter: { queueId?: string }, page: PageRequest): Promise<Page<RoutedChat>>;
  channelHasChats(channelId: string): Promise<boolean>;
  queueHasWaitingChats(queueId: string): Promise<boolean>;
  deleteQueue(id: string): Promise<boolean>;
  deleteMessengerApp(appId: string): Promise<boolean>;
  /** `hasChats`, deleting nothing, when a chat came in through the channel meanwhile. */
  deleteChannel(channel: { id: string; pageId?: string }): Promise<'deleted' | 'hasChats'>;
  deleteAgent(agentId: string): Promise<void>;
}

/** Tokens and app secrets, kept outside the table; values never reach logs, items or responses. */
export interface SecretStore {
  readonly prefix: string;
  get(name: string): Promise<string | undefined>;
  put(name: string, value: string): Promise<void>;
  remove(name: string): Promise<void>;
  /** Reads again now (a rotated secret), at most once in a while per name. */
  reread(name: string): Promise<string | undefined>;
  forget(name: string): void;
}

/** A reply frame to one connection (`sent`, `snapshot`, `pong`, `error`); not kept for `sync`. */
export type ReplyFrame = { type: string; requestId?: string } & Record<string, unknown>;

/** The agents' live connections: state events to every connection of an agent, replies to one. */
export interface AgentConnections extends AgentNotifier {
  /** False when the connection is gone. */
  reply(agentId: string, connectionId: string, frame: ReplyFrame): Promise<boolean>;
}

// ---- reports and surveys ----------------------------------------------------------------

/**
 * Report figures, added as chats move: one item of counters per (queue, hour) and per (agent, hour),
 * each event an atomic addition (docs/api.md, Reports). Never fails the chat's own work: a failed
 * addition is logged and counted, not thrown.
 */
export interface ReportRecorder {
  chatCreated(chat: RoutedChat): Promise<void>;
  offered(chat: RoutedChat, agentId: string, at: Date): Promise<void>;
  /** Wait = created → now; answered within the queue's service level when the wait is at most its `serviceLevelSeconds`. */
  accepted(chat: RoutedChat, agentId: string, at: Date): Promise<void>;
  /** An offer timed out (accept timeout). */
  missed(chat: RoutedChat, agentId: string, at: Date): Promise<void>;
  transferred(chat: RoutedChat, fromAgentId: string, at: Date): Promise<void>;
  /** The first agent message of a chat: assigned → now. */
  firstResponse(chat: RoutedChat, agentId: string, at: Date): Promise<void>;
  /** Handle time, the chat's message counts, and abandoned when no agent ever replied (not for transfer closes). */
  closed(chat: RoutedChat, reason: CloseReason, at: Date): Promise<void>;
  rated(chat: RoutedChat, rating: number, at: Date): Promise<void>;
}

/** Whose figures a report reads. */
export type ReportSubject = { queueId: string } | { agentId: string };

/** The hourly items of one queue or agent in [from, to), oldest first. */
export interface ReportReader {
  hours(subject: ReportSubject, from: Date, to: Date): Promise<{ hour: string; counters: ReportCounters }[]>;
}

/** A customer's answer to a survey, and where a follow-up comment is awaited. */
export interface SurveyStore {
  settings(channelId: string): Promise<SurveySettings | undefined>;
  saveSettings(channelId: string, settings: SurveySettings): Promise<void>;
  /** Marks the survey sent on a closed chat; false when it was sent already. */
  markSent(chatId: string, at: Date): Promise<boolean>;
  /** Stores the rating on a closed chat whose survey was sent and not answered yet; `lost` otherwise. */
  answer(chatId: string, answer: { rating: number; answeredAt: string }): Promise<Outcome>;
  /** Adds the comment to an answered survey that has none yet; false otherwise. */
  comment(chatId: string, comment: string): Promise<boolean>;
  /** The customer's next free text until `until` is the comment on `chatId`. */
  awaitComment(channelId: string, customerId: string, chatId: string, until: Date): Promise<void>;
  /** The chat whose comment is awaited from this customer now, if any (once a comment is stored, `comment` refuses more). */
  awaitedComment(channelId: string, customerId: string, now: Date): Promise<string | undefined>;
}

// ---- wrap-up: dispositions, notes, the customer's history ---------------------------------

/** Dispositions admins define, agents' private notes on chats, and quick-reply edits. */
export interface WrapUpStore {
  createDisposition(disposition: Disposition): Promise<void>;
  disposition(id: string): Promise<Disposition | undefined>;
  /** Every disposition (admins keep the list short; at most 500 are read), oldest first. */
  dispositions(): Promise<Disposition[]>;
  deleteDisposition(id: string): Promise<boolean>;
  /**
   * Keeps a note. With `dedupeKey`, a retry of the same note (same key) stores nothing and
   * answers the note kept the first time.
   */
  addNote(note: Note, dedupeKey?: string): Promise<{ note: Note; duplicate: boolean }>;
  /** A chat's notes, oldest first. */
  notes(chatId: string, page: PageRequest): Promise<Page<Note>>;
  /** Replaces a quick reply that exists; false when there is none. */
  saveQuickReply(reply: QuickReply): Promise<boolean>;
  quickReply(id: string): Promise<QuickReply | undefined>;
}

/** A customer of one channel. */
export interface CustomerRef {
  channelId: string;
  customerId: string;
}

/** The chats of customers, newest first, across channels (the byCustomer index), and the links of a contact. */
export interface CustomerHistoryStore {
  /** The customers linked to a contact (every channel). */
  customersOfContact(contactId: string): Promise<CustomerRef[]>;
  /**
   * The newest chats of these customers created before the position `before` (a history sort
   * key, `<createdAt>#<chatId>`), at most `limit` (+1 to tell whether more follow), newest first.
   */
  chatsOf(customers: readonly CustomerRef[], opts: { limit: number; before?: string; except?: string }): Promise<{ chats: RoutedChat[]; more: boolean }>;
  /** A chat's newest message, if any. */
  lastMessage(chatId: string): Promise<Message | undefined>;
}
