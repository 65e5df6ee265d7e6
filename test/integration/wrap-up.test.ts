import fc from 'fast-check';
import { DynamoAdminStore } from '../../functions/adapters/dynamodb/admin-store';
import { newChatItem } from '../../functions/adapters/dynamodb/chats';
import { DynamoReports } from '../../functions/adapters/dynamodb/reports';
import { DynamoWrapUp } from '../../functions/adapters/dynamodb/wrap-up';
import type { RoutedChat } from '../../functions/domain/model';
import type { Note } from '../../functions/domain/wrap-up';
import { dynamoStores } from '../support/routing-harness';

/**
 * The wrap-up stores on DynamoDB Local: notes kept once under concurrent retries, a customer in
 * exactly one contact's list however links race, the customer history merged across channels in
 * order, and dispositions counted by the close's one report update.
 */
function chat(id: string, over: Partial<RoutedChat> = {}): RoutedChat {
  return {
    id,
    channelId: 'ch-a',
    channelType: 'messenger',
    queueId: 'support',
    state: 'closed',
    agentId: null,
    customer: { id: 'psid-1', name: 'Ελένη 😀' },
    contactId: null,
    language: 'el',
    createdAt: '2026-03-01T09:00:00.000Z',
    lastMessageAt: '2026-03-01T09:00:00.000Z',
    version: 1,
    offeredTo: [],
    skipped: [],
    ...over,
  };
}

describe('wrap-up stores on DynamoDB Local', () => {
  it('keeps a note once when 12 retries of it race, and answers each with the kept note', async () => {
    const { table } = await dynamoStores();
    const store = new DynamoWrapUp(table);
    const attempts = Array.from({ length: 12 }, (_, i): Note => ({
      id: `note-${i}`,
      chatId: 'chat-1',
      authorId: 'alice',
      authorName: 'Αλίκη',
      text: 'VIP 👨‍👩‍👧 يريد استرداد المبلغ',
      createdAt: new Date(Date.parse('2026-03-01T09:00:00.000Z') + i).toISOString(),
    }));
    const results = await Promise.all(attempts.map((n) => store.addNote(n, 'same-request')));
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
    const kept = results.find((r) => !r.duplicate)!.note;
    expect(results.every((r) => r.note.id === kept.id)).toBe(true);
    const page = await store.notes('chat-1', { limit: 50 });
    expect(page.items).toEqual([kept]);
    // notes live outside the chat's partition: never among its messages
    const { chats } = await dynamoStores();
    expect(await chats.messages('chat-1')).toEqual([]);
  });

  it('keeps a customer in exactly one contact list when links to different contacts race', async () => {
    const { table } = await dynamoStores();
    const admin = new DynamoAdminStore(table);
    const wrapUp = new DynamoWrapUp(table);
    const c = chat('chat-link', { state: 'assigned' });
    await table.put(newChatItem(c));
    const contacts = ['k1', 'k2', 'k3', 'k4'];
    for (const id of contacts) await admin.createContact({ id, name: `Contact ${id}`, createdAt: '2026-03-01T09:00:00.000Z' });
    for (let round = 0; round < 3; round++) {
      const outcomes = await Promise.allSettled(contacts.map((k) => admin.linkContact(c, k)));
      // losers are told to try again (409 busy), never a 500
      for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'busy' });
      const linked = await admin.contactOfCustomer(c.channelId, c.customer.id);
      const lists = await Promise.all(contacts.map(async (k) => ((await wrapUp.customersOfContact(k)).length > 0 ? k : undefined)));
      expect(lists.filter((k) => k !== undefined)).toEqual([linked]);
    }
  });

  it('merges a contact’s chats across channels newest first, each page in order, none missed or repeated', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ customer: fc.integer({ min: 0, max: 2 }), minute: fc.integer({ min: 0, max: 500 }) }), { minLength: 0, maxLength: 25 }),
        fc.integer({ min: 1, max: 6 }),
        async (specs, limit) => {
          const { table } = await dynamoStores();
          const store = new DynamoWrapUp(table);
          const customers = [
            { channelId: 'ch-a', customerId: 'psid-1' },
            { channelId: 'ch-b', customerId: 'psid-2' },
            { channelId: 'ch-a', customerId: 'psid-3' },
          ];
          const made = specs.map((s, i) => {
            const who = customers[s.customer]!;
            return chat(`c${String(i).padStart(2, '0')}`, {
              channelId: who.channelId,
              customer: { id: who.customerId, name: 'x' },
              createdAt: new Date(Date.parse('2026-03-01T09:00:00.000Z') + s.minute * 60_000).toISOString(),
            });
          });
          for (const c of made) await table.put(newChatItem(c));
          // one customer of a fourth channel is not part of the contact
          await table.put(newChatItem(chat('other', { channelId: 'ch-z', customer: { id: 'psid-9', name: 'y' } })));
          const except = made[0]?.id;
          const expected = made
            .filter((c) => c.id !== except)
            .sort((a, b) => (`${a.createdAt}#${a.id}` < `${b.createdAt}#${b.id}` ? 1 : -1))
            .map((c) => c.id);
          const seen: string[] = [];
          let before: string | undefined;
          for (let pages = 0; pages < 30; pages++) {
            const page = await store.chatsOf(customers, { limit, ...(except ? { except } : {}), ...(before ? { before } : {}) });
            expect(page.chats.length).toBeLessThanOrEqual(limit);
            seen.push(...page.chats.map((c) => c.id));
            const last = page.chats[page.chats.length - 1];
            if (!page.more || !last) break;
            before = `${last.createdAt}#${last.id}`;
          }
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: 8 },
    );
  }, 120_000);

  it('counts each disposition in the close’s one report update, also under concurrent closes', async () => {
    const { table } = await dynamoStores();
    const reports = new DynamoReports(table, async () => 60);
    const at = new Date('2026-03-01T09:30:00.000Z');
    const before = table.capacity.requests;
    await reports.closed(chat('solo', { disposition: { id: 'd-solved', label: 'Επιλύθηκε' } }), 'agent', at);
    // one update (the queue's item: no agent on this chat), disposition included
    expect(table.capacity.requests - before).toBe(1);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        reports.closed(chat(`c${i}`, { agentId: 'ann', disposition: { id: i % 2 ? 'd-solved' : 'd-refund', label: 'x' } }), 'agent', at),
      ),
    );
    const [hour] = await reports.hours({ queueId: 'support' }, new Date('2026-03-01T09:00:00.000Z'), new Date('2026-03-01T10:00:00.000Z'));
    expect(hour?.counters.dispositions).toEqual({ 'd-solved': 11, 'd-refund': 10 });
    const [agentHour] = await reports.hours({ agentId: 'ann' }, new Date('2026-03-01T09:00:00.000Z'), new Date('2026-03-01T10:00:00.000Z'));
    expect(agentHour?.counters.dispositions).toEqual({ 'd-solved': 10, 'd-refund': 10 });
  });
});
