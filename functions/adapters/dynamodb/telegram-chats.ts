import type { TelegramChats } from '../../domain/ports';
import { keys, ttlAfter } from './keys';
import { lostRace, type Table } from './table';

/** How long an edit's update id is remembered; Telegram gives up redelivering within a day. */
const deliveryMemorySeconds = 7 * 24 * 3600;

/** What Telegram adds to chats and messages: customer edits and customers who blocked the bot. */
export class DynamoTelegramChats implements TelegramChats {
  constructor(
    private readonly table: Table,
    private readonly clock: () => Date,
  ) {}

  /**
   * Replaces the text of a stored customer message and remembers the update id, in one
   * transaction; false when this update was applied before.
   */
  async applyEdit(
    ref: { chatId: string; sentAt: string; id: string },
    edit: { text: string; editedAt: string },
    delivery: { channelType: string; channelKey: string; deliveryId: string },
  ): Promise<boolean> {
    const k = keys.message(ref.chatId, ref.sentAt, ref.id);
    try {
      await this.table.transact([
        {
          Update: {
            TableName: '',
            Key: k,
            UpdateExpression: 'SET #text = :text, editedAt = :editedAt',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#text': 'text' },
            ExpressionAttributeValues: { ':text': edit.text, ':editedAt': edit.editedAt },
          },
        },
        {
          Put: {
            TableName: '',
            Item: { ...keys.delivery(delivery.channelType, delivery.channelKey, delivery.deliveryId), messageId: ref.id, ttl: ttlAfter(this.clock(), deliveryMemorySeconds) },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      ]);
      return true;
    } catch (error) {
      if (lostRace(error)) return false;
      throw error;
    }
  }

  /** Marks a chat whose customer blocked the bot (Telegram 403), with Telegram's words. */
  async markCustomerBlocked(chatId: string, reason: string): Promise<void> {
    await this.table.update({
      ...keys.chat(chatId),
      update: 'SET customerBlocked = :yes, customerBlockedAt = :at, customerBlockedReason = :reason',
      condition: 'attribute_exists(pk)',
      values: { ':yes': true, ':at': this.clock().toISOString(), ':reason': reason },
    });
  }
}
