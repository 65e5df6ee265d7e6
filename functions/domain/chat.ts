import type { CustomerProfile } from './inbound';
import { languageTag } from './language';
import type { Channel, ChatState, Customer, RoutedChat } from './model';

/** Which chat state may follow which; anything else is a bug or a lost race. */
const transitions: Record<ChatState, readonly ChatState[]> = {
  bot: ['waiting', 'closed'],
  waiting: ['offered', 'closed', 'bot'],
  offered: ['assigned', 'waiting', 'offered', 'closed', 'bot'],
  assigned: ['waiting', 'offered', 'closed', 'bot'],
  closed: [],
};

/** Whether a chat may move from one state to another. */
export function canTransition(from: ChatState, to: ChatState): boolean {
  return transitions[from].includes(to);
}

/** States in which a chat is still open (a customer message joins it, not a new chat). */
export function isOpen(state: ChatState): boolean {
  return state !== 'closed';
}

/** The state a new chat starts in: with a bot while the bot owns the thread, else waiting for an agent. */
export function initialState(event: { standby?: boolean }): 'bot' | 'waiting' {
  return event.standby ? 'bot' : 'waiting';
}

/** Whether a new chat on this channel enters routing (inactive channels store, never route). */
export function routesChats(channel: Pick<Channel, 'active' | 'queueId'>): channel is Pick<Channel, 'active'> & { queueId: string } {
  return channel.active && channel.queueId !== null;
}

/** The name an agent sees for a customer: full name, else username, else a short id. */
export function customerFrom(profile: CustomerProfile): Customer {
  const full = [profile.firstName, profile.lastName].filter(Boolean).join(' ').trim();
  const name = full || (profile.username ? `@${profile.username}` : `Customer ${profile.id.slice(-4)}`);
  const languageCode = languageTag(profile.languageCode);
  return { id: profile.id, name, ...(languageCode ? { languageCode } : {}) };
}

/**
 * The one way a chat opens: waiting in the channel's queue (or held by a bot), version 1,
 * no routing state yet. Used for a customer's first message and for a thread a bot hands over.
 */
export function newChat(input: {
  id: string;
  channel: Pick<Channel, 'id' | 'type' | 'queueId' | 'language' | 'active'>;
  customer: Customer;
  state: 'waiting' | 'bot';
  createdAt: string;
  lastMessageAt: string;
  contactId?: string | null;
  handover?: { metadata?: string; botAppId?: string };
}): RoutedChat {
  return {
    id: input.id,
    channelId: input.channel.id,
    channelType: input.channel.type,
    // chats of an inactive channel are kept but never enter a queue
    queueId: routesChats(input.channel) ? input.channel.queueId : null,
    state: input.state,
    agentId: null,
    customer: input.customer,
    contactId: input.contactId ?? null,
    // the customer's own language when the platform says it; the channel's is the fallback
    language: input.customer.languageCode ?? input.channel.language ?? null,
    createdAt: input.createdAt,
    lastMessageAt: input.lastMessageAt,
    version: 1,
    offeredTo: [],
    skipped: [],
    ...(input.handover?.metadata !== undefined ? { handoverMetadata: input.handover.metadata } : {}),
    ...(input.handover?.botAppId !== undefined ? { botAppId: input.handover.botAppId } : {}),
  };
}

/** The agents who see a chat's messages as they come: its agent once assigned, else those it is offered to. */
export function audienceOf(chat: Pick<RoutedChat, 'state' | 'agentId' | 'offeredTo'>): string[] {
  return chat.state === 'assigned' && chat.agentId ? [chat.agentId] : chat.offeredTo;
}
