import type { Agent, AgentRecord, Queue, RoutingRule, Settings } from './model';

/**
 * The routing rules of a chat queue, as pure decisions. Adapters gather the facts (agents
 * ready for a queue, chats waiting in it) and carry out the decision with conditional
 * writes; when a write loses a race the caller re-reads and asks again.
 */

/** What routing needs to know of an agent at the moment of a decision. */
export interface Candidate {
  agentId: string;
  status: Agent['status'];
  /** Chats in progress: offered + accepted, across every queue and channel. */
  load: number;
  capacity: number;
  /** When the agent last accepted a chat; undefined if never. */
  lastTakenAt?: string;
}

/** The most chats an agent may hold at once: the agent's own override, else the setting. */
export function capacityOf(agent: Pick<Agent, 'simultaneousChats'>, settings: Pick<Settings, 'simultaneousChats'>): number {
  return agent.simultaneousChats ?? settings.simultaneousChats;
}

/** Status as others see it: offline without a live connection, else what the agent chose. */
export function effectiveStatus(presence: 'active' | 'inactive', connections: number): Agent['status'] {
  return connections > 0 ? presence : 'offline';
}

/** An agent can be offered a chat only while active and below capacity. */
export function canTakeChat(candidate: Pick<Candidate, 'status' | 'load' | 'capacity'>): boolean {
  return candidate.status === 'active' && candidate.load < candidate.capacity;
}

const neverTaken = '0000-00-00T00:00:00.000Z';

/**
 * Sort key that orders a queue's ready agents the way the available-agent rule wants them:
 * fewest chats in progress first, then the one who has gone longest without taking a chat
 * (never = longest), then by id so the order is total.
 */
export function readyRank(candidate: Pick<Candidate, 'agentId' | 'load' | 'lastTakenAt'>): string {
  return `${String(candidate.load).padStart(4, '0')}#${candidate.lastTakenAt ?? neverTaken}#${candidate.agentId}`;
}

/** Orders candidates by the available-agent rule (see `readyRank`). */
export function byAvailability(a: Candidate, b: Candidate): number {
  const ra = readyRank(a);
  const rb = readyRank(b);
  return ra < rb ? -1 : ra > rb ? 1 : 0;
}

/**
 * available-agent: the active agent with spare capacity and the fewest chats; ties go to
 * the one idle longest. Agents who already let this chat's offer time out are passed over
 * while anyone else can take it.
 */
export function chooseAvailableAgent(candidates: readonly Candidate[], skipped: ReadonlySet<string> = new Set()): Candidate | undefined {
  const able = candidates.filter(canTakeChat).sort(byAvailability);
  return able.find((c) => !skipped.has(c.agentId)) ?? able[0];
}

/** all-agents: every active agent with spare capacity who does not hold an offer for the chat yet. */
export function chooseAllAgents(candidates: readonly Candidate[], alreadyOffered: ReadonlySet<string> = new Set()): Candidate[] {
  return candidates.filter((c) => canTakeChat(c) && !alreadyOffered.has(c.agentId)).sort(byAvailability);
}

/** Who should be offered a chat under the queue's rule; empty means the chat waits. */
export function offerTargets(
  rule: RoutingRule,
  candidates: readonly Candidate[],
  chat: { offeredTo: ReadonlySet<string>; skipped: ReadonlySet<string> },
): Candidate[] {
  if (rule === 'all-agents') return chooseAllAgents(candidates, chat.offeredTo);
  // available-agent holds at most one offer at a time
  if (chat.offeredTo.size > 0) return [];
  const chosen = chooseAvailableAgent(candidates, chat.skipped);
  return chosen ? [chosen] : [];
}

/** When an available-agent offer expires if not accepted. */
export function offerExpiry(rule: RoutingRule, offeredAt: Date, settings: Pick<Settings, 'acceptTimeoutSeconds'>): Date | undefined {
  return rule === 'available-agent' ? new Date(offeredAt.getTime() + settings.acceptTimeoutSeconds * 1000) : undefined;
}

/** When a chat closes by itself after an agent message, or never (no completion timeout). */
export function completionDeadline(queue: Pick<Queue, 'completionTimeoutSeconds'>, agentMessageAt: Date): Date | undefined {
  return queue.completionTimeoutSeconds == null ? undefined : new Date(agentMessageAt.getTime() + queue.completionTimeoutSeconds * 1000);
}

/**
 * When an assigned chat closes for inactivity: the queue's timeout after the later of the last
 * message either side wrote (`lastActivityAt`) and the agent getting the chat (`heldSince`).
 */
export function inactivityDeadline(
  queue: Pick<Queue, 'inactivityTimeoutSeconds'>,
  chat: { lastActivityAt?: string; heldSince?: string },
): Date | undefined {
  if (queue.inactivityTimeoutSeconds == null) return undefined;
  const since = Math.max(chat.lastActivityAt ? Date.parse(chat.lastActivityAt) : 0, chat.heldSince ? Date.parse(chat.heldSince) : 0);
  return since ? new Date(since + queue.inactivityTimeoutSeconds * 1000) : undefined;
}

/** Whether an agent belongs to a queue: named as a user, or holding one of its groups. */
export function isQueueMember(queue: Pick<Queue, 'members'>, agent: Pick<Agent, 'id' | 'groups'>): boolean {
  return queue.members.users.includes(agent.id) || agent.groups.some((g) => queue.members.groups.includes(g));
}

/**
 * How long after it opens a chat is left to its own router's pass by the passes of other new chats.
 * In AWS that pass starts within milliseconds of the chat's write; should it fail, the record's retry
 * routes the chat again (its message is then a duplicate whose chat waits), and any agent becoming
 * ready routes every waiting chat, this one included.
 */
export const ownPassSeconds = 10;

/**
 * Whether a routing pass that runs for new chats alone (`own`, no agent who just became ready)
 * leaves `chat` to the pass of the router that opened it. Routers in other invocations open chats
 * of the same queue at the same moment; were each to offer the oldest waiting chat first, they would
 * all decide the same chat with the same or the next agent, and all but one would lose the race
 * and decide again. A chat that a pass has already been through (offered, skipped by someone), or
 * that has waited longer than `ownPassSeconds`, is no longer left: it goes first, as the rule says.
 */
export function leftToItsOwnPass(
  chat: { id: string; state: string; createdAt: string; offeredTo: readonly string[]; skipped: readonly string[] },
  own: ReadonlySet<string>,
  now: Date,
): boolean {
  if (own.has(chat.id) || chat.state !== 'waiting' || chat.offeredTo.length > 0 || chat.skipped.length > 0) return false;
  return now.getTime() - Date.parse(chat.createdAt) < ownPassSeconds * 1000;
}

/** Waiting chats leave oldest first; `createdAt` then id makes the order total. */
export function waitRank(chat: { id: string; createdAt: string }): string {
  return `${chat.createdAt}#${chat.id}`;
}

/** An agent as agents and admins see one: the status derived from presence and connections. */
export function agentView(record: AgentRecord): Agent {
  const { presence, connections, queues: _queues, rev: _rev, offers: _offers, ...rest } = record;
  return { ...rest, status: effectiveStatus(presence, connections), connections };
}

/** An agent record as a routing candidate. */
export function candidateOf(agent: AgentRecord, settings: Settings): Candidate {
  return {
    agentId: agent.id,
    status: effectiveStatus(agent.presence, agent.connections),
    load: agent.load,
    capacity: capacityOf(agent, settings),
    lastTakenAt: agent.lastTakenAt,
  };
}

/** The agent record to keep after a write: `statusSince` moves to `now` when the status (active / inactive / offline) changes. */
export function withStatusSince(before: AgentRecord | undefined, after: AgentRecord, now: Date): AgentRecord {
  const was = before ? effectiveStatus(before.presence, before.connections) : undefined;
  if (was !== effectiveStatus(after.presence, after.connections)) return { ...after, statusSince: now.toISOString() };
  const since = after.statusSince ?? before?.statusSince;
  return since === undefined ? after : { ...after, statusSince: since };
}
