import * as z from 'zod/mini';
import { messageView, quickReplySchema, routedChatSchema, storedMessageSchema, type Message, type QuickReply, type RoutedChat } from '../../domain/model';
import type { CustomerHistoryStore, CustomerRef, Page, PageRequest, WrapUpStore } from '../../domain/ports';
import { dispositionSchema, noteSchema, type Disposition, type Note } from '../../domain/wrap-up';
import { adminKeys } from './admin-store';
import { indexKeys, keys, ttlAfter } from './keys';
import { partitionPage } from './page-tokens';
import { lostRace, type Table } from './table';
import { InvalidNextToken } from '../../domain/errors';

/**
 * Wrap-up items, beside those of `keys.ts` and `admin-store.ts`:
 *
 *   DISPOSITION#<id>    | DISPOSITION          a disposition (label, queue or none); byKind `DISPOSITION`
 *   NOTES#<chatId>      | NOTE#<createdAt>#<id> a private note on a chat (its own partition: never among the messages)
 *   DELIVERY#note#<agentId>#<key> | DELIVERY   dedupe marker of a note (TTL), naming the note's sort key
 *   CONTACT#<contactId> | CUSTOMER#<channelId>#<customerId>  a customer linked to the contact (the reverse of CUSTOMER#…)
 *
 * A customer's chats are the byCustomer index (`CUST#<channelId>#<customerId>`, `<createdAt>#<chatId>`),
 * whose keys every chat gets when it opens and never changes.
 */
export const wrapUpKeys = {
  disposition: (id: string) => ({ pk: `DISPOSITION#${id}`, sk: 'DISPOSITION' }),
  notes: (chatId: string) => `NOTES#${chatId}`,
  note: (note: Pick<Note, 'chatId' | 'createdAt' | 'id'>) => ({ pk: `NOTES#${note.chatId}`, sk: `NOTE#${note.createdAt}#${note.id}` }),
  contactCustomer: (contactId: string, channelId: string, customerId: string) => ({ pk: `CONTACT#${contactId}`, sk: `CUSTOMER#${channelId}#${customerId}` }),
} as const;

/** How long a note's dedupe marker is kept: a client retries within minutes. */
const noteMemorySeconds = 24 * 3600;
/** Admins keep dispositions few; a hard bound keeps every read small. */
const maxDispositions = 500;

const noteMarker = z.object({ noteSk: z.string() });
const customerRef = z.object({ channelId: z.string(), customerId: z.string() });
const tableKey = z.object({ pk: z.string(), sk: z.string() });

export class DynamoWrapUp implements WrapUpStore, CustomerHistoryStore {
  constructor(private readonly table: Table) {}

  // ---- dispositions ----------------------------------------------------------------------

  async createDisposition(d: Disposition): Promise<void> {
    await this.table.put(
      { ...wrapUpKeys.disposition(d.id), ...d, kindPk: indexKeys.kind('DISPOSITION'), kindSk: `${d.createdAt}#${d.id}` },
      { expression: 'attribute_not_exists(pk)' },
    );
  }

  disposition(id: string): Promise<Disposition | undefined> {
    const k = wrapUpKeys.disposition(id);
    return this.table.get(dispositionSchema, k.pk, k.sk, true);
  }

  async dispositions(): Promise<Disposition[]> {
    const out: Disposition[] = [];
    let after: string | undefined;
    do {
      const page: Page<Disposition> = await partitionPage(this.table, dispositionSchema, { index: 'byKind', pk: indexKeys.kind('DISPOSITION'), whole: true }, { limit: 100, after });
      out.push(...page.items);
      after = page.next;
    } while (after && out.length < maxDispositions);
    return out.slice(0, maxDispositions);
  }

  async deleteDisposition(id: string): Promise<boolean> {
    const k = wrapUpKeys.disposition(id);
    try {
      await this.table.delete(k.pk, k.sk, 'attribute_exists(pk)');
      return true;
    } catch (error) {
      if (lostRace(error)) return false;
      throw error;
    }
  }

  // ---- notes -----------------------------------------------------------------------------

  async addNote(note: Note, dedupeKey?: string): Promise<{ note: Note; duplicate: boolean }> {
    const k = wrapUpKeys.note(note);
    if (dedupeKey === undefined) {
      await this.table.put({ ...k, ...note }, { expression: 'attribute_not_exists(pk)' });
      return { note, duplicate: false };
    }
    const marker = keys.delivery('note', note.authorId, dedupeKey);
    try {
      await this.table.transact([
        { Put: { TableName: '', Item: { ...k, ...note }, ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { TableName: '', Item: { ...marker, noteSk: k.sk, ttl: ttlAfter(new Date(note.createdAt), noteMemorySeconds) }, ConditionExpression: 'attribute_not_exists(pk)' } },
      ]);
      return { note, duplicate: false };
    } catch (error) {
      if (!lostRace(error)) throw error;
      const seen = await this.table.get(noteMarker, marker.pk, marker.sk, true);
      if (!seen) throw error;
      const kept = await this.table.get(noteSchema, k.pk, seen.noteSk, true);
      if (!kept) throw error;
      return { note: kept, duplicate: true };
    }
  }

  async notes(chatId: string, page: PageRequest): Promise<Page<Note>> {
    const pk = wrapUpKeys.notes(chatId);
    const { items, lastKey } = await this.table.query(noteSchema, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
      ExpressionAttributeValues: { ':pk': pk, ':sk': 'NOTE#' },
      Limit: page.limit,
      ExclusiveStartKey: page.after === undefined ? undefined : noteCursor(page.after, pk),
      ConsistentRead: true,
    });
    const next = lastKey ? Buffer.from(String(lastKey.sk), 'utf8').toString('base64url') : undefined;
    return next ? { items, next } : { items };
  }

  // ---- quick replies ---------------------------------------------------------------------

  quickReply(id: string): Promise<QuickReply | undefined> {
    const k = adminKeys.quickReply(id);
    return this.table.get(quickReplySchema, k.pk, k.sk, true);
  }

  async saveQuickReply(reply: QuickReply): Promise<boolean> {
    const k = adminKeys.quickReply(reply.id);
    try {
      await this.table.update({
        ...k,
        update: 'SET #language = :language, #text = :text, queueId = :queue',
        condition: 'attribute_exists(pk)',
        names: { '#language': 'language', '#text': 'text' },
        values: { ':language': reply.language, ':text': reply.text, ':queue': reply.queueId },
      });
      return true;
    } catch (error) {
      if (lostRace(error)) return false;
      throw error;
    }
  }

  // ---- the customer's history --------------------------------------------------------------

  async customersOfContact(contactId: string): Promise<CustomerRef[]> {
    const out: CustomerRef[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.table.queryPartition(customerRef, { pk: `CONTACT#${contactId}`, skPrefix: 'CUSTOMER#', startKey });
      out.push(...page.items.map((c) => ({ channelId: c.channelId, customerId: c.customerId })));
      startKey = page.lastKey;
    } while (startKey && out.length < 100);
    return out;
  }

  /**
   * One query of the byCustomer index per customer (newest first, before the position), merged
   * by sort key; then the chats themselves, read by key.
   */
  async chatsOf(customers: readonly CustomerRef[], opts: { limit: number; before?: string; except?: string }): Promise<{ chats: RoutedChat[]; more: boolean }> {
    const perPartition = opts.limit + (opts.except ? 2 : 1);
    const pages = await Promise.all(
      customers.map((c) =>
        this.table.query(z.object({ pk: z.string(), sk: z.string(), custSk: z.string() }), {
          IndexName: 'byCustomer',
          KeyConditionExpression: opts.before === undefined ? 'custPk = :pk' : 'custPk = :pk AND custSk < :before',
          ExpressionAttributeValues: { ':pk': indexKeys.byCustomer(c.channelId, c.customerId), ...(opts.before === undefined ? {} : { ':before': opts.before }) },
          ScanIndexForward: false,
          Limit: perPartition,
        }),
      ),
    );
    const entries = pages
      .flatMap((p) => p.items)
      .filter((e) => e.pk !== keys.chat(opts.except ?? '').pk)
      .sort((a, b) => (a.custSk < b.custSk ? 1 : a.custSk > b.custSk ? -1 : 0));
    const taken = entries.slice(0, opts.limit);
    // more when another entry was found, or a partition may hold more than it gave
    const more = entries.length > opts.limit || pages.some((p) => p.lastKey !== undefined && p.items.length >= perPartition);
    const chats = await this.table.getMany(routedChatSchema, taken.map((e) => tableKey.parse(e)));
    return { chats, more };
  }

  async lastMessage(chatId: string): Promise<Message | undefined> {
    const { items } = await this.table.queryPartition(storedMessageSchema, { pk: keys.chat(chatId).pk, skPrefix: 'MSG#', limit: 1, descending: true });
    return items[0] ? messageView(items[0]) : undefined;
  }
}

/** The start key a notes token carries: a note's sort key in that chat's partition, nothing else. */
function noteCursor(token: string, pk: string): Record<string, string> {
  let sk = '';
  if (/^[A-Za-z0-9_-]{1,1400}$/.test(token)) sk = Buffer.from(token, 'base64url').toString('utf8');
  if (!/^NOTE#[^#]+#[A-Za-z0-9_.@:-]+$/.test(sk) || Buffer.byteLength(sk, 'utf8') > 1024) {
    throw new InvalidNextToken('It is not a position in this chat\'s notes.');
  }
  return { pk, sk };
}
