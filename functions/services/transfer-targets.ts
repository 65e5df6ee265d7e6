import { type AgentRecord, type Queue, type RoutedChat, type Settings } from '../domain/model';
import type { QueueBacklog } from '../domain/ports';
import { capacityOf, effectiveStatus } from '../domain/routing';

export interface TransferTargetsDeps {
  chats: { chat(id: string, consistent?: boolean): Promise<RoutedChat | undefined> };
  /** The same reads as the supervisors' live view (`GET /api/live`), minus offers and held chats. */
  directory: { settings(): Promise<Settings>; listQueues(): Promise<Queue[]>; listAgentItems(): Promise<AgentRecord[]> };
  store: { waitingByQueue(): Promise<QueueBacklog[]> };
}

export interface TransferTargetQueue {
  id: string;
  name: string;
  /** Chats waiting in the queue now. */
  waiting: number;
}

export interface TransferTargetAgent {
  id: string;
  displayName: string;
  status: 'active' | 'inactive' | 'offline';
  load: number;
  capacity: number;
}

export type TransferTargetsResult = { ok: true; queues: TransferTargetQueue[]; agents: TransferTargetAgent[] } | { ok: false; code: 'not_your_chat' };

/** Lists are bounded so the reply fits one frame (a target outside them can still be named by id). */
export const maxTargets = 300;

const statusRank = { active: 0, inactive: 1, offline: 2 } as const;

/**
 * Where an agent can hand over a chat they hold: every queue with its waiting count, and the
 * agents of the chat's queue (not the agent) with live status, load and capacity, those who can
 * take it first.
 */
export class TransferTargets {
  constructor(private readonly deps: TransferTargetsDeps) {}

  async of(agentId: string, chatId: string): Promise<TransferTargetsResult> {
    const chat = await this.deps.chats.chat(chatId);
    if (!chat || chat.state !== 'assigned' || chat.agentId !== agentId) return { ok: false, code: 'not_your_chat' };
    const [queues, agents, settings, waiting] = await Promise.all([
      this.deps.directory.listQueues(),
      this.deps.directory.listAgentItems(),
      this.deps.directory.settings(),
      this.deps.store.waitingByQueue(),
    ]);
    const backlog = new Map(waiting.map((w) => [w.queueId, w.waiting]));
    const members = agents
      .filter((a) => a.id !== agentId && chat.queueId !== null && a.queues.includes(chat.queueId))
      .map((a) => ({ id: a.id, displayName: a.displayName, status: effectiveStatus(a.presence, a.connections), load: a.load, capacity: capacityOf(a, settings) }))
      .sort((a, b) => statusRank[a.status] - statusRank[b.status] || a.load / Math.max(1, a.capacity) - b.load / Math.max(1, b.capacity) || a.displayName.localeCompare(b.displayName));
    return {
      ok: true,
      queues: queues
        .map((q) => ({ id: q.id, name: q.name, waiting: backlog.get(q.id) ?? 0 }))
        .sort((a, b) => (a.id === chat.queueId ? -1 : b.id === chat.queueId ? 1 : a.name.localeCompare(b.name)))
        .slice(0, maxTargets),
      agents: members.slice(0, maxTargets),
    };
  }
}
