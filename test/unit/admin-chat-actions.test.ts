import { ChatActionNotAllowed, ChatActionNotFound, ChatActions } from '../../functions/services/chat-actions';
import { type AgentRecord, type ChatAction, type RoutedChat } from '../../functions/domain/model';

const action: ChatAction = { id: 'act-1', caption: 'Open a ticket', queueId: 'sales', detailType: 'TicketRequested', createdAt: '2026-03-01T09:00:00.000Z' };

function chat(overrides: Partial<RoutedChat> = {}): RoutedChat {
  return {
    id: 'chat-1',
    channelId: 'ch-1',
    channelType: 'messenger',
    queueId: 'sales',
    state: 'assigned',
    agentId: 'ann',
    customer: { id: 'psid-1', name: 'Pat' },
    contactId: 'contact-9',
    language: null,
    createdAt: '2026-03-01T09:00:00.000Z',
    lastMessageAt: '2026-03-01T09:00:00.000Z',
    version: 3,
    offeredTo: [],
    skipped: [],
    ...overrides,
  };
}

function agent(id: string, queues: string[]): AgentRecord {
  return { id, displayName: id, groups: ['agents'], presence: 'active', connections: 1, load: 1, queues, rev: 1, createdAt: '2026-03-01T09:00:00.000Z' };
}

function setup(state: { chat?: RoutedChat; agents?: AgentRecord[]; action?: ChatAction } = {}) {
  const published: { detailType: string; detail: Record<string, unknown> }[] = [];
  const agents = new Map((state.agents ?? [agent('ann', ['sales'])]).map((a) => [a.id, a]));
  const actions = new ChatActions({
    actions: { action: async (id) => (id === (state.action ?? action).id ? (state.action ?? action) : undefined) },
    chats: { chat: async (id) => (id === (state.chat ?? chat()).id ? (state.chat ?? chat()) : undefined) },
    directory: { agentItem: async (id) => agents.get(id) },
    events: { publish: async (detailType, detail) => void published.push({ detailType, detail }) },
  });
  return { actions, published };
}

describe('chat actions', () => {
  it('publishes the action’s detail-type with the chat, contact and agent when an agent of the queue runs it on their chat', async () => {
    // given
    const { actions, published } = setup();
    // when
    await actions.run('ann', 'chat-1', 'act-1');
    // then
    expect(published).toEqual([{ detailType: 'TicketRequested', detail: { actionId: 'act-1', chatId: 'chat-1', contactId: 'contact-9', agentId: 'ann' } }]);
  });

  it('lets an agent of the queue run it on a chat of their queue held by someone else', async () => {
    const { actions, published } = setup({ agents: [agent('bob', ['sales'])] });
    await actions.run('bob', 'chat-1', 'act-1');
    expect(published).toHaveLength(1);
  });

  it('refuses an agent who is not in the action’s queue', async () => {
    const { actions, published } = setup({ agents: [agent('ann', ['support'])], chat: chat({ queueId: 'support' }) });
    await expect(actions.run('ann', 'chat-1', 'act-1')).rejects.toBeInstanceOf(ChatActionNotAllowed);
    expect(published).toEqual([]);
  });

  it('refuses a chat that is neither the agent’s nor of their queues', async () => {
    const { actions, published } = setup({ chat: chat({ queueId: 'billing', agentId: 'zoe' }) });
    await expect(actions.run('ann', 'chat-1', 'act-1')).rejects.toBeInstanceOf(ChatActionNotAllowed);
    expect(published).toEqual([]);
  });

  it('says which thing is missing: action, chat or agent', async () => {
    const { actions } = setup();
    await expect(actions.run('ann', 'chat-1', 'nope')).rejects.toThrow(new ChatActionNotFound('action', 'nope'));
    await expect(actions.run('ann', 'nope', 'act-1')).rejects.toThrow(new ChatActionNotFound('chat', 'nope'));
    await expect(actions.run('nobody', 'chat-1', 'act-1')).rejects.toThrow(new ChatActionNotFound('agent', 'nobody'));
  });
});
