import * as z from 'zod';
import type { Attachment, Chat, Message } from '../../domain/model';
import { bytesOf, frameBudgetBytes, historyCursor } from '../../domain/frame-budget';
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
  /** The customer blocked the bot (Telegram 403); cleared when they write again. */
  customerBlocked: z.boolean().optional(),
  closeReason: z.string().optional(),
  /** Messenger handover: what the bot passed along with the thread, and the bot's app id to pass it back to. */
  handoverMetadata: z.string().optional(),
  botAppId: z.string().optional(),
  /** When the customer's last message reached us (the chat's creation until they write again): the messaging window's start. */
  customerWroteAt: z.string().optional(),
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
  editedAt: z.string().optional(),
});

const conversationItem = z.object({ openChatId: z.string().optional() });

/** A Messenger profile as last fetched; `none` when Meta has none to give (error 2018218). */
export const profileItem = z.object({
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  profilePic: z.string().optional(),
  none: z.boolean().optional(),
  fetchedAt: z.string(),
});
export type CachedProfile = z.infer<typeof profileItem>;

const automatedTexts = z.object({
  greeting: z.string().optional(),
  allAgentsBusy: z.string().optional(),
  closing: z.string().optional(),
});
/** A channel's automated messages per language (`default` when no language matches), and the busy notice's wait. */
export const automatedMessagesItem = z.object({
  languages: z.record(z.string(), automatedTexts),
  allAgentsBusyAfterSeconds: z.number().int().min(1).nullable(),
});
export type AutomatedMessages = z.infer<typeof automatedMessagesItem>;

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
  /** Further parts of a long customer text, stored with `message` in one transaction, in this order. */
  continuation?: Message[];
  /** Delivery to remember so a retry is stored once: a platform's message id, or an agent's `clientMessageId`. */
  delivery?: { channelType: string; channelKey: string; deliveryId: string };
}

/** Start of a chat's messaging window: when the customer last wrote, by the platform's clock (as Meta counts it). */
export function customerLastWroteAt(chat: Pick<ChatItem, 'customerWroteAt' | 'lastMessageAt'>): string {
  return chat.customerWroteAt ?? chat.lastMessageAt;
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
          // a customer who writes again has unblocked the bot
          UpdateExpression: 'SET lastMessageAt = :at, customerWroteAt = :at REMOVE completionToken, customerBlocked',
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

  /**
   * A page of a chat's messages, oldest first: the newest ones (before `before`, when given) up
   * to `maxBytes` of JSON and `maxCount` messages, always at least one if any; `olderCursor`
   * when older messages remain (pass it back as `before`).
   */
  async messagePage(
    chatId: string,
    opts: { before?: { sentAt: string; id: string }; maxBytes?: number; maxCount?: number } = {},
  ): Promise<{ messages: Message[]; olderCursor?: string }> {
    const maxBytes = opts.maxBytes ?? frameBudgetBytes;
    const maxCount = opts.maxCount ?? 100;
    const newestFirst: Message[] = [];
    let used = 0;
    let older = false;
    let startKey: Record<string, unknown> | undefined = opts.before ? keys.message(chatId, opts.before.sentAt, opts.before.id) : undefined;
    reading: for (;;) {
      const page = await this.table.queryPartition(messageItem, { pk: keys.chat(chatId).pk, skPrefix: 'MSG#', limit: 50, descending: true, startKey, consistent: true });
      for (const item of page.items) {
        const message = messageView(item);
        const size = bytesOf(message) + 1;
        if (newestFirst.length >= maxCount || (newestFirst.length > 0 && used + size > maxBytes)) {
          older = true;
          break reading;
        }
        newestFirst.push(message);
        used += size;
      }
      if (!page.lastKey) break;
      startKey = page.lastKey;
    }
    const messages = newestFirst.reverse();
    return older && messages[0] ? { messages, olderCursor: historyCursor(messages[0]) } : { messages };
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
      ...(entry.continuation ?? []).map((part): TransactItem => ({
        Put: { TableName: '', Item: { ...keys.message(part.chatId, part.sentAt, part.id), ...part }, ConditionExpression: 'attribute_not_exists(pk)' },
      })),
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

  /** The open chat's id alone: what a receipt needs before it knows it changes anything. */
  async openChatIdOf(channelId: string, customerId: string): Promise<string | undefined> {
    const k = keys.conversation(channelId, customerId);
    return (await this.table.get(conversationItem, k.pk, k.sk))?.openChatId;
  }

  /** A customer's cached platform profile (Page-scoped ids, so per channel). */
  cachedProfile(channelId: string, customerId: string): Promise<CachedProfile | undefined> {
    return this.table.get(profileItem, `PROFILE#${channelId}#${customerId}`, 'PROFILE');
  }

  async cacheProfile(channelId: string, customerId: string, profile: CachedProfile, keepSeconds: number): Promise<void> {
    await this.table.put({ pk: `PROFILE#${channelId}#${customerId}`, sk: 'PROFILE', ...profile, ttl: ttlAfter(new Date(profile.fetchedAt), keepSeconds) });
  }

  automatedMessages(channelId: string): Promise<AutomatedMessages | undefined> {
    return this.table.get(automatedMessagesItem, `AUTOMSG#${channelId}`, 'AUTOMSG');
  }

  async saveAutomatedMessages(channelId: string, settings: AutomatedMessages): Promise<void> {
    await this.table.put({ pk: `AUTOMSG#${channelId}`, sk: 'AUTOMSG', ...settings });
  }

  /**
   * Moves a chat the bot held (state `bot`) into its queue's routing, keeping what the bot
   * passed along; `lost` if the chat changed since it was read.
   */
  async enterRouting(chat: ChatItem, to: { queueId: string; metadata?: string; botAppId?: string }): Promise<'done' | 'lost'> {
    try {
      await this.table.update({
        ...keys.chat(chat.id),
        update:
          'SET #state = :waiting, queueId = :queue, version = :next, kindPk = :kind, waitPk = :waitPk, waitSk = :waitSk' +
          (to.metadata !== undefined ? ', handoverMetadata = :meta' : '') +
          (to.botAppId !== undefined ? ', botAppId = :bot' : ''),
        condition: 'version = :version',
        names: { '#state': 'state' },
        values: {
          ':waiting': 'waiting',
          ':queue': to.queueId,
          ':version': chat.version,
          ':next': chat.version + 1,
          ':kind': indexKeys.kind('CHATS#waiting'),
          ':waitPk': indexKeys.waiting(to.queueId),
          ':waitSk': `${chat.createdAt}#${chat.id}`,
          ...(to.metadata !== undefined ? { ':meta': to.metadata } : {}),
          ...(to.botAppId !== undefined ? { ':bot': to.botAppId } : {}),
        },
      });
      return 'done';
    } catch (error) {
      if (lostRace(error)) return 'lost';
      throw error;
    }
  }

  /** Opens a chat that starts with no message (the bot passed us a thread we had not seen); false if one is open already. */
  async openEmptyChat(chat: Chat & { handoverMetadata?: string; botAppId?: string }): Promise<boolean> {
    const conv = keys.conversation(chat.channelId, chat.customer.id);
    try {
      await this.table.transact([
        { Put: { TableName: '', Item: newChatItem(chat), ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { TableName: '', Item: { ...conv, openChatId: chat.id }, ConditionExpression: 'attribute_not_exists(openChatId)' } },
      ]);
      return true;
    } catch (error) {
      if (lostRace(error)) return false;
      throw error;
    }
  }

  /**
   * Recent messages of a chat sent at or before `upTo`, newest first: a receipt's watermark
   * touches only these, so the query stays small however long the chat.
   */
  async messagesUpTo(chatId: string, upTo: string, limit: number): Promise<z.infer<typeof messageItem>[]> {
    const { items } = await this.table.query(messageItem, {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': keys.chat(chatId).pk, ':from': 'MSG#', ':to': `MSG#${upTo}#\uffff` },
      ScanIndexForward: false,
      Limit: limit,
    });
    return items;
  }

  /** Moves an outgoing message's status forward (sent → delivered → read) only; false if it was there already. */
  async advanceStatus(ref: { chatId: string; sentAt: string; id: string }, status: 'delivered' | 'read'): Promise<boolean> {
    const k = keys.message(ref.chatId, ref.sentAt, ref.id);
    const before = status === 'read' ? [':sent', ':delivered'] : [':sent'];
    try {
      await this.table.update({
        pk: k.pk,
        sk: k.sk,
        update: 'SET #status = :status',
        condition: `#status IN (${before.join(', ')})`,
        names: { '#status': 'status' },
        values: { ':status': status, ':sent': 'sent', ...(status === 'read' ? { ':delivered': 'delivered' } : {}) },
      });
      return true;
    } catch (error) {
      if (lostRace(error)) return false;
      throw error;
    }
  }
}

export type { Attachment };
