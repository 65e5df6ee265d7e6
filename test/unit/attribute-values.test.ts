import { fromAttributeValue, unmarshall, UnreadableAttribute } from '../../functions/adapters/dynamodb/attribute-values';

const customer = 'Olá 😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳 — 注文 · طلبي';

describe('DynamoDB attribute values read without the SDK', () => {
  it('reads every type as the document client does, any script whole', () => {
    expect(
      unmarshall({
        s: { S: customer },
        n: { N: '42' },
        f: { N: '-0.125' },
        big: { N: '18446744073709551616' },
        t: { BOOL: true },
        none: { NULL: true },
        m: { M: { inner: { L: [{ S: customer }, { N: '1' }, { M: {} }] } } },
        l: { L: [] },
        ss: { SS: ['a', customer] },
        ns: { NS: ['1', '2.5'] },
        b: { B: Buffer.from([0, 255]).toString('base64') },
        bs: { BS: [Buffer.from([1]).toString('base64')] },
      }),
    ).toEqual({
      s: customer,
      n: 42,
      f: -0.125,
      big: 18446744073709551616n,
      t: true,
      none: null,
      m: { inner: [customer, 1, {}] },
      l: [],
      ss: new Set(['a', customer]),
      ns: new Set([1, 2.5]),
      b: new Uint8Array([0, 255]),
      bs: new Set([new Uint8Array([1])]),
    });
  });

  it('refuses what it cannot read faithfully', () => {
    expect(() => fromAttributeValue({ N: '1.5e300' })).toThrow(UnreadableAttribute);
    expect(() => fromAttributeValue({ N: 'abc' })).toThrow('N is not a number');
    expect(() => fromAttributeValue({ X: 'y' })).toThrow('Unsupported attribute type X');
    expect(() => fromAttributeValue({})).toThrow(UnreadableAttribute);
    expect(() => unmarshall(null as never)).toThrow('The item is not a map.');
  });
});
