import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoAdminStore } from '../../functions/adapters/dynamodb/admin-store';
import { DynamoChatStore } from '../../functions/adapters/dynamodb/chats';
import { Table } from '../../functions/adapters/dynamodb/table';
import { ChatClosedMeanwhile, type DeliveryRef } from '../../functions/domain/ports';
import { inboundMessageId } from '../../functions/services/chat-intake';
import { routingHarness, type RoutingHarness } from '../support/routing-harness';

/**
 * A customer's message to an open chat is two conditional writes, not a transaction: the chat's
 * counters (the close race is decided there), then the message (its id derives from the platform's
 * delivery id, so a redelivery is the same key). These tests hold that to the guarantees the
 * transaction gave: nothing after a close, nothing twice, nothing lost when a retry follows a failure.
 */
const delivery = (mid: string): DeliveryRef => ({ channelType: 'messenger', channelKey: 'page-1', deliveryId: mid });

function customerMessage(chatId: string, mid: string, text: string, sentAt: string) {
  return { id: inboundMessageId(delivery(mid)), chatId, direction: 'in' as const, text, sentAt, status: 'received' as const, platformMessageId: mid };
}

async function writes(h: RoutingHarness, chatId: string, mid: string, text: string, sentAt = later(h)): Promise<boolean | 'closed'> {
  try {
    return await h.chats.append(chatId, { message: customerMessage(chatId, mid, text, sentAt), delivery: delivery(mid), whileOpen: true }, h.clock());
  } catch (error) {
    if (error instanceof ChatClosedMeanwhile) return 'closed';
    throw error;
  }
}

/** A second after the chat's first message, so the messages' order is the test's. */
const later = (h: RoutingHarness) => new Date(h.clock().getTime() + 1000).toISOString();

const customerTexts = async (h: RoutingHarness, chatId: string) => (await h.chats.messages(chatId, 100)).filter((m) => m.direction === 'in').map((m) => m.text);

/** A table whose next put of an item (a message by default) fails as a throttled or timed-out call would. */
class FailingPuts extends Table {
  failures = 1;
  failOn: (item: Record<string, unknown>) => boolean = (item) => String(item.sk).startsWith('MSG#');
  override async put(...args: Parameters<Table['put']>): Promise<void> {
    if (this.failures > 0 && this.failOn(args[0])) {
      this.failures -= 1;
      throw Object.assign(new Error('Throughput exceeds the current capacity of your table or index.'), { name: 'ProvisionedThroughputExceededException' });
    }
    return super.put(...args);
  }
}

describe('a customer message appended to an open chat, against DynamoDB Local', () => {
  it('stores a redelivered message once and counts it once', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    const chatId = await h.customerWrites('support');
    // when the platform delivers the same message twice (after SQS's five-minute deduplication window)
    expect(await writes(h, chatId, 'm_😀_1', 'Olá, preciso de ajuda 👋🏽')).toBe(true);
    expect(await writes(h, chatId, 'm_😀_1', 'Olá, preciso de ajuda 👋🏽')).toBe(false);
    // then it is kept once
    expect(await customerTexts(h, chatId)).toEqual(['hello 👋🏽', 'Olá, preciso de ajuda 👋🏽']);
    expect((await h.chats.chat(chatId))?.messagesIn).toBe(2);
  });

  it('a redelivery of the message that opened the chat is a duplicate while the chat is open', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    const chatId = await h.customerWrites('support');
    const chat = (await h.chats.chat(chatId))!;
    const opened = { ...chat, id: randomUUID(), customer: { id: 'cust-first', name: 'Zoë Ølsen' } };
    const sentAt = later(h);
    expect(await h.chats.openChat(opened, { message: customerMessage(opened.id, 'm_first', '¿Hay alguien? 🤔', sentAt), delivery: delivery('m_first') })).toBe(true);
    expect(await writes(h, opened.id, 'm_first', '¿Hay alguien? 🤔', sentAt)).toBe(false);
    expect((await h.chats.messages(opened.id)).map((m) => m.text)).toEqual(['¿Hay alguien? 🤔']);
    expect((await h.chats.chat(opened.id))?.messagesIn).toBe(1);
  });

  it('a retry after the message put failed stores the message without counting it twice', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    const chatId = await h.customerWrites('support');
    const failing = new FailingPuts(h.table.client, h.table.name);
    const chats = new DynamoChatStore(failing);
    const message = customerMessage(chatId, 'm_retry', 'مرحبا، هل من أحد هنا؟ 🇵🇹', later(h));
    const entry = { message, delivery: delivery('m_retry'), whileOpen: true };
    // when the first attempt fails between its two writes, and the queue delivers the event again
    await expect(chats.append(chatId, entry, h.clock())).rejects.toThrow('Throughput exceeds');
    expect(await chats.append(chatId, entry, h.clock())).toBe(true);
    // then the message is there once and counted once; a third delivery is a duplicate
    expect(await chats.append(chatId, entry, h.clock())).toBe(false);
    expect(await customerTexts(h, chatId)).toEqual(['hello 👋🏽', 'مرحبا، هل من أحد هنا؟ 🇵🇹']);
    expect((await h.chats.chat(chatId))?.messagesIn).toBe(2);
  });

  it.each([
    ['the chat', (item: Record<string, unknown>) => item.sk === 'CHAT'],
    ['the conversation’s pointer', (item: Record<string, unknown>) => item.sk === 'CONV'],
  ])('a new chat whose opening failed before %s was written opens whole on the retry, once', async (_step, failOn) => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    const template = (await h.chats.chat(await h.customerWrites('support')))!;
    const failing = new FailingPuts(h.table.client, h.table.name);
    failing.failOn = failOn;
    const chats = new DynamoChatStore(failing);
    const chat = { ...template, id: inboundMessageId(delivery('m_open'), 'chat'), customer: { id: 'cust-retry', name: 'Ana Lúcia' }, state: 'waiting' as const, offeredTo: [], version: 1 };
    const first = { message: customerMessage(chat.id, 'm_open', 'Bom dia! Tenho uma dúvida 🇧🇷', later(h)), delivery: delivery('m_open') };
    // when the first attempt fails part-way and the queue delivers the event again
    await expect(chats.openChat(chat, first)).rejects.toThrow('Throughput exceeds');
    expect(await chats.openChat(chat, first)).toBe(true);
    // then the chat is open, once, with its message, and the customer's next message joins it
    expect((await chats.openChatOf(chat.channelId, 'cust-retry'))?.id).toBe(chat.id);
    expect(await writes(h, chat.id, 'm_open', 'Bom dia! Tenho uma dúvida 🇧🇷')).toBe(false);
    expect(await writes(h, chat.id, 'm_next', 'Ainda aí? 👀', new Date(h.clock().getTime() + 2000).toISOString())).toBe(true);
    expect((await chats.messages(chat.id)).map((m) => m.text)).toEqual(['Bom dia! Tenho uma dúvida 🇧🇷', 'Ainda aí? 👀']);
    expect((await chats.chat(chat.id))?.messagesIn).toBe(2);
  });

  it('a message without a platform send time (each arrival stamped anew) is stored once when it comes again at once', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    const chatId = await h.customerWrites('support');
    // when a button press arrives three times, each time stamped when it was received
    const outcomes = [];
    for (let n = 1; n <= 3; n++) outcomes.push(await writes(h, chatId, 'cb_4382', 'helpful:yes', new Date(h.clock().getTime() + n * 1000).toISOString()));
    // then it is kept and counted once
    expect(outcomes).toEqual([true, false, false]);
    expect(await customerTexts(h, chatId)).toEqual(['hello 👋🏽', 'helpful:yes']);
    expect((await h.chats.chat(chatId))?.messagesIn).toBe(2);
  });

  it('a redelivery of an older message is found before it is counted', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    const chatId = await h.customerWrites('support');
    const first = later(h);
    expect(await writes(h, chatId, 'm_a', 'primeiro 🇵🇹', first)).toBe(true);
    expect(await writes(h, chatId, 'm_b', 'segundo 😀', new Date(h.clock().getTime() + 5000).toISOString())).toBe(true);
    // when the first comes again after the second
    expect(await writes(h, chatId, 'm_a', 'primeiro 🇵🇹', first)).toBe(false);
    // then nothing changed
    expect(await customerTexts(h, chatId)).toEqual(['hello 👋🏽', 'primeiro 🇵🇹', 'segundo 😀']);
    expect((await h.chats.chat(chatId))?.messagesIn).toBe(3);
  });

  it('a new chat whose pointer landed although its answer was lost (the SDK retried the put) is opened, not taken for a duplicate', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    const template = (await h.chats.chat(await h.customerWrites('support')))!;
    /** Writes the conversation's pointer, then sends the same put again as the SDK does when the first answer was lost. */
    class LostAnswer extends Table {
      override async put(...args: Parameters<Table['put']>): Promise<void> {
        await super.put(...args);
        if (args[0].sk === 'CONV') await super.put(...args);
      }
    }
    const chats = new DynamoChatStore(new LostAnswer(h.table.client, h.table.name));
    const chat = { ...template, id: inboundMessageId(delivery('m_lost_answer'), 'chat'), customer: { id: 'cust-lost-answer', name: '李雷' }, state: 'waiting' as const, offeredTo: [], version: 1 };
    const first = { message: customerMessage(chat.id, 'm_lost_answer', '你好，我的订单还没到 📦', later(h)), delivery: delivery('m_lost_answer') };
    expect(await chats.openChat(chat, first)).toBe(true);
    expect((await chats.openChatOf(chat.channelId, 'cust-lost-answer'))?.id).toBe(chat.id);
  });

  it('a message the platform stamped earlier than the newest one is stored, and does not move the chat’s times back', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    const chatId = await h.customerWrites('support');
    h.advance(60);
    const later = h.clock().toISOString();
    const earlier = new Date(h.clock().getTime() - 30_000).toISOString();
    expect(await writes(h, chatId, 'm_late', 'second 𝕳', later)).toBe(true);
    expect(await writes(h, chatId, 'm_early', 'first 👨‍👩‍👧', earlier)).toBe(true);
    const chat = await h.chats.chat(chatId);
    expect(chat?.lastMessageAt).toBe(later);
    expect(chat?.messagesIn).toBe(3);
    expect(await customerTexts(h, chatId)).toEqual(['hello 👋🏽', 'first 👨‍👩‍👧', 'second 𝕳']);
  });

  it('after a close the message is refused and nothing is stored; a redelivery of a message of the closed chat does not open a new one', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.agent('ann', { connected: true });
    const chatId = await h.customerWrites('support');
    expect(await h.dispatcher.accept('ann', chatId)).toEqual({ ok: true });
    const sentAt = later(h);
    expect(await writes(h, chatId, 'm_before_close', 'Спасибо! 🙏', sentAt)).toBe(true);
    expect(await h.dispatcher.close(chatId, 'agent', 'ann')).toEqual({ ok: true });
    // when a message arrives after the close
    expect(await writes(h, chatId, 'm_after_close', 'one more thing')).toBe('closed');
    expect(await customerTexts(h, chatId)).toEqual(['hello 👋🏽', 'Спасибо! 🙏']);
    // and when the platform redelivers the message the closed chat holds, as the first of a new chat
    const closed = (await h.chats.chat(chatId))!;
    const next = { ...closed, id: randomUUID(), state: 'waiting' as const, agentId: null, offeredTo: [], skipped: [], version: 1, createdAt: h.clock().toISOString() };
    const redelivered = customerMessage(next.id, 'm_before_close', 'Спасибо! 🙏', sentAt);
    // then it is a duplicate: no chat opens
    expect(await h.chats.openChat(next, { message: redelivered, delivery: delivery('m_before_close') })).toBe(false);
    expect(await h.chats.chat(next.id)).toBeUndefined();
    // while a new message opens the next chat
    const fresh = customerMessage(next.id, 'm_new', 'Hello again 😀', h.clock().toISOString());
    expect(await h.chats.openChat(next, { message: fresh, delivery: delivery('m_new') })).toBe(true);
  });

  it('the chat as read, listed and closed carries the customer’s counters, which a message writes in its conversation’s small item', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.agent('ann', { connected: true });
    const chatId = await h.customerWrites('support');
    expect(await h.dispatcher.accept('ann', chatId)).toEqual({ ok: true });
    h.advance(90);
    const last = h.clock().toISOString();
    expect(await writes(h, chatId, 'm_c1', 'Tenho mais uma pergunta 🙋🏽‍♀️', last)).toBe(true);
    // read by id, and listed by the admin API, the open chat shows the customer's last message time and count
    expect(await h.chats.chat(chatId)).toMatchObject({ lastMessageAt: last, customerWroteAt: last, messagesIn: 2 });
    const listed = await new DynamoAdminStore(h.table).chatsInState('assigned', {}, { limit: 10 });
    expect(listed.items.find((c) => c.id === chatId)).toMatchObject({ lastMessageAt: last, messagesIn: 2 });
    // the chat item itself was not written by the message: its size (over 1 KB with a real customer) costs nothing per message
    const raw = await h.table.client.send(new GetCommand({ TableName: h.table.name, Key: { pk: `CHAT#${chatId}`, sk: 'CHAT' }, ConsistentRead: true }));
    expect(raw.Item?.messagesIn).toBe(1);
    // closing keeps the counters with the chat
    expect(await h.dispatcher.close(chatId, 'agent', 'ann')).toEqual({ ok: true });
    const closedRaw = await h.table.client.send(new GetCommand({ TableName: h.table.name, Key: { pk: `CHAT#${chatId}`, sk: 'CHAT' }, ConsistentRead: true }));
    expect(closedRaw.Item).toMatchObject({ state: 'closed', messagesIn: 2, lastMessageAt: last, customerWroteAt: last });
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'closed', messagesIn: 2, lastMessageAt: last });
  });

  it('a close that read the chat before a customer message landed decides again, and keeps that message’s count', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    await h.agent('ann', { connected: true });
    const chatId = await h.customerWrites('support');
    expect(await h.dispatcher.accept('ann', chatId)).toEqual({ ok: true });
    const stale = (await h.chats.chat(chatId))!;
    expect(await writes(h, chatId, 'm_between', 'Espera! 🛑')).toBe(true);
    // a close on the chat as read before the message loses, as a routing race does
    const agent = await h.store.agent('ann');
    expect(await h.store.closeChat({ chat: stale, agent, settings: await h.directory.settings(), reason: 'agent', now: h.clock() })).toBe('lost');
    // and the dispatcher's close, reading again, keeps it
    expect(await h.dispatcher.close(chatId, 'agent', 'ann')).toEqual({ ok: true });
    expect(await h.chats.chat(chatId)).toMatchObject({ state: 'closed', messagesIn: 2 });
  });

  it('a chat open before its conversation kept the counters goes on counting from the chat’s own count', async () => {
    const h = await routingHarness();
    await h.queue({ id: 'support' });
    const chatId = await h.customerWrites('support');
    const chat = (await h.chats.chat(chatId))!;
    // as a table written before: the chat counted 7 messages, the conversation only names it
    await h.table.update({ pk: `CHAT#${chatId}`, sk: 'CHAT', update: 'SET messagesIn = :n', values: { ':n': 7 } });
    await h.table.put({ pk: `CONV#${chat.channelId}#${chat.customer.id}`, sk: 'CONV', openChatId: chatId });
    const before = (await h.chats.chat(chatId))!;
    expect(before.messagesIn).toBe(7);
    const message = customerMessage(chatId, 'm_after_upgrade', 'Voltei 👋🏽', later(h));
    const conversation = { channelId: chat.channelId, customerId: chat.customer.id, messagesIn: before.messagesIn };
    expect(await h.chats.append(chatId, { message, delivery: delivery('m_after_upgrade'), whileOpen: true, conversation }, h.clock())).toBe(true);
    expect((await h.chats.chat(chatId))?.messagesIn).toBe(8);
  });

  it('messages racing closes on many chats: each is stored and counted before the close, or refused with nothing stored', async () => {
    const h = await routingHarness({ simultaneousChats: 1 });
    await h.queue({ id: 'support' });
    // one chat per agent, so the races are the messages' and not sixteen closes of one agent's record
    for (let n = 0; n < 16; n++) await h.agent(`agent-${n}`, { connected: true });
    const chatIds: string[] = [];
    for (let n = 0; n < 16; n++) {
      const chatId = await h.customerWrites('support');
      const [offeredTo] = (await h.chats.chat(chatId))?.offeredTo ?? [];
      expect(await h.dispatcher.accept(offeredTo!, chatId)).toEqual({ ok: true });
      chatIds.push(chatId);
    }
    // when each chat's customer writes while the chat is being closed
    const outcomes = await Promise.all(
      chatIds.map(async (chatId, n) => {
        const [written, closed] = await Promise.all([writes(h, chatId, `m_race_${n}`, `Última pregunta ${n} 🤔`), h.dispatcher.close(chatId, 'supervisor')]);
        return [written, closed] as const;
      }),
    );
    // then every chat is closed, and a message is in a chat exactly when it was stored, counted there
    for (const [n, chatId] of chatIds.entries()) {
      const chat = await h.chats.chat(chatId);
      expect(chat?.state).toBe('closed');
      const texts = await customerTexts(h, chatId);
      expect(outcomes[n]?.[1]).toEqual({ ok: true });
      if (outcomes[n]?.[0] === true) {
        expect(texts).toEqual(['hello 👋🏽', `Última pregunta ${n} 🤔`]);
        expect(chat?.messagesIn).toBe(2);
      } else {
        expect(outcomes[n]?.[0]).toBe('closed');
        expect(texts).toEqual(['hello 👋🏽']);
        expect(chat?.messagesIn ?? 1).toBe(1);
      }
    }
  });
});
