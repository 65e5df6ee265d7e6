import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { keys } from '../../functions/adapters/dynamodb/keys';
import { DynamoTelegramChats } from '../../functions/adapters/dynamodb/telegram-chats';
import { routingHarness, type RoutingHarness } from '../support/routing-harness';
import { type TelegramChats } from '../../functions/domain/ports';

let h: RoutingHarness;
let store: TelegramChats;

beforeAll(async () => {
  h = await routingHarness();
  store = new DynamoTelegramChats(h.table, () => new Date('2026-03-01T09:05:00.000Z'));
  await h.queue({ id: 'q1' });
});

async function chatWithOneMessage() {
  const chatId = await h.customerWrites('q1', `cust-${randomUUID()}`);
  const [message] = await h.chats.messages(chatId);
  if (!message) throw new Error('the chat has no message');
  return { chatId, message };
}

describe('Telegram state in the table', () => {
  it('applies an edit to the stored message once per update id', async () => {
    // given
    const { chatId, message } = await chatWithOneMessage();
    const delivery = { channelType: 'telegram', channelKey: 'ch-tg', deliveryId: `${Date.now()}` };
    // when the same edit arrives twice
    const first = await store.applyEdit(message, { text: 'hello, edited', editedAt: '2026-03-01T09:04:00.000Z' }, delivery);
    const again = await store.applyEdit(message, { text: 'hello, edited', editedAt: '2026-03-01T09:04:00.000Z' }, delivery);
    // then
    expect([first, again]).toEqual([true, false]);
    const [stored] = await h.chats.messages(chatId);
    expect(stored).toMatchObject({ id: message.id, text: 'hello, edited' });
  });

  it('marks a chat whose customer blocked the bot, with Telegram’s words', async () => {
    // given
    const { chatId } = await chatWithOneMessage();
    // when
    await store.markCustomerBlocked(chatId, 'Forbidden: bot was blocked by the user');
    // then
    const k = keys.chat(chatId);
    const mark = await h.table.get(z.object({ customerBlocked: z.boolean(), customerBlockedAt: z.string(), customerBlockedReason: z.string() }), k.pk, k.sk, true);
    expect(mark).toEqual({ customerBlocked: true, customerBlockedAt: '2026-03-01T09:05:00.000Z', customerBlockedReason: 'Forbidden: bot was blocked by the user' });
  });

  it('refuses to mark a chat that does not exist', async () => {
    await expect(store.markCustomerBlocked('no-such-chat', 'Forbidden')).rejects.toThrow();
  });
});
