import fc from 'fast-check';
import { shardedPage, type ShardRead, type ShardedIndex } from '../../functions/adapters/dynamodb/page-tokens';
import { indexKeys, shardCounts, shardOf } from '../../functions/adapters/dynamodb/keys';
import { InvalidNextToken } from '../../functions/domain/errors';

/**
 * Sharded lists read as DynamoDB would serve each shard: a query evaluates up to `Limit` entries
 * of its partition after the start key, in sort key order, returns those passing the filter and,
 * when it stopped at `Limit`, the key of the last evaluated one (even when nothing follows).
 */
interface Entry {
  pk: string;
  sk: string;
  kindPk: string;
  kindSk: string;
  passes: boolean;
}

const order = (a: Entry, b: { kindSk: string; pk: string; sk: string }) =>
  a.kindSk < b.kindSk ? -1 : a.kindSk > b.kindSk ? 1 : a.pk < b.pk ? -1 : a.pk > b.pk ? 1 : a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0;

function servedBy(entries: Entry[]): { read: ShardRead<string>; queries: () => number } {
  let queries = 0;
  const read: ShardRead<string> = async (partition, startKey, limit) => {
    queries += 1;
    const mine = entries.filter((e) => e.kindPk === partition).sort(order);
    const from = startKey ? mine.filter((e) => order(e, startKey as { kindSk: string; pk: string; sk: string }) > 0) : mine;
    const evaluated = from.slice(0, limit);
    const last = evaluated.at(-1);
    const key = (e: Entry) => ({ pk: e.pk, sk: e.sk, kindPk: e.kindPk, kindSk: e.kindSk });
    return {
      entries: evaluated.filter((e) => e.passes).map((e) => ({ key: key(e), value: e.pk })),
      ...(evaluated.length === limit && last ? { lastKey: key(last) } : {}),
    };
  };
  return { read, queries: () => queries };
}

const states = ['waiting', 'offered', 'closed'] as const;
const allStates: ShardedIndex = { index: 'byKind', groups: states.map((s) => indexKeys.chatsOfStateShards(s)) };

const chats = fc.uniqueArray(
  fc.record({
    id: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
    state: fc.constantFrom(...states),
    createdAt: fc.integer({ min: 0, max: 40 }).map((n) => `2026-01-01T00:00:${String(n).padStart(2, '0')}.000Z`),
    passes: fc.boolean(),
  }),
  { selector: (c) => c.id, maxLength: 60 },
);

function entriesOf(list: Array<{ id: string; state: string; createdAt: string; passes: boolean }>): Entry[] {
  return list.map((c) => ({ pk: `CHAT#${c.id}`, sk: 'CHAT', kindPk: indexKeys.chatsOfState(c.state, c.id), kindSk: `${c.createdAt}#${c.id}`, passes: c.passes }));
}

describe('sharded lists', () => {
  it('spreads ids over every shard, stably, within the count', () => {
    const seen = new Set<string>();
    for (let n = 0; n < 2_000; n++) {
      const shard = shardOf(`chat-${n}-😀`, shardCounts.chatsOfState);
      expect(shard).toMatch(/^\d\d$/);
      expect(Number(shard)).toBeLessThan(shardCounts.chatsOfState);
      expect(shardOf(`chat-${n}-😀`, shardCounts.chatsOfState)).toBe(shard);
      seen.add(shard);
    }
    expect(seen.size).toBe(shardCounts.chatsOfState);
    expect(indexKeys.waiting('q1', 'c1')).toMatch(/^WAIT#q1#\d\d$/);
    expect(indexKeys.waitingShards('q1')).toContain(indexKeys.waiting('q1', 'c1'));
  });

  it('walks every entry passing the filter exactly once, state after state, oldest first within each, at any page size', async () => {
    await fc.assert(
      fc.asyncProperty(chats, fc.integer({ min: 1, max: 12 }), async (list, limit) => {
        const entries = entriesOf(list);
        const { read } = servedBy(entries);
        const expected = states.flatMap((s) =>
          entries
            .filter((e) => e.passes && e.kindPk.startsWith(`CHATS#${s}#`))
            .sort(order)
            .map((e) => e.pk),
        );
        const seen: string[] = [];
        let after: string | undefined;
        let pages = 0;
        do {
          const page = await shardedPage(allStates, { limit, after }, read);
          expect(page.items.length).toBeLessThanOrEqual(limit);
          seen.push(...page.items);
          after = page.next;
          pages += 1;
          expect(pages).toBeLessThan(1_000);
        } while (after);
        expect(seen).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });

  it('takes a token only on the list it came from', async () => {
    const entries = entriesOf(Array.from({ length: 40 }, (_, n) => ({ id: `c${n}`, state: 'waiting', createdAt: `2026-01-01T00:00:${String(n).padStart(2, '0')}.000Z`, passes: true })));
    const { read } = servedBy(entries);
    const waiting: ShardedIndex = { index: 'byKind', groups: [indexKeys.chatsOfStateShards('waiting')] };
    const offered: ShardedIndex = { index: 'byKind', groups: [indexKeys.chatsOfStateShards('offered')] };
    const token = (await shardedPage(waiting, { limit: 5 }, read)).next;
    expect(token).toBeDefined();
    await expect(shardedPage(offered, { limit: 5, after: token }, read)).rejects.toBeInstanceOf(InvalidNextToken);
    await expect(shardedPage(allStates, { limit: 5, after: token }, read)).rejects.toBeInstanceOf(InvalidNextToken);
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(token as string, 'base64url').toString('utf8')), g: 1 })).toString('base64url');
    await expect(shardedPage(waiting, { limit: 5, after: forged }, read)).rejects.toBeInstanceOf(InvalidNextToken);
    for (const bad of ['e30', 'not base64!', Buffer.from('[]').toString('base64url')]) {
      await expect(shardedPage(waiting, { limit: 5, after: bad }, read)).rejects.toBeInstanceOf(InvalidNextToken);
    }
    expect((await shardedPage(waiting, { limit: 5, after: token }, read)).items).toEqual(['CHAT#c5', 'CHAT#c6', 'CHAT#c7', 'CHAT#c8', 'CHAT#c9']);
  });
});
