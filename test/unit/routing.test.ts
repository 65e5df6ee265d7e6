import {
  canTakeChat,
  capacityOf,
  chooseAllAgents,
  chooseAvailableAgent,
  completionDeadline,
  effectiveStatus,
  isQueueMember,
  leftToItsOwnPass,
  offerExpiry,
  ownPassSeconds,
  offerTargets,
  readyRank,
  type Candidate,
} from '../../functions/domain/routing';

const agent = (agentId: string, load: number, lastTakenAt?: string, extra: Partial<Candidate> = {}): Candidate => ({
  agentId,
  status: 'active',
  load,
  capacity: 2,
  lastTakenAt,
  ...extra,
});

describe('available-agent rule', () => {
  it('offers the chat to the active agent with the fewest chats in progress', () => {
    // given
    const candidates = [agent('ann', 1, '2026-01-01T10:00:00.000Z'), agent('bob', 0, '2026-01-01T11:00:00.000Z')];
    // when
    const chosen = chooseAvailableAgent(candidates);
    // then
    expect(chosen?.agentId).toBe('bob');
  });

  it('offers the chat to the agent idle longest when loads tie', () => {
    const candidates = [agent('ann', 1, '2026-01-01T10:30:00.000Z'), agent('bob', 1, '2026-01-01T10:00:00.000Z')];
    expect(chooseAvailableAgent(candidates)?.agentId).toBe('bob');
  });

  it('counts an agent who never took a chat as idle longest', () => {
    const candidates = [agent('ann', 0, '2020-01-01T00:00:00.000Z'), agent('zed', 0)];
    expect(chooseAvailableAgent(candidates)?.agentId).toBe('zed');
  });

  it('passes over inactive, offline and full agents', () => {
    const candidates = [
      agent('ann', 0, undefined, { status: 'inactive' }),
      agent('bob', 0, undefined, { status: 'offline' }),
      agent('cid', 2),
      agent('dan', 1),
    ];
    expect(chooseAvailableAgent(candidates)?.agentId).toBe('dan');
  });

  it('does not offer the chat again to an agent who let it time out while another can take it', () => {
    const candidates = [agent('ann', 0), agent('bob', 1)];
    expect(chooseAvailableAgent(candidates, new Set(['ann']))?.agentId).toBe('bob');
  });

  it('offers the chat to a skipped agent when nobody else can take it', () => {
    expect(chooseAvailableAgent([agent('ann', 0)], new Set(['ann']))?.agentId).toBe('ann');
  });

  it('leaves the chat waiting when no agent can take it', () => {
    expect(chooseAvailableAgent([agent('ann', 2), agent('bob', 0, undefined, { status: 'inactive' })])).toBeUndefined();
  });

  it('holds at most one offer at a time', () => {
    const targets = offerTargets('available-agent', [agent('bob', 0)], { offeredTo: new Set(['ann']), skipped: new Set() });
    expect(targets).toEqual([]);
  });

  it('gives the offer an expiry of the accept timeout', () => {
    const at = new Date('2026-01-01T10:00:00.000Z');
    expect(offerExpiry('available-agent', at, { acceptTimeoutSeconds: 300 })?.toISOString()).toBe('2026-01-01T10:05:00.000Z');
    expect(offerExpiry('all-agents', at, { acceptTimeoutSeconds: 300 })).toBeUndefined();
  });
});

describe('all-agents rule', () => {
  it('offers the chat to every active agent with spare capacity', () => {
    const candidates = [agent('ann', 0), agent('bob', 2), agent('cid', 1), agent('dan', 0, undefined, { status: 'inactive' })];
    expect(chooseAllAgents(candidates).map((c) => c.agentId).sort()).toEqual(['ann', 'cid']);
  });

  it('does not offer the chat twice to the same agent', () => {
    const targets = offerTargets('all-agents', [agent('ann', 0), agent('bob', 0)], { offeredTo: new Set(['ann']), skipped: new Set() });
    expect(targets.map((c) => c.agentId)).toEqual(['bob']);
  });
});

describe('capacity', () => {
  it('uses the agent override before the setting', () => {
    expect(capacityOf({ simultaneousChats: 5 }, { simultaneousChats: 2 })).toBe(5);
    expect(capacityOf({}, { simultaneousChats: 2 })).toBe(2);
    expect(capacityOf({ simultaneousChats: 0 }, { simultaneousChats: 2 })).toBe(0);
  });

  it('lets an agent take a chat only while active and below capacity', () => {
    expect(canTakeChat({ status: 'active', load: 1, capacity: 2 })).toBe(true);
    expect(canTakeChat({ status: 'active', load: 2, capacity: 2 })).toBe(false);
    expect(canTakeChat({ status: 'inactive', load: 0, capacity: 2 })).toBe(false);
  });
});

describe('presence', () => {
  it('is offline without a live connection, whatever the agent chose', () => {
    expect(effectiveStatus('active', 0)).toBe('offline');
    expect(effectiveStatus('inactive', 2)).toBe('inactive');
    expect(effectiveStatus('active', 1)).toBe('active');
  });
});

describe('ready rank', () => {
  it('orders agents as the available-agent rule does, so an index query returns the best first', () => {
    const ranks = [agent('a', 10), agent('b', 2, '2026-01-02T00:00:00.000Z'), agent('c', 2), agent('d', 2, '2026-01-01T00:00:00.000Z')]
      .map(readyRank)
      .sort();
    expect(ranks.map((r) => r.split('#').pop())).toEqual(['c', 'd', 'b', 'a']);
  });
});

describe('queue membership', () => {
  const queue = { members: { users: ['ann'], groups: ['billing'] } };

  it('includes agents named as users and agents of its groups', () => {
    expect(isQueueMember(queue, { id: 'ann', groups: [] })).toBe(true);
    expect(isQueueMember(queue, { id: 'bob', groups: ['agents', 'billing'] })).toBe(true);
    expect(isQueueMember(queue, { id: 'cid', groups: ['agents'] })).toBe(false);
  });
});

describe('completion timeout', () => {
  it('closes the chat after the queue timeout, or never without one', () => {
    const at = new Date('2026-01-01T10:00:00.000Z');
    expect(completionDeadline({ completionTimeoutSeconds: 60 }, at)?.toISOString()).toBe('2026-01-01T10:01:00.000Z');
    expect(completionDeadline({ completionTimeoutSeconds: null }, at)).toBeUndefined();
  });
});

describe('chats opened by other routers at the same moment', () => {
  const now = new Date('2026-03-01T09:00:10.000Z');
  const opened = (secondsAgo: number, extra: Partial<{ state: string; offeredTo: string[]; skipped: string[] }> = {}) => ({
    id: `chat-${secondsAgo}`,
    state: 'waiting',
    createdAt: new Date(now.getTime() - secondsAgo * 1000).toISOString(),
    offeredTo: [],
    skipped: [],
    ...extra,
  });

  it('leaves a chat opened moments ago by another router to that router\'s pass', () => {
    expect(leftToItsOwnPass(opened(0.2), new Set(['mine']), now)).toBe(true);
    expect(leftToItsOwnPass(opened(ownPassSeconds - 0.001), new Set(['mine']), now)).toBe(true);
  });

  it('routes its own chats, and a chat that has waited its window, first as the rule says', () => {
    expect(leftToItsOwnPass(opened(0.2), new Set(['chat-0.2']), now)).toBe(false);
    expect(leftToItsOwnPass(opened(ownPassSeconds), new Set(['mine']), now)).toBe(false);
    expect(leftToItsOwnPass(opened(3600), new Set(['mine']), now)).toBe(false);
  });

  it('does not leave a chat a pass has already been through: offered, or skipped by an agent who let it time out', () => {
    expect(leftToItsOwnPass(opened(0.2, { state: 'offered', offeredTo: ['ann'] }), new Set(['mine']), now)).toBe(false);
    expect(leftToItsOwnPass(opened(0.2, { skipped: ['bob'] }), new Set(['mine']), now)).toBe(false);
  });
});
