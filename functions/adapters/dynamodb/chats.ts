import * as z from 'zod';
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
import type { ChatStore, DeliveryRef, NewMessage, Outcome } from '../../domain/ports';
import { bytesOf, frameBudgetBytes, historyCursor } from '../../domain/frame-budget';
import { indexKeys, keys, ttlAfter } from './keys';
import { lostRace, type Table } from './table';

/** How long a platform delivery id is remembered; Meta retries for hours, Telegram for a day. */
const deliveryMemorySeconds = 7 * 24 * 3600;

const conversationItem = z.object({ openChatId: z.string().optional() });
const markerItem = z.object({
  messageId: z.string(),
  donePk: z.string().optional(),
  doneSk: z.string().optional(),
  claimedAt: z.number().optional(),
});
const anyItem = z.object({ pk: z.string() });

/**
 * A claimed delivery whose last write has not landed is taken for an attempt still writing
 * for this long: longer than any function's timeout (30 s for the queue consumers).
 */
const inFlightMillis = 45_000;
/** How long a second attempt waits for the first one's writes before it gives up (and is retried). */
const inFlightWaitMillis = 3_000;

/** A message's items (with the further parts of a long text, in order). */
function messageItems(entry: NewMessage): Array<{ pk: string; sk: string } & Record<string, unknown>> {
  return [entry.message, ...(entry.continuation ?? [])].map((m) => ({ ...keys.message(m.chatId, m.sentAt, m.id), ...m }));
}

/** A new chat's item, with the index keys of its state. */
export function newChatItem(chat: RoutedChat): Record<string, unknown> {
  return {
    ...keys.chat(chat.id),
    ...chat,
    kindPk: indexKeys.kind(`CHATS#${chat.state}`),
    kindSk: `${chat.createdAt}#${chat.id}`,
    channelPk: indexKeys.byChannel(chat.channelId),
    channelSk: `${chat.createdAt}#${chat.id}`,
    ...(chat.state === 'waiting' && chat.queueId ? { waitPk: indexKeys.waiting(chat.queueId), waitSk: `${chat.createdAt}#${chat.id}` } : {}),
  };
}

/** Chats, their conversations and their messages. */
export class DynamoChatStore implements ChatStore {
  constructor(private readonly table: Table) {}

  async chat(id: string, consistent = true): Promise<RoutedChat | undefined> {
    const k = keys.chat(id);
    return this.table.get(routedChatSchema, k.pk, k.sk, consistent);
  }

  /** The open chat of a customer's conversation on a channel, if any. */
  async openChatOf(channelId: string, customerId: string): Promise<RoutedChat | undefined> {
    const k = keys.conversation(channelId, customerId);
    const conv = await this.table.get(conversationItem, k.pk, k.sk, true);
    return conv?.openChatId ? this.chat(conv.openChatId) : undefined;
  }

  /**
   * Opens a chat with its first message. Returns false when the delivery was seen before
   * (nothing written) — the conversation's FIFO group makes a concurrent open impossible.
   *
   * Single writes, no transaction (a transaction bills every item twice): the delivery is
   * claimed first, naming the chat as the write that completes it; then the conversation,
   * the message and last the chat. A chat exists only complete, so routing never sees half
   * of one; an attempt cut short leaves a conversation pointing at no chat (read as no open
   * chat) and a claim the next attempt takes over (`claim`).
   */
  async openChat(chat: RoutedChat, first: NewMessage): Promise<boolean> {
    const chatKey = keys.chat(chat.id);
    if (first.delivery && !(await this.claim(first.delivery, first.message.id, chatKey))) return false;
    await this.table.put({ ...keys.conversation(chat.channelId, chat.customer.id), openChatId: chat.id });
    for (const item of messageItems(first)) await this.table.put(item, { expression: 'attribute_not_exists(pk)' });
    await this.table.put(newChatItem(chat), { expression: 'attribute_not_exists(pk)' });
    return true;
  }

  /**
   * Appends a message to a chat; false when the delivery was seen before. Claim, then (for a
   * customer's message) the chat's last-message time, then the message's parts in order: the
   * last part completes the delivery, so an attempt cut short is taken over by the next one.
   * The chat update touches no index key nor any projected attribute: one write unit.
   */
  async append(chatId: string, entry: NewMessage, _now: Date): Promise<boolean> {
    const items = messageItems(entry);
    const last = items[items.length - 1]!;
    if (entry.delivery && !(await this.claim(entry.delivery, entry.message.id, { pk: last.pk, sk: last.sk }))) return false;
    if (entry.message.direction === 'in') {
      await this.table.update({
        ...keys.chat(chatId),
        // a customer who writes again has unblocked the bot; counted on the chat (added to the reports once, when it closes)
        update: 'SET lastMessageAt = :at, customerWroteAt = :at ADD messagesIn :one REMOVE completionToken, customerBlocked',
        condition: 'attribute_exists(pk)',
        values: { ':at': entry.message.sentAt, ':one': 1 },
      });
    } else if (entry.message.agentId !== undefined) {
      // an agent's reply: counted on the chat (added to the reports once, when it closes), and the first one remembered
      await this.table.update({
        ...keys.chat(chatId),
        update: 'SET firstReplyAt = if_not_exists(firstReplyAt, :at) ADD messagesOut :one',
        condition: 'attribute_exists(pk)',
        values: { ':at': entry.message.sentAt, ':one': 1 },
      });
    }
    for (const item of items) await this.table.put(item, { expression: 'attribute_not_exists(pk)' });
    return true;
  }

  /**
   * Claims a delivery for a message: true when this attempt is to store it. The marker names
   * the item whose write completes the delivery (`done`); a delivery is seen when that item
   * exists. A marker whose item is missing belongs to an attempt still writing (within
   * `inFlightMillis`: wait for it a little, then fail so the caller retries later) or to one
   * that stopped (older: this attempt takes the marker over, conditional on it being unchanged,
   * so of two takers exactly one wins). Markers without `done` (edits) are seen outright.
   */
  private async claim(d: DeliveryRef, messageId: string, done: { pk: string; sk: string }): Promise<boolean> {
    const k = keys.delivery(d.channelType, d.channelKey, d.deliveryId);
    const marker = (now: Date) => ({ ...k, messageId, donePk: done.pk, doneSk: done.sk, claimedAt: now.getTime(), ttl: ttlAfter(now, deliveryMemorySeconds) });
    const started = Date.now();
    for (;;) {
      try {
        await this.table.put(marker(new Date()), { expression: 'attribute_not_exists(pk)' });
        return true;
      } catch (error) {
        if (!lostRace(error)) throw error;
      }
      const held = await this.table.get(markerItem, k.pk, k.sk, true);
      if (!held) continue; // expired between the two calls
      if (held.donePk === undefined || held.doneSk === undefined) return false;
      if (await this.table.get(anyItem, held.donePk, held.doneSk, true)) return false;
      if (held.claimedAt === undefined || Date.now() - held.claimedAt >= inFlightMillis) {
        try {
          await this.table.put(marker(new Date()), { expression: 'messageId = :held', values: { ':held': held.messageId } });
          return true;
        } catch (error) {
          if (!lostRace(error)) throw error;
          continue;
        }
      }
      if (Date.now() - started >= inFlightWaitMillis) {
        throw new Error(`Delivery ${d.channelType}/${d.deliveryId} is being stored by another attempt; retry later.`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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

  automatedMessages(channelId: string): Promise<AutomatedMessageTexts | undefined> {
    return this.table.get(automatedMessagesSchema, `AUTOMSG#${channelId}`, 'AUTOMSG');
  }

  async saveAutomatedMessages(channelId: string, settings: AutomatedMessageTexts): Promise<void> {
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

  /**
   * Opens a chat that starts with no message (the bot passed us a thread we had not seen); false
   * if one is open already. A conversation pointing at a chat that was never completed (an
   * opening cut short, see `openChat`) counts as having none.
   */
  async openEmptyChat(chat: RoutedChat): Promise<boolean> {
    const conv = keys.conversation(chat.channelId, chat.customer.id);
    let dangling: string | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await this.table.transact([
          { Put: { TableName: '', Item: newChatItem(chat), ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Put: {
              TableName: '',
              Item: { ...conv, openChatId: chat.id },
              ...(dangling
                ? { ConditionExpression: 'openChatId = :dangling', ExpressionAttributeValues: { ':dangling': dangling } }
                : { ConditionExpression: 'attribute_not_exists(openChatId)' }),
            },
          },
        ]);
        return true;
      } catch (error) {
        if (!lostRace(error)) throw error;
        const open = (await this.table.get(conversationItem, conv.pk, conv.sk, true))?.openChatId;
        if (open && (await this.chat(open))) return false;
        dangling = open;
      }
    }
    return false;
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

