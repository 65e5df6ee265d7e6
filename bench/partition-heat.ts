/**
 * Write units per partition key, for the cost benchmark's mixed run. Sits in its DynamoDB proxy: every
 * write request is sent with ReturnConsumedCapacity INDEXES, the items it touches are read before and
 * after it (consistently, straight from DynamoDB, uncounted), and the units DynamoDB reports for the
 * table and for each GSI are shared out among the partition keys written there: the item's own for the
 * table; for a GSI, the item's value of the index's partition attribute before and after the write
 * (the index is written where the item leaves and where it lands). Key attributes and indexes come
 * from DescribeTable, so the figures follow the data layout wherever it goes.
 */
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';

type Key = Record<string, AttributeValue>;
type Image = Record<string, AttributeValue> | undefined;

interface Schema {
  hash: string;
  range?: string;
  indexes: Array<{ name: string; hash: string; range?: string }>;
}

interface Touched {
  table: string;
  key: Key;
  /** ConditionCheck in a transaction: consumes write units, changes nothing. */
  checkOnly: boolean;
  before: Image;
  after: Image;
}

const writeOperations = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem']);

const units = z.object({ CapacityUnits: z.number().optional() }).optional();
const consumedSchema = z.object({
  TableName: z.string().optional(),
  CapacityUnits: z.number().optional(),
  Table: units,
  GlobalSecondaryIndexes: z.record(z.string(), z.object({ CapacityUnits: z.number().optional() })).optional(),
});
const answerSchema = z.object({ ConsumedCapacity: z.union([consumedSchema, z.array(consumedSchema)]).optional() });
const itemOrKey = z.object({ TableName: z.string(), Item: z.record(z.string(), z.unknown()).optional(), Key: z.record(z.string(), z.unknown()).optional() });
const transactSchema = z.object({
  TransactItems: z.array(z.object({ Put: itemOrKey.optional(), Update: itemOrKey.optional(), Delete: itemOrKey.optional(), ConditionCheck: itemOrKey.optional() })),
});
const batchSchema = z.object({
  RequestItems: z.record(
    z.string(),
    z.array(z.object({ PutRequest: z.object({ Item: z.record(z.string(), z.unknown()) }).optional(), DeleteRequest: z.object({ Key: z.record(z.string(), z.unknown()) }).optional() })),
  ),
});

export class PartitionHeat {
  enabled = false;
  /** table → index ("table" for the base table) → partition key value → write units. */
  private readonly units = new Map<string, Map<string, Map<string, number>>>();
  private readonly schemas = new Map<string, Promise<Schema>>();
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

  private schema(table: string): Promise<Schema> {
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
          indexes: (described?.GlobalSecondaryIndexes ?? []).map((index) => ({ name: index.IndexName ?? '?', ...of(index.KeySchema) })),
        };
      })();
      this.schemas.set(table, pending);
      pending.catch(() => this.schemas.delete(table));
    }
    return pending;
  }

  /**
   * Called with a request before it is forwarded: the body to forward (ReturnConsumedCapacity
   * INDEXES on writes) and what to do with the answer, or undefined for a request not watched.
   */
  async observe(operation: string, body: Buffer): Promise<{ body: Buffer; after(status: number, response: Buffer): Promise<void> } | undefined> {
    if (!this.enabled || !writeOperations.has(operation)) return undefined;
    let input: Record<string, unknown>;
    try {
      input = z.record(z.string(), z.unknown()).parse(JSON.parse(body.toString('utf8')));
    } catch {
      return undefined;
    }
    const touched = await this.touched(operation, input);
    await Promise.all(touched.map(async (t) => (t.before = await this.read(t.table, t.key))));
    return {
      body: Buffer.from(JSON.stringify({ ...input, ReturnConsumedCapacity: 'INDEXES' }), 'utf8'),
      after: async (status, response) => {
        if (status !== 200) return;
        await Promise.all(touched.map(async (t) => (t.after = t.checkOnly ? t.before : await this.read(t.table, t.key))));
        let answer: z.infer<typeof answerSchema>;
        try {
          answer = answerSchema.parse(JSON.parse(response.toString('utf8')));
        } catch {
          return;
        }
        const consumed = answer.ConsumedCapacity;
        this.requests += 1;
        for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) await this.attribute(c, touched);
      },
    };
  }

  private async touched(operation: string, input: Record<string, unknown>): Promise<Touched[]> {
    const out: Touched[] = [];
    const add = async (table: string, itemOrKey: Record<string, unknown> | undefined, checkOnly = false) => {
      if (!itemOrKey) return;
      const schema = await this.schema(table);
      const key: Key = {};
      for (const name of [schema.hash, schema.range]) if (name && itemOrKey[name] !== undefined) key[name] = itemOrKey[name] as AttributeValue;
      out.push({ table, key, checkOnly, before: undefined, after: undefined });
    };
    if (operation === 'TransactWriteItems') {
      for (const item of transactSchema.parse(input).TransactItems) {
        if (item.Put) await add(item.Put.TableName, item.Put.Item);
        if (item.Update) await add(item.Update.TableName, item.Update.Key);
        if (item.Delete) await add(item.Delete.TableName, item.Delete.Key);
        if (item.ConditionCheck) await add(item.ConditionCheck.TableName, item.ConditionCheck.Key, true);
      }
    } else if (operation === 'BatchWriteItem') {
      for (const [table, requests] of Object.entries(batchSchema.parse(input).RequestItems)) {
        for (const r of requests) await add(table, r.PutRequest?.Item ?? r.DeleteRequest?.Key);
      }
    } else {
      const single = itemOrKey.parse(input);
      await add(single.TableName, single.Item ?? single.Key);
    }
    return out;
  }

  private async read(table: string, key: Key): Promise<Image> {
    try {
      return (await this.client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
    } catch {
      return undefined;
    }
  }

  private add(table: string, index: string, key: string, wcu: number): void {
    const byIndex = this.units.get(table) ?? new Map<string, Map<string, number>>();
    this.units.set(table, byIndex);
    const byKey = byIndex.get(index) ?? new Map<string, number>();
    byIndex.set(index, byKey);
    byKey.set(key, (byKey.get(key) ?? 0) + wcu);
  }

  /** Shares the table's and each index's units of one answer among the partitions the request wrote, by item size. */
  private async attribute(consumed: z.infer<typeof consumedSchema>, touched: Touched[]): Promise<void> {
    const table = consumed.TableName ?? touched[0]?.table ?? '?';
    const schema = await this.schema(table);
    const mine = touched.filter((t) => t.table === table);
    const indexUnits = Object.entries(consumed.GlobalSecondaryIndexes ?? {}).map(([name, u]) => [name, u.CapacityUnits ?? 0] as const);
    const tableUnits = consumed.Table?.CapacityUnits ?? Math.max(0, (consumed.CapacityUnits ?? 0) - indexUnits.reduce((a, [, u]) => a + u, 0));
    const share = (index: string, total: number, parts: Array<{ key: string; weight: number }>) => {
      if (total <= 0) return;
      const weights = parts.reduce((a, p) => a + p.weight, 0);
      if (parts.length === 0 || weights <= 0) return this.add(table, index, '(not attributed)', total);
      for (const p of parts) this.add(table, index, p.key, (total * p.weight) / weights);
    };
    share(
      'table',
      tableUnits,
      mine.map((t) => ({ key: keyString(t.key[schema.hash]), weight: t.checkOnly ? 1 : Math.max(1, Math.ceil(Math.max(sizeOf(t.before), sizeOf(t.after)) / 1024)) })),
    );
    for (const [name, total] of indexUnits) {
      const index = schema.indexes.find((i) => i.name === name);
      const parts: Array<{ key: string; weight: number }> = [];
      for (const t of mine) {
        if (!index || t.checkOnly) continue;
        const inIndex = (image: Image) => (image && image[index.hash] !== undefined && (!index.range || image[index.range] !== undefined) ? keyString(image[index.hash]) : undefined);
        const from = inIndex(t.before);
        const to = inIndex(t.after);
        const weightOf = (image: Image) => Math.max(1, Math.ceil(sizeOf(image) / 1024));
        if (from !== undefined && from === to) parts.push({ key: from, weight: Math.max(weightOf(t.before), weightOf(t.after)) });
        else {
          if (from !== undefined) parts.push({ key: from, weight: weightOf(t.before) });
          if (to !== undefined) parts.push({ key: to, weight: weightOf(t.after) });
        }
      }
      share(name, total, parts);
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

/** Item size as DynamoDB counts it, near enough: attribute names and values in UTF-8. */
function sizeOf(image: Image): number {
  if (!image) return 0;
  return Object.entries(image).reduce((a, [name, value]) => a + Buffer.byteLength(name, 'utf8') + valueSize(value), 0);
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return Math.ceil(value.N.length / 2) + 1;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.L) return 3 + value.L.reduce((a, v) => a + 1 + valueSize(v), 0);
  if (value.M) return 3 + Object.entries(value.M).reduce((a, [k, v]) => a + 1 + Buffer.byteLength(k, 'utf8') + valueSize(v), 0);
  if (value.SS) return value.SS.reduce((a, s) => a + Buffer.byteLength(s, 'utf8'), 0);
  if (value.NS) return value.NS.reduce((a, n) => a + n.length, 0);
  return JSON.stringify(value).length;
}
