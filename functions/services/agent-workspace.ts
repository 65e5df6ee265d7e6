import { type AgentRecord, type ChatAction, type QuickReply, type Settings } from '../domain/model';
import { agentView } from '../domain/routing';
import { type AdminStore, type Page, type PageRequest } from '../domain/ports';

export interface AgentWorkspaceDeps {
  admin: Pick<AdminStore, 'quickReplies' | 'actions'>;
  settings: () => Promise<Settings>;
  queues: () => Promise<{ id: string; name: string }[]>;
  agents: () => Promise<AgentRecord[]>;
}

/**
 * What an agent's client needs besides chats: the quick replies and chat actions of the
 * agent's queues, the sound for new chats, and where a chat can be transferred.
 */
export interface Workspace {
  quickReplies: QuickReply[];
  actions: ChatAction[];
  notificationSoundUrl?: string;
  queues: { id: string; name: string }[];
  agents: { id: string; displayName: string; status: string }[];
}

/** Admins keep these lists short; a hard bound keeps a snapshot small however many there are. */
const maxItems = 500;

/** The parts of the admins' configuration an agent may see, limited to the agent's queues. */
export class AgentWorkspace {
  constructor(private readonly deps: AgentWorkspaceDeps) {}

  async of(agentQueues: readonly string[]): Promise<Workspace> {
    const [replies, actions, settings, queues, agents] = await Promise.all([
      all((page) => this.deps.admin.quickReplies(page)),
      all((page) => this.deps.admin.actions(page)),
      this.deps.settings(),
      this.deps.queues(),
      this.deps.agents(),
    ]);
    return {
      quickReplies: replies.filter((r) => r.queueId === null || agentQueues.includes(r.queueId)),
      actions: actions.filter((a) => agentQueues.includes(a.queueId)),
      ...(settings.notificationSoundUrl ? { notificationSoundUrl: settings.notificationSoundUrl } : {}),
      queues: queues.slice(0, maxItems).map((q) => ({ id: q.id, name: q.name })),
      agents: agents.slice(0, maxItems).map((a) => ({ id: a.id, displayName: a.displayName, status: agentView(a).status })),
    };
  }
}

async function all<T>(read: (page: PageRequest) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let startKey: PageRequest['startKey'];
  do {
    const page = await read({ limit: 100, startKey });
    items.push(...page.items);
    startKey = page.lastKey;
  } while (startKey && items.length < maxItems);
  return items.slice(0, maxItems);
}
