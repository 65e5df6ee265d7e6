import { type AdminStore, type ChatStore, type Directory, type EventPublisher } from '../domain/ports';
import { OmnichatError } from '../shared/errors';

export class ChatActionNotFound extends OmnichatError {
  constructor(what: 'action' | 'chat' | 'agent', id: string) {
    super(`The ${what} ${id} does not exist.`, { code: 'not_found', status: 404 });
  }
}

/** The agent is not in the action's queue, or the chat is neither theirs nor of their queues. */
export class ChatActionNotAllowed extends OmnichatError {
  constructor(message: string) {
    super(message, { code: 'action_not_allowed', status: 403 });
  }
}

export interface ChatActionsDeps {
  actions: Pick<AdminStore, 'action'>;
  chats: Pick<ChatStore, 'chat'>;
  directory: Pick<Directory, 'agentItem'>;
  events: EventPublisher;
}

/** Runs an admin-defined chat action for an agent: publishes its detail-type on the product's bus. */
export class ChatActions {
  constructor(private readonly deps: ChatActionsDeps) {}

  async run(agentId: string, chatId: string, actionId: string): Promise<{ detailType: string }> {
    const [action, chat, agent] = await Promise.all([
      this.deps.actions.action(actionId),
      this.deps.chats.chat(chatId, false),
      this.deps.directory.agentItem(agentId, false),
    ]);
    if (!action) throw new ChatActionNotFound('action', actionId);
    if (!chat) throw new ChatActionNotFound('chat', chatId);
    if (!agent) throw new ChatActionNotFound('agent', agentId);
    if (!agent.queues.includes(action.queueId)) {
      throw new ChatActionNotAllowed(`Only agents of queue ${action.queueId} may run action ${actionId}.`);
    }
    const ownChat = chat.agentId === agentId;
    const queueChat = chat.queueId !== null && agent.queues.includes(chat.queueId);
    if (!ownChat && !queueChat) throw new ChatActionNotAllowed(`Chat ${chatId} is neither yours nor of your queues.`);
    await this.deps.events.publish(action.detailType, { actionId, chatId, contactId: chat.contactId, agentId });
    return { detailType: action.detailType };
  }
}
