/**
 * The write request units AWS charges for one write of one item, computed from the item as it was
 * before the write and as it is after it, the table's key schema and its global secondary indexes.
 *
 * DynamoDB Local's ConsumedCapacity is not AWS's: a TransactWriteItems of items of equal size reports
 * the units of one of them (1, 2 or 3 small Puts all report 2; AWS charges 2 per item), so the cost
 * bench computes the units itself by the rules below and shows Local's figure beside them.
 *
 * Rules, as AWS documents them:
 * - Item size: the sum over attributes of the UTF-8 length of the name plus the value's size. Strings
 *   their UTF-8 bytes; numbers about 1 byte per two significant digits (leading and trailing zeroes
 *   trimmed) plus 1; binaries their raw bytes; BOOL and NULL 1 byte; a List or Map 3 bytes plus its
 *   elements, each element 1 byte more (a Map element also its name); sets the sum of their elements.
 *   "DynamoDB item sizes and formats",
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 * - A write consumes 1 unit per 1 KB of the item, rounded up, at least 1. PutItem and UpdateItem
 *   charge the larger of the item before and after the write; DeleteItem the deleted item's size (a
 *   Delete of an absent item: 1); a failed condition still consumes units for the item's size.
 *   "Capacity unit consumption for write operations",
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html#write-operation-consumption
 * - A GSI is written in the same units, by the size of the index entry (the table's keys, the index's
 *   keys and the projected attributes): an item that enters the index is 1 put, one that leaves it 1
 *   delete, one whose index key changes a delete and a put; an update that changes no projected
 *   attribute and not the key does not write the index; one that does is 1 write.
 *   "Provisioned throughput considerations for global secondary indexes" / "Write capacity units",
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes
 * - Transactions: DynamoDB performs two underlying writes of every item in a transaction (prepare and
 *   commit), so every unit counts twice, the indexes' too; a ConditionCheck is charged as a write of
 *   the checked item.
 *   "Capacity management for transactions",
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling
 */

/** An AttributeValue as it comes over the wire (B as base64) or from the SDK (B as bytes). */
export interface AttributeValue {
  S?: string;
  N?: string;
  B?: Uint8Array | string;
  BOOL?: boolean;
  NULL?: boolean;
  M?: Record<string, AttributeValue>;
  L?: AttributeValue[];
  SS?: string[];
  NS?: string[];
  BS?: Array<Uint8Array | string>;
}

export type Item = Record<string, AttributeValue>;
/** An item's image; undefined when the item does not exist. */
export type Image = Item | undefined;

export interface IndexSchema {
  name: string;
  hash: string;
  range?: string;
  projection: 'KEYS_ONLY' | 'INCLUDE' | 'ALL';
  /** INCLUDE: the projected non-key attributes. */
  nonKeyAttributes?: string[];
}

export interface TableSchema {
  hash: string;
  range?: string;
  indexes: IndexSchema[];
}

/**
 * - write: a Put, Update or Delete that took effect.
 * - conditionCheck: a ConditionCheck of a transaction (charged as a write of the item, changes nothing).
 * - failedCondition: a single-item write whose condition failed: the table is charged the item's size
 *   (the larger of the stored item and the one the write would have made), the indexes nothing.
 */
export type WriteKind = 'write' | 'conditionCheck' | 'failedCondition';

export interface WriteUnits {
  table: number;
  /** Units per GSI written (indexes not written are absent). */
  indexes: Record<string, number>;
  total: number;
}

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');

function binaryLength(value: Uint8Array | string): number {
  return typeof value === 'string' ? Buffer.from(value, 'base64').length : value.length;
}

/** Bytes of a number: 1 per two significant digits (leading and trailing zeroes trimmed), plus 1. */
export function numberSize(n: string): number {
  const mantissa = n.trim().replace(/^[+-]/, '').split(/[eE]/)[0] ?? '';
  const digits = mantissa.replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(digits.length / 2) + 1;
}

export function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return binaryLength(value.B);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L) return 3 + value.L.reduce((a, v) => a + 1 + valueSize(v), 0);
  if (value.M) return 3 + Object.entries(value.M).reduce((a, [k, v]) => a + 1 + utf8(k) + valueSize(v), 0);
  if (value.SS) return value.SS.reduce((a, s) => a + utf8(s), 0);
  if (value.NS) return value.NS.reduce((a, n) => a + numberSize(n), 0);
  if (value.BS) return value.BS.reduce((a, b) => a + binaryLength(b), 0);
  throw new Error(`not an AttributeValue: ${JSON.stringify(value)}`);
}

/** Item size in bytes as DynamoDB counts it for capacity (0 for an absent item). */
export function itemSize(image: Image): number {
  if (!image) return 0;
  return Object.entries(image).reduce((a, [name, value]) => a + utf8(name) + valueSize(value), 0);
}

/** 1 unit per KB, rounded up, at least 1. */
const kilobytes = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

/** A value in a form where equal values compare equal (binaries as base64, sets and maps ordered). */
function canonical(value: AttributeValue | undefined): unknown {
  if (value === undefined) return undefined;
  if (value.B !== undefined) return { B: typeof value.B === 'string' ? value.B : Buffer.from(value.B).toString('base64') };
  if (value.BS) return { BS: value.BS.map((b) => (typeof b === 'string' ? b : Buffer.from(b).toString('base64'))).sort() };
  if (value.SS) return { SS: [...value.SS].sort() };
  if (value.NS) return { NS: [...value.NS].sort() };
  if (value.L) return { L: value.L.map(canonical) };
  if (value.M) return { M: Object.keys(value.M).sort().map((k) => [k, canonical(value.M?.[k])]) };
  return value;
}

const same = (a: AttributeValue | undefined, b: AttributeValue | undefined) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

/** The index entry of an item: undefined when the item lacks the index's key attributes (a sparse index). */
export function indexEntry(image: Image, table: TableSchema, index: IndexSchema): Item | undefined {
  if (!image || image[index.hash] === undefined || (index.range !== undefined && image[index.range] === undefined)) return undefined;
  if (index.projection === 'ALL') return image;
  const names = new Set([table.hash, table.range, index.hash, index.range, ...(index.projection === 'INCLUDE' ? (index.nonKeyAttributes ?? []) : [])]);
  const entry: Item = {};
  for (const name of names) if (name !== undefined && image[name] !== undefined) entry[name] = image[name];
  return entry;
}

/** Units one index is charged for one write of one item (before any transactional doubling). */
export function indexWriteUnits(before: Image, after: Image, table: TableSchema, index: IndexSchema): number {
  const from = indexEntry(before, table, index);
  const to = indexEntry(after, table, index);
  if (!from && !to) return 0;
  if (!from) return kilobytes(itemSize(to));
  if (!to) return kilobytes(itemSize(from));
  const keyChanged = !same(from[index.hash], to[index.hash]) || (index.range !== undefined && !same(from[index.range], to[index.range]));
  if (keyChanged) return kilobytes(itemSize(from)) + kilobytes(itemSize(to));
  const names = new Set([...Object.keys(from), ...Object.keys(to)]);
  const changed = [...names].some((name) => !same(from[name], to[name]));
  return changed ? kilobytes(Math.max(itemSize(from), itemSize(to))) : 0;
}

/** The write units AWS charges for one write of one item, table and indexes. */
export function writeUnits(input: { before: Image; after: Image; table: TableSchema; transactional: boolean; kind?: WriteKind }): WriteUnits {
  const { before, after, table, transactional } = input;
  const kind = input.kind ?? 'write';
  const factor = transactional ? 2 : 1;
  const tableUnits = kind === 'conditionCheck' ? kilobytes(itemSize(before)) : kilobytes(Math.max(itemSize(before), itemSize(after)));
  const indexes: Record<string, number> = {};
  if (kind === 'write') {
    for (const index of table.indexes) {
      const units = indexWriteUnits(before, after, table, index);
      if (units > 0) indexes[index.name] = units * factor;
    }
  }
  const total = tableUnits * factor + Object.values(indexes).reduce((a, b) => a + b, 0);
  return { table: tableUnits * factor, indexes, total };
}
