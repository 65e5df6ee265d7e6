/**
 * A message is stored with single writes (no transaction): the delivery is claimed first and the
 * claim names the write that completes it. Read back from DynamoDB Local over the real SDK.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoChatStore } from '../../functions/adapters/dynamodb/chats';
import { keys } from '../../functions/adapters/dynamodb/keys';
import { Table } from '../../functions/adapters/dynamodb/table';
import type { RoutedChat, StoredMessage } from '../../functions/domain/model';
import { createTestTable, dynamodb } from '../support/aws';

async function store() {
  const table = new Table(DynamoDBDocumentClient.from(dynamodb(), { marshallOptions: { removeUndefinedValues: true } }), await createTestTable());
  return { table, chats: new DynamoChatStore(table) };
}

function chatOf(id: string, at: string): RoutedChat {
  return {
    id,
    channelId: 'channel-1',
    channelType: 'messenger',
    queueId: 'q1',
    state: 'waiting',
    agentId: null,
    customer: { id: `psid-${id}`, name: 'Zoë Ølsen 👨‍👩‍👧' },
    contactId: null,
    language: null,
    createdAt: at,
    lastMessageAt: at,
    version: 1,
    offeredTo: [],
    skipped: [],
  };
}

function messageOf(chatId: string, text: string, sentAt: string): StoredMessage {
  return { id: randomUUID(), chatId, direction: 'in', text, sentAt, status: 'received' };
}

describe('storing a delivery once without a transaction, read back from DynamoDB Local', () => {
  it('stores a retried delivery once, in a new chat and in an open one, and names the stored message', async () => {
    // given a chat opened by a customer's first message
    const { chats } = await store();
    const at = '2026-03-01T10:00:00.000Z';
    const chat = chatOf(randomUUID(), at);
    const delivery = { channelType: 'messenger', channelKey: 'page-1', deliveryId: `m_${randomUUID()}` };
    const first = messageOf(chat.id, 'Olá 😀 👍🏽 🇵🇹', at);
    expect(await chats.openChat(chat, { message: first, delivery })).toBe(true);

    // when the platform delivers the same message again, to the open chat or as an opening
    const again = messageOf(chat.id, 'Olá 😀 👍🏽 🇵🇹', at);
    expect(await chats.append(chat.id, { message: again, delivery }, new Date(at))).toBe(false);
    expect(await chats.openChat(chatOf(randomUUID(), at), { message: again, delivery })).toBe(false);

    // then one message is kept, the chat is open and the delivery names the message
    expect((await chats.messages(chat.id)).map((m) => m.id)).toEqual([first.id]);
    expect((await chats.openChatOf(chat.channelId, chat.customer.id))?.id).toBe(chat.id);
    expect(await chats.deliveredMessageId(delivery)).toBe(first.id);

    // and a new delivery in the open chat moves its last-message time
    const later = '2026-03-01T10:05:00.000Z';
    const next = messageOf(chat.id, 'مرحبا 𝕳', later);
    expect(await chats.append(chat.id, { message: next, delivery: { ...delivery, deliveryId: `m_${randomUUID()}` } }, new Date(later))).toBe(true);
    expect((await chats.chat(chat.id))?.lastMessageAt).toBe(later);
    expect((await chats.messages(chat.id)).map((m) => m.text)).toEqual(['Olá 😀 👍🏽 🇵🇹', 'مرحبا 𝕳']);
  });

  it('lets a retry take over a claim whose attempt stopped before its last write, and only an old one', async () => {
    // given a claim left by an attempt that stopped before storing its message, a minute ago
    const { table, chats } = await store();
    const at = '2026-03-01T11:00:00.000Z';
    const chat = chatOf(randomUUID(), at);
    await chats.openChat(chat, { message: messageOf(chat.id, 'first', at) });
    const delivery = { channelType: 'messenger', channelKey: 'page-1', deliveryId: `m_${randomUUID()}` };
    const lost = messageOf(chat.id, 'never stored', at);
    const marker = keys.delivery(delivery.channelType, delivery.channelKey, delivery.deliveryId);
    const lostKey = keys.message(chat.id, lost.sentAt, lost.id);
    await table.put({ ...marker, messageId: lost.id, donePk: lostKey.pk, doneSk: lostKey.sk, claimedAt: Date.now() - 60_000 });

    // when the delivery comes again
    const retry = messageOf(chat.id, '你好 👨‍👩‍👧', at);
    expect(await chats.append(chat.id, { message: retry, delivery }, new Date(at))).toBe(true);

    // then the retry's message is kept, once, and the delivery names it
    expect((await chats.messages(chat.id)).map((m) => m.text)).toEqual(['first', '你好 👨‍👩‍👧']);
    expect(await chats.deliveredMessageId(delivery)).toBe(retry.id);

    // and a claim made a moment ago (an attempt still writing) is neither taken over nor called seen
    const busy = { ...delivery, deliveryId: `m_${randomUUID()}` };
    const inFlight = messageOf(chat.id, 'in flight', at);
    const inFlightKey = keys.message(chat.id, inFlight.sentAt, inFlight.id);
    await table.put({ ...keys.delivery(busy.channelType, busy.channelKey, busy.deliveryId), messageId: inFlight.id, donePk: inFlightKey.pk, doneSk: inFlightKey.sk, claimedAt: Date.now() });
    await expect(chats.append(chat.id, { message: messageOf(chat.id, 'second try', at), delivery: busy }, new Date(at))).rejects.toThrow(/another attempt/);
    expect((await chats.messages(chat.id)).map((m) => m.text)).toEqual(['first', '你好 👨‍👩‍👧']);
  });

  it('of concurrent attempts at one delivery, stores exactly one message', async () => {
    // given an open chat
    const { chats } = await store();
    const at = '2026-03-01T12:00:00.000Z';
    const chat = chatOf(randomUUID(), at);
    await chats.openChat(chat, { message: messageOf(chat.id, 'first', at) });
    const delivery = { channelType: 'agent', channelKey: 'agent-1', deliveryId: `c_${randomUUID()}` };

    // when eight attempts store the same delivery at once (an agent's retried send from two tabs)
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => chats.append(chat.id, { message: messageOf(chat.id, 'Спасибо 👍🏽', at), delivery }, new Date(at))));

    // then exactly one stored it, the others were told it was seen (or to retry), and one message is kept
    expect(results.filter((r) => r.status === 'fulfilled' && r.value === true)).toHaveLength(1);
    expect((await chats.messages(chat.id)).filter((m) => m.text === 'Спасибо 👍🏽')).toHaveLength(1);
  });
});
