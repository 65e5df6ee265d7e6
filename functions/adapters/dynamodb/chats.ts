import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import {
  automatedMessagesSchema,
  cachedProfileSchema,
  messageView,
  routedChatSchema,
  storedMessageSchema,
  type AutomatedMessageTexts,
  type CachedProfile,
  type Message,
  type RoutedChat,
  type StoredMessage,
} from '../../domain/model';
import { ChatClosedMeanwhile, ChatNoLongerHeld, type ChatStore, type DeliveryRef, type NewMessage, type Outcome } from '../../domain/ports';
import { OmnichatError } from '../../domain/errors';
import { forgetForInvocation, rememberedForInvocation } from '../invocation-memo';
import { bytesOf, frameBudgetBytes, historyCursor } from '../../domain/frame-budget';
import { indexKeys, keys, ttlAfter } from './keys';
import { lostRace, type Table, type TransactItem } from './table';

/** How long a platform delivery id is remembered; Meta retries for hours, Telegram for a day. */
const deliveryMemorySeconds = 7 * 24 * 3600;

/**
 * The conversation item (`CONV#<channel>#<customer>`): its open chat, and that chat's customer-side
 * counters. Every customer message writes them here, in this item of a few hundred bytes (1 WRU),
 * instead of in the chat item (over 1 KB with the customer's name, picture link and index keys:
 * 2 WRU); a close copies them into the chat. The close race is decided here too: a close removes
 * `openChatId`, and a message is counted only while it names the chat.
 */
const conversationItem = z.object({
  openChatId: z.optional(z.string()),
  lastChatId: z.optional(z.string()),
  messagesIn: z.optional(z.number()),
  lastMessageAt: z.optional(z.string()),
  customerWroteAt: z.optional(z.string()),
  lastActivityAt: z.optional(z.string()),
  lastInId: z.optional(z.string()),
  lastInAt: z.optional(z.string()),
  /** The attempt that wrote the pointer (see openInSteps). */
  openedBy: z.optional(z.string()),
});
type ConversationItem = z.infer<typeof conversationItem>;

/** The chat item with the two attributes its merge with the conversation reads. */
const storedChat = z.extend(routedChatSchema, { customerBlockedAt: z.optional(z.string()), completionIn: z.optional(z.number()) });

const later = (a: string | undefined, b: string | undefined) => (a === undefined ? b : b === undefined ? a : a > b ? a : b);

/** An open chat as its two items say: the chat's, with the customer-side counters of its conversation. */
export function withConversation(stored: z.infer<typeof storedChat>, conv: ConversationItem | undefined): RoutedChat {
  const { customerBlockedAt, completionIn, ...chat } = stored;
  if (!conv || conv.openChatId !== chat.id) return chat;
  const merged: RoutedChat = {
    ...chat,
    lastMessageAt: later(chat.lastMessageAt, conv.lastMessageAt) ?? chat.lastMessageAt,
    ...(conv.messagesIn !== undefined ? { messagesIn: conv.messagesIn } : {}),
    ...(conv.customerWroteAt !== undefined ? { customerWroteAt: conv.customerWroteAt } : {}),
    ...(later(chat.lastActivityAt, conv.lastActivityAt) !== undefined ? { lastActivityAt: later(chat.lastActivityAt, conv.lastActivityAt) } : {}),
  };
  // the customer wrote after the agent's reply armed the completion timeout: it no longer runs
  if (merged.completionToken !== undefined && (conv.messagesIn ?? 0) > (completionIn ?? 0)) delete merged.completionToken;
  // a customer who writes again has unblocked the bot
  if (merged.customerBlocked && conv.lastActivityAt !== undefined && customerBlockedAt !== undefined && conv.lastActivityAt > customerBlockedAt) delete merged.customerBlocked;
  return merged;
}

/** A new chat's item, with the index keys of its state. */
export function newChatItem(chat: RoutedChat): Record<string, unknown> {
  return {
    ...keys.chat(chat.id),
    ...chat,
    kindPk: indexKeys.chatsOfState(chat.state, chat.id),
    kindSk: `${chat.createdAt}#${chat.id}`,
    // the customer's history: set once, never moved, so later writes of the chat write no index entry
    custPk: indexKeys.byCustomer(chat.channelId, chat.customer.id),
    custSk: `${chat.createdAt}#${chat.id}`,
    ...(chat.state === 'waiting' && chat.queueId ? { waitPk: indexKeys.waiting(chat.queueId, chat.id), waitSk: `${chat.createdAt}#${chat.id}` } : {}),
  };
}

/** Chats of a list, the open ones with their conversations' counters: one batch read of the conversations. */
export async function withConversations(table: Table, chats: RoutedChat[]): Promise<RoutedChat[]> {
  const open = chats.filter((c) => c.state !== 'closed');
  if (open.length === 0) return chats;
  const convKeys = [...new Map(open.map((c) => [`${c.channelId}#${c.customer.id}`, keys.conversation(c.channelId, c.customer.id)])).values()];
  const convs = await table.getMany(z.extend(conversationItem, { pk: z.string() }), convKeys);
  const byPk = new Map(convs.map((c) => [c.pk, c]));
  return chats.map((c) => (c.state === 'closed' ? c : withConversation(c, byPk.get(keys.conversation(c.channelId, c.customer.id).pk))));
}

/** A conversation's item as a chat opens: it names the chat and starts its customer-side counters. */
function openConversation(chat: RoutedChat, first: NewMessage): ConversationItem {
  const m = first.message;
  return {
    openChatId: chat.id,
    // the customer's first message counts among the chat's messages in, as every later one does (append)
    ...(m.direction === 'in' ? { messagesIn: 1, lastMessageAt: m.sentAt, customerWroteAt: m.sentAt, lastInId: m.id, lastInAt: m.sentAt } : {}),
  };
}

/** The channel was deleted after the event was read: a retry finds no channel and drops the event as of an unknown channel. */
export class ChannelDeletedMeanwhile extends OmnichatError {
  constructor(channelId: string) {
    super(`Channel ${channelId} was deleted while a chat was opened on it.`, { code: 'channel_deleted', status: 409 });
  }
}

/** Chats, their conversations and their messages. */
export class DynamoChatStore implements ChatStore {
  /** Channels whose `CHATS` item this instance has written: the item is never removed while the channel lives. */
  private readonly channelsWithChats = new Set<string>();

  constructor(private readonly table: Table) {}

  /**
   * Marks the channel as having chats (keys.channelChats) before its chat is written, in one
   * transaction with a check that the channel is there. Deleting the channel is conditioned on the
   * mark being absent, so whichever comes first, no chat is left naming a deleted channel. One
   * transaction per channel and function instance, instead of a byChannel index entry per chat.
   */
  private async markChannel(channelId: string): Promise<void> {
    if (this.channelsWithChats.has(channelId)) return;
    try {
      await this.table.transact([
        { ConditionCheck: { TableName: '', Key: keys.channel(channelId), ConditionExpression: 'attribute_exists(pk)' } },
        { Put: { TableName: '', Item: keys.channelChats(channelId) } },
      ]);
    } catch (error) {
      if (lostRace(error)) throw new ChannelDeletedMeanwhile(channelId);
      throw error;
    }
    this.channelsWithChats.add(channelId);
  }

  /** A chat; while it is open, with its conversation's customer-side counters (a second read). */
  async chat(id: string, consistent = true): Promise<RoutedChat | undefined> {
    const k = keys.chat(id);
    const stored = await this.table.get(storedChat, k.pk, k.sk, consistent);
    if (!stored || stored.state === 'closed') return stored && withConversation(stored, undefined);
    const c = keys.conversation(stored.channelId, stored.customer.id);
    return withConversation(stored, await this.table.get(conversationItem, c.pk, c.sk, consistent));
  }

  /** The open chat of a customer's conversation on a channel, if any. */
  async openChatOf(channelId: string, customerId: string): Promise<RoutedChat | undefined> {
    const k = keys.conversation(channelId, customerId);
    const conv = await this.table.get(conversationItem, k.pk, k.sk, true);
    if (!conv?.openChatId) return undefined;
    const c = keys.chat(conv.openChatId);
    const stored = await this.table.get(storedChat, c.pk, c.sk, true);
    return stored && withConversation(stored, conv);
  }

  /**
   * Opens a chat with its first message. Returns false when the delivery was seen before
   * (nothing written) — the conversation's FIFO group makes a concurrent open impossible.
   */
  async openChat(chat: RoutedChat, first: NewMessage): Promise<boolean> {
    const conv = keys.conversation(chat.channelId, chat.customer.id);
    if (first.delivery && (await this.inPreviousChat(conv, first.message))) return false;
    await this.markChannel(chat.channelId);
    if (first.delivery && first.message.direction === 'in') return this.openInSteps(chat, first, conv);
    try {
      await this.table.transact([
        // the customer's first message counts among the chat's messages in, as every later one does (append)
        { Put: { TableName: '', Item: { ...newChatItem(chat), ...(first.message.direction === 'in' ? { messagesIn: 1 } : {}) }, ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { TableName: '', Item: { ...conv, ...openConversation(chat, first) } } },
        // no delivery marker: the message's id derives from the delivery, so a redelivery finds it
        // in this chat while it is open (append) and in it as the previous chat after (inPreviousChat)
        ...this.messageWrites({ ...first, delivery: undefined }, new Date(first.message.sentAt)),
      ]);
      return true;
    } catch (error) {
      if (first.delivery && lostRace(error) && (await this.seen(first.delivery))) return false;
      throw error;
    }
  }

  /**
   * A customer's new chat in three conditional writes instead of a transaction, which would
   * double each (ChatIntake derives both the chat's and the message's id from the platform's
   * delivery, so a retry writes the same keys):
   * 1. the message(s), which nothing reads before the chat exists;
   * 2. the chat, from which on routing sees it;
   * 3. the conversation's pointer to it, from which on the customer's next message joins it.
   * A retry after a failure between them finds what was written (a write whose item exists is
   * skipped) and writes the rest; the conversation's FIFO group holds its later messages meanwhile.
   * The pointer is written only where none is: of the same delivery handled twice at once, one
   * opens the chat and the other is a duplicate.
   */
  private async openInSteps(chat: RoutedChat, first: NewMessage, conv: { pk: string; sk: string }): Promise<boolean> {
    const unlessWritten = async (write: Promise<void>) => {
      try {
        await write;
      } catch (error) {
        if (!lostRace(error)) throw error;
      }
    };
    const isNew = { expression: 'attribute_not_exists(pk)' };
    for (const part of [first.message, ...(first.continuation ?? [])]) await unlessWritten(this.table.put({ ...keys.message(part.chatId, part.sentAt, part.id), ...part }, isNew));
    // the customer's first message counts among the chat's messages in, as every later one does (append)
    await unlessWritten(this.table.put({ ...newChatItem(chat), messagesIn: 1 }, isNew));
    // this attempt's mark: a put that landed although its answer was lost (the SDK then retries it and
    // the retry's condition fails) is told from the same delivery opened by another handler at once
    const openedBy = randomUUID();
    try {
      await this.table.put({ ...conv, ...openConversation(chat, first), openedBy }, { expression: 'attribute_not_exists(openChatId)' });
      return true;
    } catch (error) {
      if (!lostRace(error)) throw error;
      const current = await this.table.get(conversationItem, conv.pk, conv.sk, true);
      if (current?.openChatId !== chat.id) throw error;
      // ours after all, or the same delivery opened elsewhere at the same moment: one of them opens it
      return current.openedBy === openedBy;
    }
  }

  /**
   * Whether a message (its id derives from the platform's delivery id) is already in the
   * conversation's previous chat: a platform's late redelivery of a message appended there (an
   * append leaves no delivery marker) arriving after that chat closed.
   */
  private async inPreviousChat(conv: { pk: string; sk: string }, m: StoredMessage): Promise<boolean> {
    const previous = (await this.table.get(conversationItem, conv.pk, conv.sk, true))?.lastChatId;
    if (!previous) return false;
    const k = keys.message(previous, m.sentAt, m.id);
    return (await this.table.get(z.looseObject({ id: z.string() }), k.pk, k.sk, true)) !== undefined;
  }

  /** Appends a message to a chat; false when the delivery was seen before. */
  async append(chatId: string, entry: NewMessage, now: Date): Promise<boolean> {
    if (entry.message.direction === 'in' && entry.whileOpen) {
      return entry.continuation?.length ? this.appendCustomerParts(chatId, entry, now) : this.appendCustomerMessage(chatId, entry, now);
    }
    const updates: TransactItem[] = [];
    if (entry.message.direction === 'in') {
      // a customer's message to a chat not read as open (a survey's answer to a closed chat): counted on the chat itself
      updates.push({
        Update: {
          TableName: '',
          Key: keys.chat(chatId),
          UpdateExpression: 'SET lastMessageAt = :at, customerWroteAt = :at, lastActivityAt = :now ADD messagesIn :one REMOVE completionToken, customerBlocked',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':at': entry.message.sentAt, ':now': now.toISOString(), ':one': 1 },
        },
      });
    } else if (entry.message.agentId !== undefined) {
      // an agent's reply: counted on the chat (added to the reports once, when it closes), and the first one remembered
      updates.push({
        Update: {
          TableName: '',
          Key: keys.chat(chatId),
          UpdateExpression: 'SET firstReplyAt = if_not_exists(firstReplyAt, :at), lastActivityAt = :now ADD messagesOut :one',
          // a reply loses to a close, transfer or reassignment that landed first
          ConditionExpression: entry.heldBy !== undefined ? 'attribute_exists(pk) AND #state = :assigned AND agentId = :agent' : 'attribute_exists(pk)',
          ...(entry.heldBy !== undefined ? { ExpressionAttributeNames: { '#state': 'state' } } : {}),
          ExpressionAttributeValues: {
            ':at': entry.message.sentAt,
            ':now': now.toISOString(),
            ':one': 1,
            ...(entry.heldBy !== undefined ? { ':assigned': 'assigned', ':agent': entry.heldBy } : {}),
          },
        },
      });
    }
    try {
      await this.table.transact([...updates, ...this.messageWrites(entry, now)]);
      return true;
    } catch (error) {
      if (entry.delivery && lostRace(error) && (await this.seen(entry.delivery))) return false;
      if (entry.heldBy !== undefined && lostRace(error)) {
        const now = await this.chat(chatId);
        if (now && (now.state !== 'assigned' || now.agentId !== entry.heldBy)) throw new ChatNoLongerHeld(chatId);
      }
      throw error;
    }
  }

  /** The conversation item's key of a chat: as the caller read it, or read. */
  private async conversationKeyOf(chatId: string, entry: NewMessage): Promise<{ pk: string; sk: string }> {
    if (entry.conversation) return keys.conversation(entry.conversation.channelId, entry.conversation.customerId);
    const k = keys.chat(chatId);
    const chat = await this.table.get(z.looseObject({ channelId: z.string(), customer: z.looseObject({ id: z.string() }) }), k.pk, k.sk);
    if (!chat) throw new Error(`Chat ${chatId} is not stored.`);
    return keys.conversation(chat.channelId, chat.customer.id);
  }

  /** The update of a customer message's counters, on condition that the conversation still names the chat open. */
  private countIn(conv: { pk: string; sk: string }, chatId: string, m: StoredMessage, now: Date, opts: { withTimes: boolean; once: boolean; base: number }) {
    const base = opts.base;
    return {
      ...conv,
      // a conversation written before it kept the counters starts from the chat's own count
      update: `SET ${opts.withTimes ? 'lastMessageAt = :at, customerWroteAt = :at, ' : ''}lastActivityAt = :now, lastInId = :id, lastInAt = :at, messagesIn = if_not_exists(messagesIn, :base) + :one`,
      condition:
        'openChatId = :chat' +
        (opts.once ? ' AND (attribute_not_exists(lastInId) OR lastInId <> :id)' : '') +
        // a message the platform stamped earlier than the newest one counted does not move the chat's times back
        (opts.withTimes ? ' AND (attribute_not_exists(lastMessageAt) OR lastMessageAt <= :at)' : ''),
      values: { ':now': now.toISOString(), ':one': 1, ':chat': chatId, ':id': m.id, ':at': m.sentAt, ':base': base },
    };
  }

  /**
   * A customer's message to an open chat in two conditional writes and no transaction (a
   * transaction would double both, and a delivery marker would be a third write):
   * 1. the conversation's counters of the chat move, on condition that it still names the chat
   *    open and that this message was not counted already (`lastInId`): the close race is decided
   *    here, by DynamoDB (a close removes `openChatId`);
   * 2. the message is put, on condition that it is new. Its id derives from the platform's delivery
   *    id (ChatIntake), so a redelivery writes the same key and is found a duplicate.
   * A retry after a failure between the two finds step 1 done (`lastInId` is this message) and
   * completes step 2; the conversation's FIFO group keeps later messages behind it meanwhile.
   */
  private async appendCustomerMessage(chatId: string, entry: NewMessage, now: Date): Promise<boolean> {
    const m = entry.message;
    const conv = await this.conversationKeyOf(chatId, entry);
    const put = async (sentAt: string): Promise<boolean> => {
      try {
        await this.table.put({ ...keys.message(m.chatId, sentAt, m.id), ...m, sentAt }, { expression: 'attribute_not_exists(pk)' });
        return true;
      } catch (error) {
        if (lostRace(error)) return false;
        throw error;
      }
    };
    try {
      await this.table.update(this.countIn(conv, chatId, m, now, { withTimes: true, once: true, base: entry.conversation?.messagesIn ?? 0 }));
      return await put(m.sentAt);
    } catch (error) {
      if (!lostRace(error)) throw error;
    }
    const current = await this.table.get(conversationItem, conv.pk, conv.sk, true);
    if (current?.openChatId !== chatId) throw new ChatClosedMeanwhile(chatId);
    // the message counted last: a redelivery, or a retry after a failure between the two writes.
    // Its key is the one counted (a platform without a send time stamps each arrival anew).
    if (current.lastInId === m.id) return put(current.lastInAt ?? m.sentAt);
    // stamped before the newest message: out of order, or a redelivery of an older one. Put first, so
    // a redelivery is found before it is counted; a close that lands between takes the message back out.
    if (!(await put(m.sentAt))) return false;
    try {
      await this.table.update(this.countIn(conv, chatId, m, now, { withTimes: false, once: true, base: entry.conversation?.messagesIn ?? 0 }));
      return true;
    } catch (error) {
      if (!lostRace(error)) throw error;
      if ((await this.table.get(conversationItem, conv.pk, conv.sk, true))?.openChatId === chatId) throw error;
      const key = keys.message(m.chatId, m.sentAt, m.id);
      await this.table.delete(key.pk, key.sk);
      throw new ChatClosedMeanwhile(chatId);
    }
  }

  /** A long customer text stored as consecutive parts: counted and stored in one transaction, all or nothing, with a delivery marker. */
  private async appendCustomerParts(chatId: string, entry: NewMessage, now: Date): Promise<boolean> {
    const m = entry.message;
    const conv = await this.conversationKeyOf(chatId, entry);
    const count = this.countIn(conv, chatId, m, now, { withTimes: false, once: false, base: entry.conversation?.messagesIn ?? 0 });
    try {
      await this.table.transact([
        {
          Update: {
            TableName: '',
            Key: conv,
            UpdateExpression: 'SET lastMessageAt = :at, customerWroteAt = :at, lastActivityAt = :now, lastInId = :id, lastInAt = :at, messagesIn = if_not_exists(messagesIn, :base) + :one',
            ConditionExpression: count.condition,
            ExpressionAttributeValues: count.values,
          },
        },
        // with its delivery marker: a redelivery may carry another time (the parts' keys) and this path is rare (texts over 32 KiB)
        ...this.messageWrites(entry, now),
      ]);
      return true;
    } catch (error) {
      if (!lostRace(error)) throw error;
      if (entry.delivery && (await this.seen(entry.delivery))) return false;
      if ((await this.table.get(conversationItem, conv.pk, conv.sk, true))?.openChatId !== chatId) throw new ChatClosedMeanwhile(chatId);
      const k = keys.message(m.chatId, m.sentAt, m.id);
      if (await this.table.get(z.looseObject({ id: z.string() }), k.pk, k.sk, true)) return false;
      throw error;
    }
  }

  async firstCustomerMessage(chatId: string): Promise<Message | undefined> {
    // a chat opens with the customer's message; automated greetings come after it
    const { items } = await this.table.queryPartition(storedMessageSchema, { pk: keys.chat(chatId).pk, skPrefix: 'MSG#', limit: 3 });
    const first = items.find((m) => m.direction === 'in');
    return first ? messageView(first) : undefined;
  }

  async messages(chatId: string, limit = 50): Promise<Message[]> {
    const { items } = await this.table.queryPartition(storedMessageSchema, { pk: keys.chat(chatId).pk, skPrefix: 'MSG#', limit, descending: true });
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
      const page = await this.table.queryPartition(storedMessageSchema, { pk: keys.chat(chatId).pk, skPrefix: 'MSG#', limit: 50, descending: true, startKey, consistent: true });
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
    const item = await this.table.get(storedMessageSchema, k.pk, k.sk, true);
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
    return messageView(storedMessageSchema.parse(item));
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

  private async seen(d: DeliveryRef): Promise<boolean> {
    return (await this.deliveredMessageId(d)) !== undefined;
  }

  /** The message a delivery was stored as, if it was. */
  async deliveredMessageId(d: DeliveryRef): Promise<string | undefined> {
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
    return this.table.get(cachedProfileSchema, `PROFILE#${channelId}#${customerId}`, 'PROFILE');
  }

  async cacheProfile(channelId: string, customerId: string, profile: CachedProfile, keepSeconds: number): Promise<void> {
    await this.table.put({ pk: `PROFILE#${channelId}#${customerId}`, sk: 'PROFILE', ...profile, ttl: ttlAfter(new Date(profile.fetchedAt), keepSeconds) });
  }

  /** A channel's automated messages: configuration, read once per invocation of a queue consumer as the channel is. */
  automatedMessages(channelId: string): Promise<AutomatedMessageTexts | undefined> {
    return rememberedForInvocation(`automsg:${channelId}`, () => this.table.get(automatedMessagesSchema, `AUTOMSG#${channelId}`, 'AUTOMSG'));
  }

  async saveAutomatedMessages(channelId: string, settings: AutomatedMessageTexts): Promise<void> {
    forgetForInvocation();
    await this.table.put({ pk: `AUTOMSG#${channelId}`, sk: 'AUTOMSG', ...settings });
  }

  /**
   * Moves a chat the bot held (state `bot`) into its queue's routing, keeping what the bot
   * passed along; `lost` if the chat changed since it was read.
   */
  async enterRouting(chat: RoutedChat, to: { queueId: string; metadata?: string; botAppId?: string }): Promise<Outcome> {
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
          ':kind': indexKeys.chatsOfState('waiting', chat.id),
          ':waitPk': indexKeys.waiting(to.queueId, chat.id),
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
  async openEmptyChat(chat: RoutedChat): Promise<boolean> {
    const conv = keys.conversation(chat.channelId, chat.customer.id);
    await this.markChannel(chat.channelId);
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
  async messagesUpTo(chatId: string, upTo: string, limit: number): Promise<StoredMessage[]> {
    const { items } = await this.table.query(storedMessageSchema, {
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

