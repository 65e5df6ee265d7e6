import fc from 'fast-check';
import { indexWriteUnits, itemSize, numberSize, valueSize, writeUnits, type Item, type TableSchema } from '../../bench/write-units';

const table: TableSchema = {
  hash: 'pk',
  range: 'sk',
  indexes: [
    { name: 'byKind', hash: 'kindPk', range: 'kindSk', projection: 'KEYS_ONLY' },
    { name: 'everything', hash: 'gpk', projection: 'ALL' },
    { name: 'some', hash: 'spk', projection: 'INCLUDE', nonKeyAttributes: ['state'] },
  ],
};
const noIndexes: TableSchema = { hash: 'pk', range: 'sk', indexes: [] };

/** pk (2) + "CHAT#1" (6) + sk (2) + "MSG#01" (6) = 16 bytes. */
const key: Item = { pk: { S: 'CHAT#1' }, sk: { S: 'MSG#01' } };
/** An item of exactly `bytes` bytes: the key and a `d` attribute (1 byte of name) filling the rest. */
const sized = (bytes: number, extra: Item = {}): Item => {
  const base = itemSize({ ...key, ...extra, d: { S: '' } });
  return { ...key, ...extra, d: { S: 'x'.repeat(bytes - base) } };
};

describe('item size as DynamoDB counts it', () => {
  it('counts names and string values in UTF-8 bytes, emoji and every script included', () => {
    expect(itemSize(key)).toBe(16);
    expect(valueSize({ S: '😀' })).toBe(4);
    expect(valueSize({ S: '👍🏽' })).toBe(8); // two code points of 4 bytes
    expect(valueSize({ S: '🇵🇹' })).toBe(8); // two regional indicators
    expect(valueSize({ S: '👨‍👩‍👧' })).toBe(18); // three of 4 bytes joined by two ZWJ of 3
    expect(valueSize({ S: '𝕳' })).toBe(4);
    expect(valueSize({ S: 'Olá' })).toBe(4);
    expect(valueSize({ S: 'привет' })).toBe(12);
    expect(itemSize({ 'ñame': { S: '你好' } })).toBe(5 + 6);
  });

  it('counts a number as 1 byte per two significant digits plus 1', () => {
    expect(numberSize('123')).toBe(3);
    expect(numberSize('1000')).toBe(2); // trailing zeroes trimmed
    expect(numberSize('-0.0500')).toBe(2); // one significant digit
    expect(numberSize('12345678901234567890')).toBe(11);
    expect(numberSize('0')).toBe(1);
    expect(valueSize({ NS: ['1', '22', '333'] })).toBe(2 + 2 + 3);
  });

  it('counts binaries by their raw bytes, booleans and nulls as 1, lists and maps with their overhead', () => {
    expect(valueSize({ B: 'AAEC' })).toBe(3); // base64 on the wire
    expect(valueSize({ B: new Uint8Array([0, 1, 2, 3]) })).toBe(4);
    expect(valueSize({ BOOL: false })).toBe(1);
    expect(valueSize({ NULL: true })).toBe(1);
    expect(valueSize({ L: [] })).toBe(3);
    expect(valueSize({ L: [{ N: '1' }, { BOOL: true }] })).toBe(3 + (1 + 2) + (1 + 1));
    expect(valueSize({ M: { a: { S: 'xy' }, 'é': { S: '😀' } } })).toBe(3 + (1 + 1 + 2) + (1 + 2 + 4));
    expect(valueSize({ SS: ['é', 'ab'] })).toBe(4);
    expect(valueSize({ BS: ['AAEC', 'AA=='] })).toBe(4);
    expect(itemSize(undefined)).toBe(0);
  });
});

describe('table write units', () => {
  it('charges 1 per KB of the larger image, rounded up, at least 1', () => {
    expect(writeUnits({ before: undefined, after: key, table: noIndexes, transactional: false }).total).toBe(1);
    expect(writeUnits({ before: undefined, after: sized(1024), table: noIndexes, transactional: false }).total).toBe(1);
    expect(writeUnits({ before: undefined, after: sized(1025), table: noIndexes, transactional: false }).total).toBe(2);
    // an update that shrinks a 3000-byte item pays for the 3000 bytes
    expect(writeUnits({ before: sized(3000), after: sized(100), table: noIndexes, transactional: false }).total).toBe(3);
    // a delete pays for the deleted item; of an absent item, 1
    expect(writeUnits({ before: sized(2100), after: undefined, table: noIndexes, transactional: false }).total).toBe(3);
    expect(writeUnits({ before: undefined, after: undefined, table: noIndexes, transactional: false }).total).toBe(1);
  });

  it('charges a long emoji text by its bytes, not its characters', () => {
    const text = '😀'.repeat(300); // 300 characters, 1,200 bytes
    expect(writeUnits({ before: undefined, after: { ...key, text: { S: text } }, table: noIndexes, transactional: false }).total).toBe(2);
  });

  it('doubles every item of a transaction, however alike their sizes (DynamoDB Local reports 2 for 1, 2 or 3 small Puts)', () => {
    const put = (item: Item) => writeUnits({ before: undefined, after: item, table: noIndexes, transactional: true }).total;
    const small = [key, { ...key, sk: { S: 'MSG#02' } }, { ...key, sk: { S: 'MSG#03' } }];
    expect(small.slice(0, 1).map(put).reduce((a, b) => a + b)).toBe(2);
    expect(small.slice(0, 2).map(put).reduce((a, b) => a + b)).toBe(4);
    expect(small.map(put).reduce((a, b) => a + b)).toBe(6);
    expect(put(key) + put(sized(3000))).toBe(2 + 6);
  });

  it('charges a ConditionCheck as a transactional write of the checked item, and a failed condition the item\'s size without indexes', () => {
    const checked = sized(3000, { kindPk: { S: 'CHATS#open#01' }, kindSk: { S: 'x' } });
    expect(writeUnits({ before: checked, after: checked, table, transactional: true, kind: 'conditionCheck' })).toEqual({ table: 6, indexes: {}, total: 6 });
    expect(writeUnits({ before: undefined, after: undefined, table, transactional: true, kind: 'conditionCheck' }).total).toBe(2);
    expect(writeUnits({ before: checked, after: undefined, table, transactional: false, kind: 'failedCondition' })).toEqual({ table: 3, indexes: {}, total: 3 });
  });
});

describe('global secondary index write units', () => {
  const inKind: Item = { ...key, kindPk: { S: 'CHATS#waiting#07' }, kindSk: { S: '2026-03-01T09:00:00Z' }, text: { S: 'Olá 😀' } };

  it('charges 1 write when an item enters an index and 1 when it leaves', () => {
    expect(writeUnits({ before: undefined, after: inKind, table, transactional: false })).toEqual({ table: 1, indexes: { byKind: 1 }, total: 2 });
    const left = { ...inKind };
    delete left.kindPk;
    expect(writeUnits({ before: inKind, after: left, table, transactional: false })).toEqual({ table: 1, indexes: { byKind: 1 }, total: 2 });
  });

  it('charges a delete and a put when the index key changes', () => {
    const moved = { ...inKind, kindPk: { S: 'CHATS#offered#07' } };
    expect(writeUnits({ before: inKind, after: moved, table, transactional: false })).toEqual({ table: 1, indexes: { byKind: 2 }, total: 3 });
    const resorted = { ...inKind, kindSk: { S: '2026-03-01T09:00:01Z' } };
    expect(indexWriteUnits(inKind, resorted, table, table.indexes[0]!)).toBe(2);
  });

  it('charges nothing when no projected attribute changes, 1 write when one does', () => {
    const edited = { ...inKind, text: { S: 'Olá 👍🏽' } };
    // KEYS_ONLY: text is not in the index
    expect(writeUnits({ before: inKind, after: edited, table, transactional: false })).toEqual({ table: 1, indexes: {}, total: 1 });
    // ALL: every attribute is
    const all = { ...inKind, gpk: { S: 'G' } };
    expect(writeUnits({ before: all, after: { ...all, text: { S: 'Olá 👍🏽' } }, table, transactional: false }).indexes).toEqual({ everything: 1 });
    // INCLUDE: only the named attributes are
    const some = { ...key, spk: { S: 'S' }, state: { S: 'open' }, text: { S: 'a' } };
    expect(writeUnits({ before: some, after: { ...some, text: { S: 'b' } }, table, transactional: false }).indexes).toEqual({});
    expect(writeUnits({ before: some, after: { ...some, state: { S: 'closed' } }, table, transactional: false }).indexes).toEqual({ some: 1 });
  });

  it('charges an index by the size of its entry, 1 per KB', () => {
    const big = sized(3000, { gpk: { S: 'G' }, kindPk: { S: 'K' }, kindSk: { S: 'k' } });
    // the ALL index holds 3,000 bytes; the KEYS_ONLY one only the keys
    expect(writeUnits({ before: undefined, after: big, table, transactional: false })).toEqual({ table: 3, indexes: { everything: 3, byKind: 1 }, total: 7 });
  });

  it('doubles index writes in a transaction: three index items are 6 + 6 (DynamoDB Local reports 2 + 2)', () => {
    const items = ['1', '2', '3'].map((n) => ({ ...inKind, sk: { S: `MSG#0${n}` } }));
    const units = items.map((after) => writeUnits({ before: undefined, after, table, transactional: true }));
    expect(units.reduce((a, u) => a + u.table, 0)).toBe(6);
    expect(units.reduce((a, u) => a + (u.indexes.byKind ?? 0), 0)).toBe(6);
  });

  it('treats binary keys alike whether they come as base64 or bytes', () => {
    const binary: TableSchema = { hash: 'pk', indexes: [{ name: 'b', hash: 'bk', projection: 'KEYS_ONLY' }] };
    const before: Item = { pk: { S: 'p' }, bk: { B: 'AAEC' }, x: { N: '1' } };
    const after: Item = { pk: { S: 'p' }, bk: { B: new Uint8Array([0, 1, 2]) }, x: { N: '2' } };
    expect(indexWriteUnits(before, after, binary, binary.indexes[0]!)).toBe(0);
  });
});

describe('properties', () => {
  it('size grows with the string, by exactly its added UTF-8 bytes, and units never fall', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'é', '€', '😀', '👍🏽', '🇵🇹', '👨‍👩‍👧', '𝕳', 'ж', '中', ' '), maxLength: 600 });
    fc.assert(
      fc.property(text, text, (s, more) => {
        const shorter: Item = { ...key, text: { S: s } };
        const longer: Item = { ...key, text: { S: s + more } };
        expect(itemSize(longer) - itemSize(shorter)).toBe(Buffer.byteLength(more, 'utf8'));
        const units = (after: Item) => writeUnits({ before: undefined, after, table, transactional: false }).total;
        expect(units(longer)).toBeGreaterThanOrEqual(units(shorter));
      }),
    );
  });
});
