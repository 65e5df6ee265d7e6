import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { RoutedChat } from '../../functions/domain/model';
import { inboundMessageId } from '../../functions/services/chat-intake';
import { routingHarness } from '../support/routing-harness';

/**
 * Faults other contact-center products shipped to real customers, each as a test named after
 * it, against DynamoDB Local with real concurrency. (Chatwoot #14934, the reconnect gap, is
 * `agent-protocol.test.ts`'s reconnect test; Rocket.Chat #22206 is also covered in
 * `routing-concurrency.test.ts`.)
 */
describe('faults of other products that must not happen here', () => {
  it('Chatwoot #6046, duplicate conversations from Meta retries: the same first message delivered five times at once opens ONE chat', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    for (let round = 0; round < 10; round += 1) {
      const customerId = `psid-${randomUUID()}`;
      const sentAt = new Date().toISOString();
      // five router invocations, all for the same Messenger mid: each derives the chat's and the message's ids from it, as ChatIntake does
      const delivery = { channelType: 'messenger', channelKey: 'page-1', deliveryId: `m_${customerId}` };
      const attempts = Array.from({ length: 5 }, () => {
        const chat: RoutedChat = {
          id: inboundMessageId(delivery, 'chat'),
          channelId: 'channel-1',
          channelType: 'messenger',
          queueId: 'support',
          state: 'waiting',
          agentId: null,
          customer: { id: customerId, name: 'Zoë 😀' },
          contactId: null,
          language: null,
          createdAt: sentAt,
          lastMessageAt: sentAt,
          version: 1,
          offeredTo: [],
          skipped: [],
        };
        const message = { id: inboundMessageId(delivery), chatId: chat.id, direction: 'in' as const, text: 'Olá 👋🏽 🇵🇹', sentAt, status: 'received' as const };
        return { chat, first: { message, delivery } };
      });
      const opened = await Promise.all(attempts.map((a) => h.chats.openChat(a.chat, a.first).catch((error: unknown) => error)));
      expect(opened.filter((o) => o === true)).toHaveLength(1);
      expect(opened.filter((o) => o !== true && o !== false)).toEqual([]);
      const winner = attempts[opened.indexOf(true)]?.chat.id;
      expect((await h.chats.openChatOf('channel-1', customerId))?.id).toBe(winner);

      const items = await h.table.client.send(new ScanCommand({ TableName: h.table.name, ConsistentRead: true }));
      const chatsOfCustomer = (items.Items ?? []).filter((i) => i.sk === 'CHAT' && (i.customer as { id: string }).id === customerId);
      expect(chatsOfCustomer.map((c) => c.id)).toEqual([winner]);
      expect(await h.chats.messages(winner ?? '', 10)).toHaveLength(1);
    }
  }, 60_000);

  it('Chatwoot #10583, a chat stranded at capacity: a waiting chat is offered the moment the agent has room again', async () => {
    const h = await routingHarness({ simultaneousChats: 1 });
    await h.queue({ id: 'support' });
    await h.agent('ana', { connected: true });
    for (let round = 0; round < 5; round += 1) {
      const first = await h.customerWrites('support');
      expect(await h.dispatcher.accept('ana', first)).toMatchObject({ ok: true });
      // at capacity: the next chat waits
      const second = await h.customerWrites('support');
      expect(await h.chats.chat(second)).toMatchObject({ state: 'waiting' });
      // when the agent closes the first chat, the waiting one is offered at once, without another event
      expect(await h.dispatcher.close(first, 'agent', 'ana')).toEqual({ ok: true });
      expect(await h.chats.chat(second)).toMatchObject({ state: 'offered', offeredTo: ['ana'] });
      expect(h.offersTo('ana')).toContain(second);
      expect(await h.dispatcher.accept('ana', second)).toMatchObject({ ok: true });
      expect(await h.dispatcher.close(second, 'agent', 'ana')).toEqual({ ok: true });
    }
  }, 60_000);

  it('Rocket.Chat #37776, an agent over capacity under a race: twenty chats arriving at once and racing accepts never give an agent more than its capacity', async () => {
    const h = await routingHarness({ simultaneousChats: 2 });
    await h.queue({ id: 'support', routingRule: 'available-agent' });
    await h.queue({ id: 'sales', routingRule: 'all-agents' });
    await h.agent('ana', { connected: true });
    await h.agent('ben', { connected: true, simultaneousChats: 1 });
    const chats = await Promise.all(Array.from({ length: 20 }, (_, i) => h.customerWrites(i % 2 ? 'support' : 'sales')));
    const offered = (await Promise.all(chats.map((id) => h.chats.chat(id)))).flatMap((c) => (c?.offeredTo ?? []).map((agentId) => ({ chatId: c?.id ?? '', agentId })));
    await Promise.all(offered.map((o) => h.dispatcher.accept(o.agentId, o.chatId)));
    for (const [agentId, capacity] of [['ana', 2], ['ben', 1]] as const) {
      const agent = await h.directory.agent(agentId);
      const held = (await Promise.all(chats.map((id) => h.chats.chat(id)))).filter((c) => c?.agentId === agentId && c.state === 'assigned');
      expect(held.length).toBeLessThanOrEqual(capacity);
      expect(agent?.load).toBeLessThanOrEqual(capacity);
    }
  }, 60_000);

  it('Rocket.Chat #22206, one chat taken by two agents: two agents accepting the same chat at once, one wins and the other is refused', async () => {
    const h = await routingHarness({ simultaneousChats: 3 });
    await h.queue({ id: 'sales', routingRule: 'all-agents' });
    await h.agent('ana', { connected: true });
    await h.agent('ben', { connected: true });
    for (let round = 0; round < 15; round += 1) {
      const chatId = await h.customerWrites('sales');
      const [a, b] = await Promise.all([h.dispatcher.accept('ana', chatId), h.dispatcher.accept('ben', chatId)]);
      expect([a.ok, b.ok].filter(Boolean)).toHaveLength(1);
      const winner = a.ok ? 'ana' : 'ben';
      expect(await h.chats.chat(chatId)).toMatchObject({ state: 'assigned', agentId: winner });
      expect(await h.dispatcher.close(chatId, 'agent', winner)).toEqual({ ok: true });
    }
  }, 60_000);
});
