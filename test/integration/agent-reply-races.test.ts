import { randomUUID } from 'node:crypto';
import { ChatNoLongerHeld } from '../../functions/domain/ports';
import { routingHarness, type RoutingHarness } from '../support/routing-harness';

/** Stores an agent's reply as the socket's `send` does: only while the chat is theirs. */
async function agentReplies(h: RoutingHarness, agentId: string, chatId: string, text: string): Promise<'stored' | 'refused'> {
  const message = { id: randomUUID(), chatId, direction: 'out' as const, text, sentAt: h.clock().toISOString(), status: 'pending' as const, agentId };
  try {
    await h.chats.append(chatId, { message, heldBy: agentId }, h.clock());
    return 'stored';
  } catch (error) {
    if (error instanceof ChatNoLongerHeld) return 'refused';
    throw error;
  }
}

async function assignedChat(h: RoutingHarness, agentId = 'ann'): Promise<string> {
  const chatId = await h.customerWrites('support');
  expect(await h.dispatcher.accept(agentId, chatId)).toEqual({ ok: true });
  return chatId;
}

const agentMessages = async (h: RoutingHarness, chatId: string) => (await h.chats.messages(chatId)).filter((m) => m.agentId !== undefined);

describe('an agent’s reply racing a close or a move, against DynamoDB Local', () => {
  it('a reply after the chat was closed is refused and stores nothing', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.agent('ann', { connected: true });
    const chatId = await assignedChat(h);
    expect(await h.dispatcher.close(chatId, 'supervisor')).toEqual({ ok: true });
    // when
    const outcome = await agentReplies(h, 'ann', chatId, 'Ainda está aí? 😀');
    // then
    expect(outcome).toBe('refused');
    expect(await agentMessages(h, chatId)).toEqual([]);
    expect((await h.chats.chat(chatId))?.messagesOut).toBeUndefined();
  });

  it('a reply after a supervisor moved the chat to another agent is refused; the new holder’s is kept', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.agent('ann', { connected: true });
    await h.agent('bob', { connected: true });
    const chatId = await assignedChat(h);
    expect(await h.dispatcher.reassign(chatId, { agentId: 'bob', force: true }, 'sue')).toMatchObject({ ok: true });
    // when
    const fromAnn = await agentReplies(h, 'ann', chatId, 'Один момент, пожалуйста');
    const fromBob = await agentReplies(h, 'bob', chatId, 'Я здесь 👋🏽');
    // then
    expect([fromAnn, fromBob]).toEqual(['refused', 'stored']);
    expect((await agentMessages(h, chatId)).map((m) => [m.agentId, m.text])).toEqual([['bob', 'Я здесь 👋🏽']]);
  });

  it('replies racing closes on many chats at once: each reply is either kept before the close or refused, never kept after it', async () => {
    const h = await routingHarness({ simultaneousChats: 40 });
    await h.queue({ id: 'support', routingRule: 'all-agents' });
    const agents = Array.from({ length: 8 }, (_, n) => `agent-${n}`);
    for (const id of agents) await h.agent(id, { connected: true });
    // two chats per agent, so the races are the replies' and not sixteen closes of one agent's record
    const held: { chatId: string; agentId: string }[] = [];
    for (let n = 0; n < 16; n++) {
      const agentId = agents[n % agents.length]!;
      held.push({ chatId: await assignedChat(h, agentId), agentId });
    }
    // when
    const outcomes = await Promise.all(
      held.map(async ({ chatId, agentId }) => {
        const [reply, close] = await Promise.all([agentReplies(h, agentId, chatId, `今から確認します 🙇 #${chatId.slice(0, 4)}`), h.dispatcher.close(chatId, 'supervisor')]);
        expect(close).toEqual({ ok: true });
        return { chatId, reply };
      }),
    );
    // then every chat is closed, and holds the reply exactly when it was kept
    for (const { chatId, reply } of outcomes) {
      const chat = await h.chats.chat(chatId);
      expect(chat?.state).toBe('closed');
      const kept = await agentMessages(h, chatId);
      expect(kept).toHaveLength(reply === 'stored' ? 1 : 0);
      expect(chat?.messagesOut ?? 0).toBe(reply === 'stored' ? 1 : 0);
    }
  }, 120_000);
});
