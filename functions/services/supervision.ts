import { Conflict, KeptChanging, NotFound } from '../domain/errors';
import { type AgentRecord, type RoutedChat } from '../domain/model';
import type { Directory, RoutingStore } from '../domain/ports';
import { capacityOf, effectiveStatus } from '../domain/routing';
import type { Dispatcher } from './dispatcher';
import { isOpen } from '../domain/hours';
import type { WrapUp } from '../domain/wrap-up';

export interface SupervisionDeps {
  dispatcher: Pick<Dispatcher, 'reassign' | 'close' | 'setPresence'>;
  store: Pick<RoutingStore, 'waitingByQueue' | 'offeredChats' | 'chatIdsHeldBy' | 'agent'>;
  directory: Pick<Directory, 'settings' | 'listQueues' | 'listAgentItems'>;
  chats: { chat(id: string, consistent?: boolean): Promise<RoutedChat | undefined> };
  clock: () => Date;
}

export interface LiveQueue {
  queueId: string;
  name: string;
  waiting: number;
  oldestWaitSeconds: number | null;
  offersPending: number;
  agents: { active: number; inactive: number; offline: number };
  load: number;
  capacity: number;
  /** Within its opening hours now (always, for a queue with none). */
  open: boolean;
}

export interface LiveAgent {
  agentId: string;
  displayName: string;
  status: 'active' | 'inactive' | 'offline';
  load: number;
  capacity: number;
  chatsHeld: number;
  statusSince: string | null;
  queues: string[];
}

export interface LiveView {
  generatedAt: string;
  queues: LiveQueue[];
  agents: LiveAgent[];
}

const reassignRefusals = {
  chat_closed: () => new Conflict('chat_closed', 'The chat is closed.'),
  chat_with_bot: () => new Conflict('chat_with_bot', 'A bot holds the chat; it is not in routing.'),
  agent_unavailable: () => new Conflict('agent_unavailable', 'That agent is offline, or inactive or at capacity and the move is not forced.'),
  busy: () => new KeptChanging('The chat'),
} as const;

/** What supervisors do: the live view of queues and agents, and their moves on chats and agents. */
export class Supervision {
  constructor(private readonly deps: SupervisionDeps) {}

  /**
   * Queues and agents now, from what routing keeps: the agent records (load, presence,
   * connections, queues, statusSince), the waiting and offered chats' byKind index partitions
   * (keys and queue only), and the held chats of each agent with a load (byAgent index). No chat
   * item is read.
   */
  async live(): Promise<LiveView> {
    const { store, directory, clock } = this.deps;
    const [queues, agents, settings, offered, waiting] = await Promise.all([
      directory.listQueues(),
      directory.listAgentItems(),
      directory.settings(),
      store.offeredChats(),
      store.waitingByQueue(),
    ]);
    // chats held: only agents with a load hold any (load counts offers and accepted chats alike)
    const held = new Map(await Promise.all(agents.filter((a) => a.load > 0).map(async (a) => [a.id, (await store.chatIdsHeldBy(a.id)).length] as const)));
    const backlogs = new Map(waiting.map((w) => [w.queueId, w]));
    const now = clock();
    const offersIn = new Map<string, number>();
    const oldestOffered = new Map<string, string>();
    for (const chat of offered) {
      if (!chat.queueId) continue;
      offersIn.set(chat.queueId, (offersIn.get(chat.queueId) ?? 0) + 1);
      const before = oldestOffered.get(chat.queueId);
      if (before === undefined || chat.createdAt < before) oldestOffered.set(chat.queueId, chat.createdAt);
    }
    const statusOf = (a: AgentRecord) => effectiveStatus(a.presence, a.connections);
    return {
      generatedAt: now.toISOString(),
      queues: queues.map((q) => {
        const members = agents.filter((a) => a.queues.includes(q.id));
        const count = (status: string) => members.filter((a) => statusOf(a) === status).length;
        // not yet taken: waiting, or offered (available-agent offers leave the waiting index)
        const oldest = [backlogs.get(q.id)?.oldestCreatedAt, oldestOffered.get(q.id)].filter((t): t is string => t !== undefined).sort()[0];
        return {
          queueId: q.id,
          name: q.name,
          waiting: backlogs.get(q.id)?.waiting ?? 0,
          oldestWaitSeconds: oldest ? Math.max(0, Math.floor((now.getTime() - Date.parse(oldest)) / 1000)) : null,
          offersPending: offersIn.get(q.id) ?? 0,
          agents: { active: count('active'), inactive: count('inactive'), offline: count('offline') },
          load: members.reduce((sum, a) => sum + a.load, 0),
          // what the queue's agents who take chats now can hold
          capacity: members.filter((a) => statusOf(a) === 'active').reduce((sum, a) => sum + capacityOf(a, settings), 0),
          open: isOpen(q.hours, now),
        };
      }),
      agents: agents.map((a) => ({
        agentId: a.id,
        displayName: a.displayName,
        status: statusOf(a),
        load: a.load,
        capacity: capacityOf(a, settings),
        chatsHeld: held.get(a.id) ?? 0,
        statusSince: a.statusSince ?? null,
        queues: a.queues,
      })),
    };
  }

  async reassign(chatId: string, to: { agentId?: string; queueId?: string; force?: boolean }, by: string): Promise<RoutedChat> {
    const result = await this.deps.dispatcher.reassign(chatId, to, by);
    if (result.ok) return result.chat;
    switch (result.code) {
      case 'chat_not_found':
        throw new NotFound('Chat', chatId);
      case 'agent_not_found':
        throw new NotFound('Agent', to.agentId ?? '');
      case 'queue_not_found':
        throw new NotFound('Queue', to.queueId ?? '');
      default:
        throw reassignRefusals[result.code]();
    }
  }

  /** Closes any open chat (reason `supervisor`); the note rides on the `ChatClosed` event. */
  async close(chatId: string, note: string | undefined, wrapUp?: WrapUp): Promise<RoutedChat> {
    const { chats, dispatcher } = this.deps;
    const chat = await chats.chat(chatId);
    if (!chat) throw new NotFound('Chat', chatId);
    if (chat.state === 'closed') throw reassignRefusals.chat_closed();
    const closed = await dispatcher.close(chatId, 'supervisor', undefined, note, wrapUp);
    const after = await chats.chat(chatId);
    if (!closed.ok && after?.state !== 'closed') throw reassignRefusals.busy();
    // a concurrent close that landed first answers as a closed chat
    if (!closed.ok) throw reassignRefusals.chat_closed();
    return after ?? { ...chat, state: 'closed' };
  }

  /** Sets an agent's presence; the agent gets `statusChanged` with reason `supervisor`. */
  async setStatus(agentId: string, status: 'active' | 'inactive'): Promise<AgentRecord> {
    if (!(await this.deps.store.agent(agentId))) throw new NotFound('Agent', agentId);
    await this.deps.dispatcher.setPresence(agentId, status, 'supervisor');
    const agent = await this.deps.store.agent(agentId);
    if (!agent) throw new NotFound('Agent', agentId);
    return agent;
  }
}
