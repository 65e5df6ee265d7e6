import * as z from 'zod';
import type { Attachment, Chat, Message } from '../../domain/model';
import { indexKeys, keys, ttlAfter } from './keys';
import { lostRace, type Table, type TransactItem } from './table';

/** How long a platform delivery id is remembered; Meta retries for hours, Telegram for a day. */
const deliveryMemorySeconds = 7 * 24 * 3600;

const attachmentItem = z.object({ type: z.string(), url: z.string(), name: z.string().optional() });

export const chatItem = z.object({
  id: z.string(),
  channelId: z.string(),
  channelType: z.enum(['messenger', 'telegram']),
  queueId: z.string().nullable(),
  state: z.enum(['bot', 'waiting', 'offered', 'assigned', 'closed']),
  agentId: z.string().nullable(),
  customer: z.object({ id: z.string(), name: z.string(), avatarUrl: z.string().optional(), languageCode: z.string().optional() }),
  contactId: z.string().nullable(),
  language: z.string().nullable(),
  createdAt: z.string(),
  lastMessageAt: z.string(),
  version: z.number().int(),
  /** Agents holding an offer for this chat now. */
  offeredTo: z.array(z.string()).default([]),
  /** Agents whose offer of this chat timed out; passed over while others can take it. */
  skipped: z.array(z.string()).default([]),
  /** Set by an agent message while a completion timeout runs; a customer message clears it. */
  completionToken: z.string().optional(),
  closedAt: z.string().optional(),
  closeReason: z.string().optional(),
});
export type ChatItem = z.infer<typeof chatItem>;

export const messageItem = z.object({
  id: z.string(),
  chatId: z.string(),
  direction: z.enum(['in', 'out']),
  text: z.string().optional(),
  attachments: z.array(attachmentItem).optional(),
  payload: z.string().optional(),
  sentAt: z.string(),
  status: z.enum(['received', 'pending', 'sent', 'delivered', 'read', 'failed']),
  agentId: z.string().optional(),
  platformMessageId: z.string().optional(),
  clientMessageId: z.string().optional(),
  error: z.string().optional(),
});

const conversationItem = z.object({ openChatId: z.string().optional() });

export function chatView(item: ChatItem): Chat {
  const { offeredTo: _o, skipped: _s, completionToken: _c, closedAt: _ca, closeReason: _cr, ...chat } = item;
  return chat;
}

export function messageView(item: z.infer<typeof messageItem>): Message {
  const { clientMessageId: _c, ...message } = item;
  return message;
}

/** A new chat's item, with the index keys of its state. */
export function newChatItem(chat: Chat): Record<string, unknown> {
  return {
    ...keys.chat(chat.id),
    ...chat,
    offeredTo: [],
    skipped: [],
    kindPk: indexKeys.kind(`CHATS#${chat.state}`),
    kindSk: `${chat.createdAt}#${chat.id}`,
    channelPk: indexKeys.byChannel(chat.channelId),
    channelSk: `${chat.createdAt}#${chat.id}`,
    ...(chat.state === 'waiting' && chat.queueId ? { waitPk: indexKeys.waiting(chat.queueId), waitSk: `${chat.createdAt}#${chat.id}` } : {}),
  };
}

export interface NewMessage {
  message: Message & { clientMessageId?: string };
  /** Delivery to remember so a retry is stored once: a platform's message id, or an agent's `clientMessageId`. */
  delivery?: { channelType: string; channelKey: string; deliveryId: string };
}

/** Chats, their conversations and their messages. */
export class ChatStore {
  constructor(private readonly table: Table) {}

  async chat(id: string, consistent = true): Promise<ChatItem | undefined> {
    const k = keys.chat(id);
    return this.table.get(chatItem, k.pk, k.sk, consistent);
  }

  /** The open chat of a customer's conversation on a channel, if any. */
  async openChatOf(channelId: string, customerId: string): Promise<ChatItem | undefined> {
    const k = keys.conversation(channelId, customerId);
    const conv = await this.table.get(conversationItem, k.pk, k.sk, true);
    return conv?.openChatId ? this.chat(conv.openChatId) : undefined;
  }

  /**
   * Opens a chat with its first message. Returns false when the delivery was seen before
   * (nothing written) — the conversation's FIFO group makes a concurrent open impossible.
   */
  async openChat(chat: Chat, first: NewMessage): Promise<boolean> {
    const conv = keys.conversation(chat.channelId, chat.customer.id);
    try {
      await this.table.transact([
        { Put: { TableName: '', Item: newChatItem(chat), ConditionExpression: 'attribute_not_exists(pk)' } },
        {
          Put: {
            TableName: '',
            Item: { ...conv, openChatId: chat.id },
          },
        },
        ...this.messageWrites(first, new Date(first.message.sentAt)),
      ]);
      return true;
    } catch (error) {
      if (first.delivery && lostRace(error) && (await this.seen(first.delivery))) return false;
      throw error;
    }
  }

  /** Appends a message to a chat; false when the delivery was seen before. */
  async append(chatId: string, entry: NewMessage, now: Date): Promise<boolean> {
    const updates: TransactItem[] = [];
    if (entry.message.direction === 'in') {
      updates.push({
        Update: {
          TableName: '',
          Key: keys.chat(chatId),
          UpdateExpression: 'SET lastMessageAt = :at REMOVE completionToken',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': entry.message.sentAt },
        },
      });
    }
    try {
      await this.table.transact([...updates, ...this.messageWrites(entry, now)]);
      return true;
    } catch (error) {
      if (entry.delivery && lostRace(error) && (await this.seen(entry.delivery))) return false;
      throw error;
    }
  }

  async messages(chatId: string, limit = 50): Promise<Message[]> {
    const { items } = await this.table.queryPartition(messageItem, { pk: keys.chat(chatId).pk, skPrefix: 'MSG#', limit, descending: true });
    return items.reverse().map(messageView);
  }

  /** One message, by its chat, time and id. */
  async messageAt(ref: { chatId: string; sentAt: string; id: string }): Promise<Message | undefined> {
    const k = keys.message(ref.chatId, ref.sentAt, ref.id);
    const item = await this.table.get(messageItem, k.pk, k.sk, true);
    return item ? messageView(item) : undefined;
  }

  /** Records what became of a message; `sentAt` and id locate it within its chat. */
  async setMessageStatus(
    ref: { chatId: string; sentAt: string; id: string },
    update: { status: Message['status']; platformMessageId?: string; error?: string },
  ): Promise<Message> {
    const k = keys.message(ref.chatId, ref.sentAt, ref.id);
    const item = await this.table.update({
      pk: k.pk,
      sk: k.sk,
      update: 'SET #status = :status' + (update.platformMessageId ? ', platformMessageId = :pmid' : '') + (update.error ? ', #error = :error' : ''),
      condition: 'attribute_exists(pk)',
      names: { '#status': 'status', ...(update.error ? { '#error': 'error' } : {}) },
      values: {
        ':status': update.status,
        ...(update.platformMessageId ? { ':pmid': update.platformMessageId } : {}),
        ...(update.error ? { ':error': update.error } : {}),
      },
    });
    return messageView(messageItem.parse(item));
  }

  private messageWrites(entry: NewMessage, now: Date): TransactItem[] {
    const m = entry.message;
    const key = keys.message(m.chatId, m.sentAt, m.id);
    const writes: TransactItem[] = [
      { Put: { TableName: '', Item: { ...key, ...m }, ConditionExpression: 'attribute_not_exists(pk)' } },
    ];
    if (entry.delivery) {
      const d = entry.delivery;
      writes.push({
        Put: {
          TableName: '',
          Item: { ...keys.delivery(d.channelType, d.channelKey, d.deliveryId), messageId: m.id, ttl: ttlAfter(now, deliveryMemorySeconds) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    return writes;
  }

  private async seen(d: { channelType: string; channelKey: string; deliveryId: string }): Promise<boolean> {
    return (await this.deliveredMessageId(d)) !== undefined;
  }

  /** The message a delivery was stored as, if it was. */
  async deliveredMessageId(d: { channelType: string; channelKey: string; deliveryId: string }): Promise<string | undefined> {
    const k = keys.delivery(d.channelType, d.channelKey, d.deliveryId);
    return (await this.table.get(z.object({ messageId: z.string() }), k.pk, k.sk, true))?.messageId;
  }
}

export type { Attachment };
