/** The product's nouns, as plain data. No I/O, no SDK types. */

export type ChannelType = 'messenger' | 'telegram';
export type RoutingRule = 'all-agents' | 'available-agent';
export type ChatState = 'bot' | 'waiting' | 'offered' | 'assigned' | 'closed';
export type AgentStatus = 'active' | 'inactive' | 'offline';
export type MessageDirection = 'in' | 'out';
export type MessageStatus = 'received' | 'pending' | 'sent' | 'delivered' | 'read' | 'failed';
export type CloseReason = 'agent' | 'timeout' | 'transfer' | 'handover';
export type WithdrawReason = 'timeout' | 'taken' | 'closed' | 'offline' | 'transfer';

export interface Settings {
  simultaneousChats: number;
  acceptTimeoutSeconds: number;
  siteUrl?: string;
  notificationSoundUrl?: string;
}

export const defaultSettings: Settings = { simultaneousChats: 2, acceptTimeoutSeconds: 300 };

export interface MessengerApp {
  appId: string;
  verifyToken: string;
  createdAt: string;
}

export interface Channel {
  id: string;
  type: ChannelType;
  name: string;
  active: boolean;
  queueId: string | null;
  language: string | null;
  provisioningState: 'running' | 'failed';
  lastError: string | null;
  humanAgentTag: boolean;
  /** Messenger: the Meta app and Page; Telegram: the bot. */
  appId?: string;
  pageId?: string;
  botUsername?: string;
  createdAt: string;
}

export interface QueueMembers {
  users: string[];
  groups: string[];
}

export interface Queue {
  id: string;
  name: string;
  routingRule: RoutingRule;
  completionTimeoutSeconds: number | null;
  members: QueueMembers;
  createdAt: string;
}

export interface Agent {
  id: string;
  displayName: string;
  groups: string[];
  /** Per-agent override of the `simultaneousChats` setting. */
  simultaneousChats?: number;
  status: AgentStatus;
  /** Chats in progress: offered + accepted. */
  load: number;
  /** When the agent last took (accepted) a chat; absent if never. */
  lastTakenAt?: string;
  connections: number;
  createdAt: string;
}

export interface Customer {
  id: string;
  name: string;
  avatarUrl?: string;
  languageCode?: string;
}

export interface Attachment {
  type: string;
  url: string;
  name?: string;
}

export interface Chat {
  id: string;
  channelId: string;
  channelType: ChannelType;
  queueId: string | null;
  state: ChatState;
  agentId: string | null;
  customer: Customer;
  contactId: string | null;
  language: string | null;
  createdAt: string;
  lastMessageAt: string;
  /** Grows on every state change; timers carry it so a stale timer changes nothing. */
  version: number;
  /** The customer blocked the bot: replies cannot reach them until they write again. */
  customerBlocked?: boolean;
}

export interface Message {
  id: string;
  chatId: string;
  direction: MessageDirection;
  text?: string;
  attachments?: Attachment[];
  /** Quick-reply, postback or callback payload chosen by the customer. */
  payload?: string;
  sentAt: string;
  status: MessageStatus;
  agentId?: string;
  /** The platform's id (Messenger `mid`, Telegram message id) once known. */
  platformMessageId?: string;
  error?: string;
  /** Set when the customer edited the message (Telegram). */
  editedAt?: string;
}

export interface Offer {
  chatId: string;
  agentId: string;
  offeredAt: string;
  /** Set for the available-agent rule, where the offer times out. */
  expiresAt?: string;
}
