import { instrumented } from '../../shared/instrument';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  DeleteCommand,
  type QueryCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { TransactionCanceledException, ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import * as zm from 'zod/mini';
import { table as shape } from '../../shared/resources';

export type Item = Record<string, unknown>;

/** Any zod schema, classic or `zod/mini` (the webhooks read with the smaller one). */
export interface Schema<T> {
  parse(item: unknown): T;
}

/** The table key of an item, as every index projects it. */
const tableKey = zm.object({ pk: zm.string(), sk: zm.string() });
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** DynamoDB request units consumed, summed per table client; read by the benchmarks. */
export interface CapacityCounter {
  read: number;
  write: number;
  requests: number;
}

/**
 * The one table, with the few operations the stores use. Items read back are parsed with a
 * zod schema, so a malformed item is an error here rather than a surprise later.
 */
export class Table {
  readonly capacity: CapacityCounter = { read: 0, write: 0, requests: 0 };

  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly name: string,
  ) {}

  /** A table on a client configured from the environment (endpoint, region), with `config` (timeouts, attempts). */
  static fromEnv(tableName: string, config: DynamoDBClientConfig = {}): Table {
    const client = DynamoDBDocumentClient.from(instrumented(new DynamoDBClient(config)), { marshallOptions: { removeUndefinedValues: true } });
    return new Table(client, tableName);
  }

  /** `schema`: any zod schema, classic or `zod/mini` (the webhooks read with the smaller one). */
  async get<T>(schema: Schema<T>, pk: string, sk: string, consistent = false): Promise<T | undefined> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.name, Key: { pk, sk }, ConsistentRead: consistent, ReturnConsumedCapacity: 'TOTAL' }),
    );
    this.count(out.ConsumedCapacity, 'read');
    return out.Item ? schema.parse(out.Item) : undefined;
  }

  async put(item: Item, condition?: { expression: string; names?: Record<string, string>; values?: Item }): Promise<void> {
    const out = await this.client.send(
      new PutCommand({
        TableName: this.name,
        Item: item,
        ConditionExpression: condition?.expression,
        ExpressionAttributeNames: condition?.names,
        ExpressionAttributeValues: condition?.values,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    this.count(out.ConsumedCapacity, 'write');
  }

  async update(input: {
    pk: string;
    sk: string;
    update: string;
    condition?: string;
    names?: Record<string, string>;
    values?: Item;
  }): Promise<Item> {
    const out = await this.client.send(
      new UpdateCommand({
        TableName: this.name,
        Key: { pk: input.pk, sk: input.sk },
        UpdateExpression: input.update,
        ConditionExpression: input.condition,
        ExpressionAttributeNames: input.names,
        ExpressionAttributeValues: input.values,
        ReturnValues: 'ALL_NEW',
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    this.count(out.ConsumedCapacity, 'write');
    return out.Attributes ?? {};
  }

  async delete(pk: string, sk: string, condition?: string): Promise<void> {
    const out = await this.client.send(
      new DeleteCommand({ TableName: this.name, Key: { pk, sk }, ConditionExpression: condition, ReturnConsumedCapacity: 'TOTAL' }),
    );
    this.count(out.ConsumedCapacity, 'write');
  }

  async query<T>(
    schema: Schema<T>,
    input: Omit<QueryCommandInput, 'TableName' | 'ReturnConsumedCapacity'>,
  ): Promise<{ items: T[]; lastKey?: Item }> {
    const out = await this.client.send(new QueryCommand({ ...input, TableName: this.name, ReturnConsumedCapacity: 'TOTAL' }));
    this.count(out.ConsumedCapacity, 'read');
    return { items: (out.Items ?? []).map((i) => schema.parse(i)), lastKey: out.LastEvaluatedKey };
  }

  /**
   * Items by key, in the order of `keys`; a key with no item is left out. Eventually consistent,
   * like the index query whose keys it usually follows.
   */
  async getMany<T>(schema: Schema<T>, itemKeys: ReadonlyArray<{ pk: string; sk: string }>): Promise<T[]> {
    const found = new Map<string, Item>();
    const id = (k: { pk: unknown; sk: unknown }) => `${String(k.pk)}\u0000${String(k.sk)}`;
    const unique = [...new Map(itemKeys.map((k) => [id(k), { pk: k.pk, sk: k.sk }])).values()];
    for (let i = 0; i < unique.length; i += 100) {
      let pending: Item[] | undefined = unique.slice(i, i + 100);
      for (let round = 0; pending && pending.length > 0; round++) {
        if (round > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** round)));
        const out = await this.client.send(
          new BatchGetCommand({ RequestItems: { [this.name]: { Keys: pending } }, ReturnConsumedCapacity: 'TOTAL' }),
        );
        for (const c of out.ConsumedCapacity ?? []) this.count(c, 'read');
        for (const item of out.Responses?.[this.name] ?? []) found.set(id(item as { pk: unknown; sk: unknown }), item);
        pending = out.UnprocessedKeys?.[this.name]?.Keys as Item[] | undefined;
      }
    }
    return itemKeys.flatMap((k) => {
      const item = found.get(id(k));
      return item ? [schema.parse(item)] : [];
    });
  }

  /**
   * Queries a partition of the table or of an index, newest or oldest first. Indexes project
   * keys and a few attributes only: with `whole`, the items themselves are read by key after
   * the query (an item gone meanwhile is left out; the page's `lastKey` stays the index's).
   */
  async queryPartition<T>(
    schema: Schema<T>,
    opts: { index?: keyof typeof shape.indexes; pk: string; skPrefix?: string; limit?: number; descending?: boolean; startKey?: Item; consistent?: boolean; whole?: boolean },
  ): Promise<{ items: T[]; lastKey?: Item }> {
    if (opts.whole && opts.index) {
      const page = await this.queryPartition(tableKey, { ...opts, whole: false });
      return { items: await this.getMany(schema, page.items), ...(page.lastKey ? { lastKey: page.lastKey } : {}) };
    }
    const index = opts.index ? shape.indexes[opts.index] : undefined;
    const pkName = index?.partitionKey ?? shape.partitionKey;
    const skName = index?.sortKey ?? shape.sortKey;
    return this.query(schema, {
      IndexName: index?.name,
      KeyConditionExpression: opts.skPrefix ? '#pk = :pk AND begins_with(#sk, :sk)' : '#pk = :pk',
      ExpressionAttributeNames: opts.skPrefix ? { '#pk': pkName, '#sk': skName } : { '#pk': pkName },
      ExpressionAttributeValues: opts.skPrefix ? { ':pk': opts.pk, ':sk': opts.skPrefix } : { ':pk': opts.pk },
      Limit: opts.limit,
      ScanIndexForward: !opts.descending,
      ExclusiveStartKey: opts.startKey,
      ConsistentRead: index ? undefined : opts.consistent,
    });
  }

  /** One write of the form a transaction takes (Put, Update or Delete), sent alone; a failed condition is `ConditionalCheckFailedException`. */
  async write(item: TransactItem): Promise<void> {
    const { Put, Update, Delete } = withTable(item, this.name);
    const out = Put
      ? await this.client.send(new PutCommand({ ...Put, ReturnConsumedCapacity: 'TOTAL' }))
      : Update
        ? await this.client.send(new UpdateCommand({ ...Update, ReturnConsumedCapacity: 'TOTAL' }))
        : Delete
          ? await this.client.send(new DeleteCommand({ ...Delete, ReturnConsumedCapacity: 'TOTAL' }))
          : undefined;
    if (!out) throw new Error('Table.write takes a Put, an Update or a Delete');
    this.count(out.ConsumedCapacity, 'write');
  }

  /** All-or-nothing write; a failed condition surfaces as `TransactionCanceledException`. */
  async transact(items: TransactItem[]): Promise<void> {
    const out = await this.client.send(
      new TransactWriteCommand({
        TransactItems: items.map((i) => withTable(i, this.name)),
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    for (const c of out.ConsumedCapacity ?? []) this.count(c, 'write');
  }

  private count(consumed: { ReadCapacityUnits?: number; WriteCapacityUnits?: number; CapacityUnits?: number } | undefined, kind: 'read' | 'write'): void {
    this.capacity.requests += 1;
    if (!consumed) return;
    const units = (kind === 'read' ? consumed.ReadCapacityUnits : consumed.WriteCapacityUnits) ?? consumed.CapacityUnits ?? 0;
    this.capacity[kind] += units;
  }
}

function withTable(item: TransactItem, tableName: string): TransactItem {
  if (item.Put) return { Put: { ...item.Put, TableName: tableName } };
  if (item.Update) return { Update: { ...item.Update, TableName: tableName } };
  if (item.Delete) return { Delete: { ...item.Delete, TableName: tableName } };
  if (item.ConditionCheck) return { ConditionCheck: { ...item.ConditionCheck, TableName: tableName } };
  return item;
}

/** True when a write lost on its condition (alone or inside a transaction) or to a concurrent transaction. */
export function lostRace(error: unknown): boolean {
  if (error instanceof ConditionalCheckFailedException) return true;
  if (error instanceof TransactionCanceledException) {
    return (error.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed' || r.Code === 'TransactionConflict');
  }
  const name = (error as { name?: string } | null)?.name;
  return name === 'ConditionalCheckFailedException' || name === 'TransactionConflictException';
}

/** `done` when a conditional write lands, `lost` when it loses on its condition or to a concurrent transaction. */
export async function outcomeOf(write: Promise<void>): Promise<'done' | 'lost'> {
  try {
    await write;
    return 'done';
  } catch (error) {
    if (lostRace(error)) return 'lost';
    throw error;
  }
}
