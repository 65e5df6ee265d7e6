/**
 * Write units of every write request, by AWS's rules (bench/write-units.ts), and per partition key for
 * the cost benchmark's mixed run. Sits in its DynamoDB proxy: every write request is sent with
 * ReturnConsumedCapacity INDEXES (what DynamoDB Local reports is kept beside the computed figure), the
 * items it touches are read before and after it (consistently, straight from DynamoDB, uncounted) while
 * the proxy holds every other write of those items back, so the images are exactly the write's. The
 * units are computed per item, for the table and each GSI (key schema, indexes and projections from
 * DescribeTable), and, while `enabled`, shared out among the partition keys written: the item's own for
 * the table; for a GSI, the item's value of the index's partition attribute before and after the write
 * (the index is written where the item leaves and where it lands).
 */
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { indexEntry, itemSize, writeUnits, type Image as UnitImage, type TableSchema, type WriteKind, type WriteUnits } from './write-units';

type Key = Record<string, AttributeValue>;
type Image = Record<string, AttributeValue> | undefined;

interface Touched {
  table: string;
  key: Key;
  /** Put, Update, Delete or ConditionCheck (BatchWriteItem: Put or Delete). */
  action: string;
  /** ConditionCheck in a transaction: consumes write units, changes nothing. */
  checkOnly: boolean;
  /** A Put's item as sent: what a failed condition would have written. */
  attempted: Image;
  before: Image;
  after: Image;
  units?: WriteUnits;
}

/** What one write request cost: computed by AWS's rules, and as DynamoDB Local reported it. */
export interface WriteCost {
  operation: string;
  /** ok; conditionFailed (a single-item write whose condition failed); cancelled (a transaction); error. */
  outcome: 'ok' | 'conditionFailed' | 'cancelled' | 'error';
  wru: number;
  localWru: number;
  items: Array<{ table: string; action: string; key: string; units: WriteUnits }>;
}

const writeOperations = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);

const units = z.object({ CapacityUnits: z.number().optional() }).optional();
const consumedSchema = z.object({
  TableName: z.string().optional(),
  CapacityUnits: z.number().optional(),
  Table: units,
  GlobalSecondaryIndexes: z.record(z.string(), z.object({ CapacityUnits: z.number().optional() })).optional(),
});
const answerSchema = z.object({
  ConsumedCapacity: z.union([consumedSchema, z.array(consumedSchema)]).optional(),
  UnprocessedItems: z.record(z.string(), z.array(z.unknown())).optional(),
});
const errorSchema = z.object({ __type: z.string() });
const itemOrKey = z.object({ TableName: z.string(), Item: z.record(z.string(), z.unknown()).optional(), Key: z.record(z.string(), z.unknown()).optional() });
const transactSchema = z.object({
  TransactItems: z.array(z.object({ Put: itemOrKey.optional(), Update: itemOrKey.optional(), Delete: itemOrKey.optional(), ConditionCheck: itemOrKey.optional() })),
});
const writeRequest = z.object({ PutRequest: z.object({ Item: z.record(z.string(), z.unknown()) }).optional(), DeleteRequest: z.object({ Key: z.record(z.string(), z.unknown()) }).optional() });
const batchSchema = z.object({ RequestItems: z.record(z.string(), z.array(writeRequest)) });
const projectionType = z.enum(['KEYS_ONLY', 'INCLUDE', 'ALL']);

export class PartitionHeat {
  /** Shares units among partition keys while on; units are computed for every write either way. */
  enabled = false;
  /** table → index ("table" for the base table) → partition key value → write units. */
  private readonly units = new Map<string, Map<string, Map<string, number>>>();
  private readonly schemas = new Map<string, Promise<TableSchema>>();
  /** Item → the tail of the writes of it waiting in the proxy. */
  private readonly locks = new Map<string, Promise<void>>();
  private readonly client: DynamoDBClient;
  requests = 0;

  constructor(endpoint: string) {
    this.client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  }

  destroy(): void {
    this.client.destroy();
  }

  reset(): void {
    this.units.clear();
    this.requests = 0;
  }

  private schema(table: string): Promise<TableSchema> {
    let pending = this.schemas.get(table);
    if (!pending) {
      pending = (async () => {
        const described = (await this.client.send(new DescribeTableCommand({ TableName: table }))).Table;
        const of = (keySchema: Array<{ AttributeName?: string; KeyType?: string }> | undefined) => ({
          hash: keySchema?.find((k) => k.KeyType === 'HASH')?.AttributeName ?? '',
          range: keySchema?.find((k) => k.KeyType === 'RANGE')?.AttributeName,
        });
        return {
          ...of(described?.KeySchema),
          indexes: (described?.GlobalSecondaryIndexes ?? []).map((index) => ({
            name: index.IndexName ?? '?',
            ...of(index.KeySchema),
            projection: projectionType.catch('ALL').parse(index.Projection?.ProjectionType),
            nonKeyAttributes: index.Projection?.NonKeyAttributes,
          })),
        };
      })();
      this.schemas.set(table, pending);
      pending.catch(() => this.schemas.delete(table));
    }
    return pending;
  }

  /** Holds back every other write of these items until the returned release is called (in key order, so no deadlock). */
  private async lock(keys: string[]): Promise<() => void> {
    const releases: Array<() => void> = [];
    for (const k of [...new Set(keys)].sort()) {
      const previous = this.locks.get(k) ?? Promise.resolve();
      let release: () => void = () => undefined;
      const mine = new Promise<void>((resolve) => (release = resolve));
      const tail = previous.then(() => mine);
      this.locks.set(k, tail);
      await previous;
      releases.push(() => {
        release();
        if (this.locks.get(k) === tail) this.locks.delete(k);
      });
    }
    return () => releases.forEach((r) => r());
  }

  /**
   * Called with a request before it is forwarded: the body to forward (ReturnConsumedCapacity
   * INDEXES on writes) and, with the answer, what the write cost; undefined for a request that is no write.
   * `after` (or `abort`, when no answer came) must be called: the items stay locked until then.
   */
  async observe(operation: string, body: Buffer): Promise<{ body: Buffer; after(status: number, response: Buffer): Promise<WriteCost>; abort(): void } | undefined> {
    if (!writeOperations.has(operation)) return undefined;
    let input: Record<string, unknown>;
    let touched: Touched[];
    try {
      input = z.record(z.string(), z.unknown()).parse(JSON.parse(body.toString('utf8')));
      touched = await this.touched(operation, input);
    } catch {
      return undefined;
    }
    const release = await this.lock(touched.map((t) => lockKey(t.table, t.key)));
    try {
      await Promise.all(touched.map(async (t) => (t.before = await this.read(t.table, t.key))));
    } catch (error) {
      release();
      throw error;
    }
    return {
      body: Buffer.from(JSON.stringify({ ...input, ReturnConsumedCapacity: 'INDEXES' }), 'utf8'),
      abort: release,
      after: async (status, response) => {
        try {
          if (status === 200) await Promise.all(touched.map(async (t) => (t.after = t.checkOnly ? t.before : await this.read(t.table, t.key))));
        } finally {
          release();
        }
        return this.cost(operation, touched, status, response);
      },
    };
  }

  private async cost(operation: string, touched: Touched[], status: number, response: Buffer): Promise<WriteCost> {
    const json = (() => {
      try {
        return JSON.parse(response.toString('utf8')) as unknown;
      } catch {
        return undefined;
      }
    })();
    const answer = answerSchema.safeParse(json);
    const consumed = answer.success ? answer.data.ConsumedCapacity : undefined;
    const localWru = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((a, c) => a + (c.CapacityUnits ?? 0), 0);
    const errorType = status === 200 ? undefined : (errorSchema.safeParse(json).data?.__type.split('#').pop() ?? 'unknown');
    const outcome: WriteCost['outcome'] =
      status === 200 ? 'ok' : errorType === 'ConditionalCheckFailedException' ? 'conditionFailed' : errorType === 'TransactionCanceledException' ? 'cancelled' : 'error';
    const transactional = operation === 'TransactWriteItems';
    const unprocessed = new Set<string>();
    if (answer.success) {
      for (const [table, requests] of Object.entries(answer.data.UnprocessedItems ?? {})) {
        for (const r of requests) {
          const request = writeRequest.safeParse(r).data;
          const item = request?.PutRequest?.Item ?? request?.DeleteRequest?.Key;
          if (!item) continue;
          const schema = await this.schema(table);
          unprocessed.add(lockKey(table, keyOf(schema, item)));
        }
      }
    }
    const items: WriteCost['items'] = [];
    for (const t of touched) {
      const schema = await this.schema(t.table);
      let kind: WriteKind | undefined;
      if (outcome === 'ok' && !unprocessed.has(lockKey(t.table, t.key))) kind = t.checkOnly ? 'conditionCheck' : 'write';
      // A failed condition still consumes the item's size (the larger of the stored item and the one the write would have made).
      if (outcome === 'conditionFailed') kind = 'failedCondition';
      // A cancelled transaction: counted as DynamoDB Local reports it (nothing); see the cost bench's notes.
      if (!kind) continue;
      t.after = kind === 'failedCondition' ? t.attempted : t.after;
      t.units = writeUnits({ before: t.before as UnitImage, after: t.after as UnitImage, table: schema, transactional, kind });
      items.push({ table: t.table, action: t.action, key: `${keyString(t.key[schema.hash])} | ${schema.range ? keyString(t.key[schema.range]) : ''}`, units: t.units });
    }
    const wru = outcome === 'cancelled' ? localWru : items.reduce((a, i) => a + i.units.total, 0);
    if (this.enabled && items.length > 0) {
      this.requests += 1;
      for (const t of touched) if (t.units) await this.attribute(t, transactional);
    }
    return { operation, outcome, wru, localWru, items };
  }

  private async touched(operation: string, input: Record<string, unknown>): Promise<Touched[]> {
    const out: Touched[] = [];
    const add = async (table: string, action: string, itemOrKey: Record<string, unknown> | undefined, checkOnly = false) => {
      if (!itemOrKey) return;
      const schema = await this.schema(table);
      out.push({ table, key: keyOf(schema, itemOrKey), action, checkOnly, attempted: action === 'Put' ? (itemOrKey as Key) : undefined, before: undefined, after: undefined });
    };
    if (operation === 'TransactWriteItems') {
      for (const item of transactSchema.parse(input).TransactItems) {
        if (item.Put) await add(item.Put.TableName, 'Put', item.Put.Item);
        if (item.Update) await add(item.Update.TableName, 'Update', item.Update.Key);
        if (item.Delete) await add(item.Delete.TableName, 'Delete', item.Delete.Key);
        if (item.ConditionCheck) await add(item.ConditionCheck.TableName, 'ConditionCheck', item.ConditionCheck.Key, true);
      }
    } else if (operation === 'BatchWriteItem') {
      for (const [table, requests] of Object.entries(batchSchema.parse(input).RequestItems)) {
        for (const r of requests) await add(table, r.PutRequest ? 'Put' : 'Delete', r.PutRequest?.Item ?? r.DeleteRequest?.Key);
      }
    } else {
      const single = itemOrKey.parse(input);
      await add(single.TableName, operation.replace(/Item$/, ''), single.Item ?? single.Key);
    }
    return out;
  }

  private async read(table: string, key: Key): Promise<Image> {
    return (await this.client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
  }

  private add(table: string, index: string, key: string, wcu: number): void {
    const byIndex = this.units.get(table) ?? new Map<string, Map<string, number>>();
    this.units.set(table, byIndex);
    const byKey = byIndex.get(index) ?? new Map<string, number>();
    byIndex.set(index, byKey);
    byKey.set(key, (byKey.get(key) ?? 0) + wcu);
  }

  /** Puts one item's computed units on the partitions it wrote: its own key in the table, the index keys it left and entered. */
  private async attribute(t: Touched, transactional: boolean): Promise<void> {
    const schema = await this.schema(t.table);
    const computed = t.units;
    if (!computed) return;
    this.add(t.table, 'table', keyString(t.key[schema.hash]), computed.table);
    for (const [name, total] of Object.entries(computed.indexes)) {
      const index = schema.indexes.find((i) => i.name === name);
      const from = index && indexEntry(t.before as UnitImage, schema, index);
      const to = index && indexEntry(t.after as UnitImage, schema, index);
      if (!index || (!from && !to)) {
        this.add(t.table, name, '(not attributed)', total);
        continue;
      }
      const fromKey = from ? keyString(from[index.hash] as AttributeValue) : undefined;
      const toKey = to ? keyString(to[index.hash] as AttributeValue) : undefined;
      // a key change is a delete where the item leaves (its old entry's size) and a put where it lands
      const leaving = from && to && JSON.stringify([from[index.hash], from[index.range ?? '']]) !== JSON.stringify([to[index.hash], to[index.range ?? '']])
        ? Math.max(1, Math.ceil(itemSize(from) / 1024)) * (transactional ? 2 : 1)
        : 0;
      if (leaving > 0 && fromKey !== undefined && toKey !== undefined) {
        this.add(t.table, name, fromKey, leaving);
        this.add(t.table, name, toKey, total - leaving);
      } else this.add(t.table, name, (toKey ?? fromKey) as string, total);
    }
  }

  /** Every table and index written, with its write units per partition key. */
  entries(): Array<{ table: string; index: string; total: number; keys: Array<{ key: string; wcu: number }> }> {
    const out = [];
    for (const [table, byIndex] of this.units) {
      for (const [index, byKey] of byIndex) {
        const keys = [...byKey].map(([key, wcu]) => ({ key, wcu })).sort((a, b) => b.wcu - a.wcu);
        out.push({ table, index, total: keys.reduce((a, k) => a + k.wcu, 0), keys });
      }
    }
    return out.sort((a, b) => (a.index === 'table' ? -1 : b.index === 'table' ? 1 : a.index.localeCompare(b.index)));
  }
}

function keyString(value: AttributeValue | undefined): string {
  if (!value) return '(none)';
  if (value.S !== undefined) return value.S;
  if (value.N !== undefined) return value.N;
  if (value.B !== undefined) return `b64:${Buffer.from(value.B as unknown as string).toString('base64')}`;
  return JSON.stringify(value);
}

/** The key attributes of an item or key, as the request names them. */
function keyOf(schema: TableSchema, itemOrKey: Record<string, unknown>): Key {
  const key: Key = {};
  for (const name of [schema.hash, schema.range]) if (name && itemOrKey[name] !== undefined) key[name] = itemOrKey[name] as AttributeValue;
  return key;
}

function lockKey(table: string, key: Key): string {
  return `${table}|${Object.keys(key).sort().map((name) => `${name}=${keyString(key[name])}`).join('|')}`;
}
