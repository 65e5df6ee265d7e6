/**
 * DynamoDB's AttributeValue JSON (the wire form of an item) as plain values, the way the document
 * client's `unmarshall` gives them: S as strings, N as numbers (a bigint beyond the safe integers),
 * BOOL, NULL as null, M as objects, L as arrays, SS/NS/BS as Sets, B as bytes. For the webhooks,
 * which read items over `fetch` without the SDK.
 */
export type AttributeValue = Record<string, unknown>;

export class UnreadableAttribute extends Error {
  override readonly name = 'UnreadableAttribute';
}

function number(text: unknown): number | bigint {
  if (typeof text !== 'string') throw new UnreadableAttribute(`N is not a string: ${JSON.stringify(text)}`);
  const value = Number(text);
  if (Number.isNaN(value)) throw new UnreadableAttribute(`N is not a number: ${JSON.stringify(text)}`);
  if (Number.isFinite(value) && (value > Number.MAX_SAFE_INTEGER || value < Number.MIN_SAFE_INTEGER)) {
    try {
      return BigInt(text);
    } catch {
      throw new UnreadableAttribute(`N ${text} is beyond the safe integers and not an integer.`);
    }
  }
  return value;
}

function bytes(base64: unknown): Uint8Array {
  if (typeof base64 !== 'string') throw new UnreadableAttribute('B is not a base64 string.');
  return new Uint8Array(Buffer.from(base64, 'base64'));
}

function list(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new UnreadableAttribute(`${what} is not a list.`);
  return value;
}

/** One attribute value as a plain value. */
export function fromAttributeValue(attribute: AttributeValue): unknown {
  for (const [type, value] of Object.entries(attribute)) {
    if (value === undefined) continue;
    switch (type) {
      case 'S':
        if (typeof value !== 'string') throw new UnreadableAttribute('S is not a string.');
        return value;
      case 'N':
        return number(value);
      case 'BOOL':
        return Boolean(value);
      case 'NULL':
        return null;
      case 'M':
        return unmarshall(value as Record<string, AttributeValue>);
      case 'L':
        return list(value, 'L').map((item) => fromAttributeValue(item as AttributeValue));
      case 'SS':
        return new Set(list(value, 'SS').map((s) => (typeof s === 'string' ? s : fromAttributeValue({ S: s }))));
      case 'NS':
        return new Set(list(value, 'NS').map(number));
      case 'B':
        return bytes(value);
      case 'BS':
        return new Set(list(value, 'BS').map(bytes));
      default:
        throw new UnreadableAttribute(`Unsupported attribute type ${type}.`);
    }
  }
  throw new UnreadableAttribute(`No value in ${JSON.stringify(Object.keys(attribute))}.`);
}

/** An item (a map of attribute values) as a plain object. */
export function unmarshall(item: Record<string, AttributeValue>): Record<string, unknown> {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new UnreadableAttribute('The item is not a map.');
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) out[name] = fromAttributeValue(value);
  return out;
}
