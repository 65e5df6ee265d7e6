import * as z from 'zod/mini';
import {
  chatActionSchema,
  contactSchema,
  quickReplySchema,
  routedChatSchema,
  type ChatAction,
  type ChatState,
  type Contact,
  type QuickReply,
  type RoutedChat,
} from '../../domain/model';
import type { AdminStore, Page, PageRequest } from '../../domain/ports';
import { AgentStillBusy, KeptChanging } from '../../domain/errors';
import { withConversations } from './chats';
import { indexKeys, keys } from './keys';
import { pageOf, partitionPage, shardedPage } from './page-tokens';
import { lostRace, type Item, type Table, type TransactItem } from './table';

/**
 * Items only the management API writes, beside those of `keys.ts`:
 *
 *   ACTION#<id>                    | ACTION    chat action (caption, queue, EventBridge detail-type)
 *   QREPLY#<id>                    | QREPLY    quick-reply template (language, text, queue?)
 *   CONTACT#<id>                   | CONTACT   contact record
 *   CUSTOMER#<channelId>#<customerId> | CUSTOMER  customer → contact link; a chat that opens reads it
 *
 * Each list item carries `kindPk`/`kindSk` so the byKind index lists it, oldest first.
 */
export const adminKeys = {
  action: (id: string) => ({ pk: `ACTION#${id}`, sk: 'ACTION' }),
  quickReply: (id: string) => ({ pk: `QREPLY#${id}`, sk: 'QREPLY' }),
  contact: (id: string) => ({ pk: `CONTACT#${id}`, sk: 'CONTACT' }),
  customer: (channelId: string, customerId: string) => ({ pk: `CUSTOMER#${channelId}#${customerId}`, sk: 'CUSTOMER' }),
} as const;

const customerLinkItem = z.object({ contactId: z.string() });
const keyOnly = z.object({ pk: z.string(), sk: z.string() });

/** Without a state, chats are listed one state after another: those needing attention first, closed ones last. */
const chatListingOrder = ['waiting', 'offered', 'assigned', 'bot', 'closed'] as const satisfies readonly ChatState[];

type ChatsWhere = { index: 'byKind' | 'byAgent'; pkName: string; pk: string; skName?: string; skPrefix?: string };

function listed(kind: string, createdAt: string, id: string): Item {
  return { kindPk: indexKeys.kind(kind), kindSk: `${createdAt}#${id}` };
}

/** Chat actions, quick replies, contacts and customer links, plus the deletes admins make. */
export class DynamoAdminStore implements AdminStore {
  constructor(private readonly table: Table) {}

  // ---- chat actions -------------------------------------------------------------------

  async putAction(action: ChatAction, create: boolean): Promise<void> {
    await this.table.put(
      { ...adminKeys.action(action.id), ...action, ...listed('ACTION', action.createdAt, action.id) },
      { expression: create ? 'attribute_not_exists(pk)' : 'attribute_exists(pk)' },
    );
  }

  action(id: string): Promise<ChatAction | undefined> {
    const k = adminKeys.action(id);
    return this.table.get(chatActionSchema, k.pk, k.sk);
  }

  actions(page: PageRequest): Promise<Page<ChatAction>> {
    return this.kindPage(chatActionSchema, 'ACTION', page);
  }

  /** False when there was nothing to delete. */
  deleteAction(id: string): Promise<boolean> {
    return this.deleteExisting(adminKeys.action(id));
  }

  // ---- quick replies ------------------------------------------------------------------

  async createQuickReply(reply: QuickReply): Promise<void> {
    await this.table.put(
      { ...adminKeys.quickReply(reply.id), ...reply, ...listed('QREPLY', reply.createdAt, reply.id) },
      { expression: 'attribute_not_exists(pk)' },
    );
  }

  quickReplies(page: PageRequest): Promise<Page<QuickReply>> {
    return this.kindPage(quickReplySchema, 'QREPLY', page);
  }

  deleteQuickReply(id: string): Promise<boolean> {
    return this.deleteExisting(adminKeys.quickReply(id));
  }

  // ---- contacts -----------------------------------------------------------------------

  async createContact(contact: Contact): Promise<void> {
    await this.table.put(
      { ...adminKeys.contact(contact.id), ...contact, ...listed('CONTACT', contact.createdAt, contact.id) },
      { expression: 'attribute_not_exists(pk)' },
    );
  }

  contact(id: string): Promise<Contact | undefined> {
    const k = adminKeys.contact(id);
    return this.table.get(contactSchema, k.pk, k.sk);
  }

  contacts(page: PageRequest): Promise<Page<Contact>> {
    return this.kindPage(contactSchema, 'CONTACT', page);
  }

  /**
   * Links a chat to a contact, and its customer too, so later chats of the same customer on
   * the same channel carry it. The chat's `version` is left alone: timers armed on it stay valid.
   */
  async linkContact(chat: Pick<RoutedChat, 'id' | 'channelId' | 'customer'>, contactId: string): Promise<void> {
    // the contact lists its customers (its history spans their channels); a customer linked elsewhere before leaves that list
    const customerKey = adminKeys.customer(chat.channelId, chat.customer.id);
    const before = (await this.table.get(customerLinkItem, customerKey.pk, customerKey.sk, true))?.contactId;
    const reverse = (id: string) => ({ pk: `CONTACT#${id}`, sk: `CUSTOMER#${chat.channelId}#${chat.customer.id}` });
    const writes: TransactItem[] = [
      ...(before !== undefined && before !== contactId ? [{ Delete: { TableName: '', Key: reverse(before) } }] : []),
      { Put: { TableName: '', Item: { ...reverse(contactId), channelId: chat.channelId, customerId: chat.customer.id } } },
      {
        Update: {
          TableName: '',
          Key: keys.chat(chat.id),
          UpdateExpression: 'SET contactId = :contact',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':contact': contactId },
        },
      },
      {
        Put: {
          TableName: '',
          Item: { ...customerKey, channelId: chat.channelId, customerId: chat.customer.id, contactId },
          // decided against the link read above: a concurrent relink makes this one fail, never leaves two lists naming the customer
          ConditionExpression: before === undefined ? 'attribute_not_exists(pk)' : 'contactId = :before',
          ...(before === undefined ? {} : { ExpressionAttributeValues: { ':before': before } }),
        },
      },
      { ConditionCheck: { TableName: '', Key: adminKeys.contact(contactId), ConditionExpression: 'attribute_exists(pk)' } },
    ];
    try {
      await this.table.transact(writes);
    } catch (error) {
      if (lostRace(error)) throw new KeptChanging("The customer's contact link", error);
      throw error;
    }
  }

  /** The contact a customer of a channel was linked to, if any; read when a chat opens. */
  async contactOfCustomer(channelId: string, customerId: string): Promise<string | undefined> {
    const k = adminKeys.customer(channelId, customerId);
    return (await this.table.get(customerLinkItem, k.pk, k.sk))?.contactId;
  }

  // ---- chats --------------------------------------------------------------------------

  /** Chats of one state (byKind `CHATS#<state>#<nn>`, its shards merged), oldest first, optionally of one queue and agent. */
  chatsInState(state: ChatState, filter: { queueId?: string; agentId?: string }, page: PageRequest): Promise<Page<RoutedChat>> {
    return this.shardedChats([state], filter, page);
  }

  /** Chats an agent holds now (byAgent, `CHAT#` entries), optionally of one queue. */
  chatsHeldBy(agentId: string, filter: { queueId?: string }, page: PageRequest): Promise<Page<RoutedChat>> {
    const where: ChatsWhere = { index: 'byAgent', pkName: 'agentPk', pk: indexKeys.byAgent(agentId), skName: 'agentSk', skPrefix: 'CHAT#' };
    return pageOf({ index: 'byAgent', partitions: [where.pk], sortKeyPrefix: 'CHAT#' }, page.after, (startKey) => this.filteredChats(where, filter, page.limit, startKey));
  }

  /**
   * Chats of every state, one state's byKind shards after another (`chatListingOrder`), each
   * state's shards merged oldest first. The token names the state and where each of its shards is.
   */
  chats(filter: { queueId?: string }, page: PageRequest): Promise<Page<RoutedChat>> {
    return this.shardedChats(chatListingOrder, filter, page);
  }

  /**
   * True when at least one chat (of any state) came in through the channel: its `CHATS` item is
   * there or, for chats opened by earlier versions, any of its byChannel shards holds one.
   */
  async channelHasChats(channelId: string): Promise<boolean> {
    const mark = keys.channelChats(channelId);
    if (await this.table.get(keyOnly, mark.pk, mark.sk, true)) return true;
    return this.anyIn('byChannel', indexKeys.byChannelShards(channelId));
  }

  /** True when a chat waits in the queue: any of its waiting shards holds one. */
  async queueHasWaitingChats(queueId: string): Promise<boolean> {
    return this.anyIn('waiting', indexKeys.waitingShards(queueId));
  }

  private async anyIn(index: 'byChannel' | 'waiting', partitions: string[]): Promise<boolean> {
    const found = await Promise.all(partitions.map((pk) => this.table.queryPartition(z.looseObject(keyOnly.shape), { index, pk, limit: 1 })));
    return found.some(({ items }) => items.length > 0);
  }

  /** Chats of `states`, one state after another, each state's shards merged by `kindSk`; the filtered attributes are projected, the chats read by key. */
  private async shardedChats(states: readonly ChatState[], filter: { queueId?: string; agentId?: string }, page: PageRequest): Promise<Page<RoutedChat>> {
    const listed = await shardedPage({ index: 'byKind', groups: states.map((state) => indexKeys.chatsOfStateShards(state)) }, page, async (pk, startKey, limit) => {
      const part = await this.filteredChatKeys({ index: 'byKind', pkName: 'kindPk', pk }, filter, limit, startKey);
      return { entries: part.items.map((key) => ({ key, value: { pk: key.pk, sk: key.sk } })), ...(part.lastKey ? { lastKey: part.lastKey } : {}) };
    });
    const items = await withConversations(this.table, await this.table.getMany(routedChatSchema, listed.items));
    return listed.next ? { items, next: listed.next } : { items };
  }

  // ---- deletes of directory items -----------------------------------------------------

  deleteQueue(id: string): Promise<boolean> {
    return this.deleteExisting(keys.queue(id));
  }

  deleteMessengerApp(appId: string): Promise<boolean> {
    return this.deleteExisting(keys.messengerApp(appId));
  }

  /**
   * Removes a channel and, for Messenger, its Page lookup, in one transaction; only while no chat
   * has come in through it (its `CHATS` item, written before a chat, is absent): `hasChats` if one has.
   */
  async deleteChannel(channel: { id: string; pageId?: string }): Promise<'deleted' | 'hasChats'> {
    const mark = keys.channelChats(channel.id);
    try {
      await this.table.transact([
        { Delete: { TableName: '', Key: keys.channel(channel.id), ConditionExpression: 'attribute_exists(pk)' } },
        { ConditionCheck: { TableName: '', Key: mark, ConditionExpression: 'attribute_not_exists(pk)' } },
        ...(channel.pageId ? [{ Delete: { TableName: '', Key: keys.page(channel.pageId) } }] : []),
      ]);
      return 'deleted';
    } catch (error) {
      if (lostRace(error) && (await this.table.get(keyOnly, mark.pk, mark.sk, true))) return 'hasChats';
      throw error;
    }
  }

  /**
   * Removes an agent and every item of their partition (memberships, connections, event log).
   * The agent item goes only while the agent holds no chat; otherwise `AgentStillBusy`.
   */
  async deleteAgent(agentId: string): Promise<void> {
    const agentKey = keys.agent(agentId);
    try {
      await this.table.transact([
        {
          Delete: {
            TableName: '',
            Key: agentKey,
            ConditionExpression: 'attribute_exists(pk) AND #load = :zero',
            ExpressionAttributeNames: { '#load': 'load' },
            ExpressionAttributeValues: { ':zero': 0 },
          },
        },
      ]);
    } catch (error) {
      if (lostRace(error)) throw new AgentStillBusy(agentId, { cause: error });
      throw error;
    }
    let startKey: Item | undefined;
    do {
      const page = await this.table.queryPartition(keyOnly, { pk: agentKey.pk, startKey, consistent: true });
      for (const item of page.items) await this.table.delete(item.pk, item.sk);
      startKey = page.lastKey;
    } while (startKey);
  }

  // ---- helpers ------------------------------------------------------------------------

  private kindPage<T>(schema: z.ZodMiniType<T>, kind: string, page: PageRequest): Promise<Page<T>> {
    return partitionPage(this.table, schema, { index: 'byKind', pk: indexKeys.kind(kind), whole: true }, page);
  }

  private async filteredChats(
    where: ChatsWhere,
    filter: { queueId?: string; agentId?: string },
    limit: number,
    startKey: Item | undefined,
  ): Promise<{ items: RoutedChat[]; lastKey?: Item }> {
    const found = await this.filteredChatKeys(where, filter, limit, startKey);
    const items = await withConversations(this.table, await this.table.getMany(routedChatSchema, found.items));
    return found.lastKey ? { items, lastKey: found.lastKey } : { items };
  }

  /** The index entries (every key attribute kept) of one partition's chats that pass the filter. */
  private async filteredChatKeys(
    where: ChatsWhere,
    filter: { queueId?: string; agentId?: string },
    limit: number,
    startKey: Item | undefined,
  ): Promise<{ items: Array<{ pk: string; sk: string } & Item>; lastKey?: Item }> {
    const names: Record<string, string> = { '#pk': where.pkName };
    const values: Item = { ':pk': where.pk };
    let condition = '#pk = :pk';
    if (where.skName && where.skPrefix) {
      names['#sk'] = where.skName;
      values[':sk'] = where.skPrefix;
      condition += ' AND begins_with(#sk, :sk)';
    }
    const filters: string[] = [];
    if (filter.queueId !== undefined) {
      names['#queueId'] = 'queueId';
      values[':queueId'] = filter.queueId;
      filters.push('#queueId = :queueId');
    }
    if (filter.agentId !== undefined) {
      names['#agentId'] = 'agentId';
      values[':agentId'] = filter.agentId;
      filters.push('#agentId = :agentId');
    }
    // the index projects the filtered attributes; the chats themselves are read by key
    const found = await this.table.query(z.looseObject(keyOnly.shape), {
      IndexName: where.index,
      KeyConditionExpression: condition,
      ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      Limit: limit,
      ExclusiveStartKey: startKey,
    });
    return found.lastKey ? { items: found.items, lastKey: found.lastKey } : { items: found.items };
  }

  private async deleteExisting(key: { pk: string; sk: string }): Promise<boolean> {
    try {
      await this.table.delete(key.pk, key.sk, 'attribute_exists(pk)');
      return true;
    } catch (error) {
      if (lostRace(error)) return false;
      throw error;
    }
  }
}
