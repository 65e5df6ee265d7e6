import type { CustomerProfile } from './inbound';
import type { Channel, ChatState, Customer } from './model';

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
export function initialState(event: { standby?: boolean }): ChatState {
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
  return { id: profile.id, name, ...(profile.languageCode ? { languageCode: profile.languageCode } : {}) };
}
