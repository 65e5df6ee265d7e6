import { type AgentRecord, type Queue, type Settings } from '../domain/model';
import { KeptChanging, TemporarilyUnavailable } from '../domain/errors';
import { isQueueMember } from '../domain/routing';
import type { Dispatcher } from './dispatcher';
import { type Directory, type RoutingStore } from '../domain/ports';

export interface MembershipDeps {
  store: RoutingStore;
  directory: Pick<Directory, 'settings' | 'listQueues' | 'saveQueue' | 'listAgentItems'>;
  dispatcher: Dispatcher;
  clock: () => Date;
}

export interface AgentProfile {
  id: string;
  displayName: string;
  groups: string[];
  simultaneousChats?: number;
}

const maxAttempts = 8;

/**
 * Keeps who-belongs-to-which-queue in step with admins' changes (agents, queues, settings)
 * and routes at once whatever the change made possible.
 */
export class Membership {
  constructor(private readonly deps: MembershipDeps) {}

  /** Registers or updates an agent; their queues follow from users and groups of every queue. */
  async saveAgent(profile: AgentProfile): Promise<AgentRecord> {
    const { store, directory, dispatcher, clock } = this.deps;
    const [queues, settings] = await Promise.all([directory.listQueues(), directory.settings()]);
    const memberOf = queues.filter((q) => isQueueMember(q, profile)).map((q) => q.id);
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const before = await store.agent(profile.id);
      const after: AgentRecord = {
        ...(before ?? { presence: 'active', connections: 0, load: 0, rev: 0, createdAt: clock().toISOString() }),
        id: profile.id,
        displayName: profile.displayName,
        groups: profile.groups,
        simultaneousChats: profile.simultaneousChats,
        queues: memberOf,
      };
      if ((await store.saveAgent(before, after, settings)) === 'lost') continue;
      await dispatcher.agentReady(profile.id);
      return after;
    }
    // every attempt lost its conditional write, so nothing was stored: the admin may send the same PUT again
    throw new KeptChanging(`Agent ${profile.id}`);
  }

  /** Saves a queue and adds it to (or removes it from) every agent it now does (not) include. */
  async saveQueue(queue: Queue): Promise<void> {
    const { directory, dispatcher } = this.deps;
    await directory.saveQueue(queue);
    const settings = await directory.settings();
    for (const agent of await directory.listAgentItems()) {
      await this.updateAgentQueues(agent.id, settings, (queues) =>
        isQueueMember(queue, agent) ? (queues.includes(queue.id) ? queues : [...queues, queue.id]) : queues.filter((q) => q !== queue.id),
      );
    }
    await dispatcher.routeQueue(queue.id);
  }

  /** After a settings change (capacity), every agent's readiness is recomputed and queues drain. */
  async settingsChanged(): Promise<void> {
    const { directory, dispatcher } = this.deps;
    const settings: Settings = await directory.settings();
    for (const agent of await directory.listAgentItems()) await this.updateAgentQueues(agent.id, settings, (q) => q, true);
    for (const queue of await directory.listQueues()) await dispatcher.routeQueue(queue.id);
  }

  private async updateAgentQueues(agentId: string, settings: Settings, change: (queues: string[]) => string[], always = false): Promise<void> {
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const before = await this.deps.store.agent(agentId);
      if (!before) return;
      const queues = change(before.queues);
      if (!always && queues.length === before.queues.length && queues.every((q) => before.queues.includes(q))) return;
      if ((await this.deps.store.saveAgent(before, { ...before, queues }, settings)) === 'done') return;
    }
    // the queue or settings change is stored already; repeating the same request finishes the agents' queues
    throw new TemporarilyUnavailable(`Agent ${agentId} kept changing; try again.`);
  }
}
