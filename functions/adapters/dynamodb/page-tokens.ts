import { createHash } from 'node:crypto';
import type * as z from 'zod/mini';
import type { Page, PageRequest } from '../../domain/ports';
import { InvalidNextToken } from '../../domain/errors';
import { table } from '../../shared/resources';
import type { Item, Table } from './table';

/**
 * The page tokens of the stores' lists (`PageRequest.after`, `Page.next`; the management API's
 * `nextToken`): base64url of DynamoDB's LastEvaluatedKey. Each list reads only the tokens of its
 * own query: a key of exactly the index it pages, in one of the partitions it reads, within the
 * sort key prefix it queries; anything else is `InvalidNextToken`.
 */

/** The page of one index partition a list walks. */
export interface PagedIndex {
  index: keyof typeof table.indexes;
  partitions: readonly string[];
  sortKeyPrefix?: string;
}

// DynamoDB's key limits: 2,048 bytes for a partition key, 1,024 for a sort key.
const partitionKeyBytes = 2048;
const sortKeyBytes = 1024;

/** The token of where a page ended (DynamoDB's LastEvaluatedKey), if more follows. */
export function encodePageToken(lastKey: Item | undefined): string | undefined {
  return lastKey ? Buffer.from(JSON.stringify(lastKey), 'utf8').toString('base64url') : undefined;
}

/** The JSON object a token encodes (base64url), or `InvalidNextToken` saying why not. */
function decodedObject(token: string, what: string): object {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new InvalidNextToken('It is not base64url.');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidNextToken('It does not decode.');
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw new InvalidNextToken(`It does not decode to ${what}.`);
  return decoded;
}

/**
 * The start key a token carries, checked against the exact key schema of the index the list
 * pages (the table's `pk`/`sk` plus the index's keys, nothing else, every value a string within
 * DynamoDB's key limits, the partition the list reads and the sort key range it queries). A
 * token passing this is a key DynamoDB accepts as ExclusiveStartKey for that query, so a forged
 * one can only move where the page starts, within the list the caller may read anyway.
 */
export function decodePageToken(token: string | undefined, paged: PagedIndex): Record<string, string> | undefined {
  if (token === undefined) return undefined;
  const decoded = decodedObject(token, 'a key');
  const index = table.indexes[paged.index];
  const limits: Record<string, number> = {
    [table.partitionKey]: partitionKeyBytes,
    [table.sortKey]: sortKeyBytes,
    [index.partitionKey]: partitionKeyBytes,
    [index.sortKey]: sortKeyBytes,
  };
  const key = decoded as Record<string, unknown>;
  const names = Object.keys(key);
  if (names.length !== Object.keys(limits).length || names.some((n) => !Object.hasOwn(limits, n))) throw new InvalidNextToken('It is not a key of this list.');
  for (const [name, value] of Object.entries(key)) {
    const max = limits[name] ?? 0;
    if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value, 'utf8') > max) throw new InvalidNextToken('It is not a key of this list.');
  }
  const strings = key as Record<string, string>;
  if (!paged.partitions.includes(strings[index.partitionKey] ?? '')) throw new InvalidNextToken('It belongs to another list.');
  if (paged.sortKeyPrefix !== undefined && !(strings[index.sortKey] ?? '').startsWith(paged.sortKeyPrefix)) throw new InvalidNextToken('It belongs to another list.');
  return strings;
}

/** One page of a list: the token checked against `paged` before anything is read, the read run from its key, the next token made of where it ended. */
export async function pageOf<T>(paged: PagedIndex, after: string | undefined, read: (startKey: Item | undefined) => Promise<{ items: T[]; lastKey?: Item }>): Promise<Page<T>> {
  const { items, lastKey } = await read(decodePageToken(after, paged));
  const next = encodePageToken(lastKey);
  return next ? { items, next } : { items };
}

/** One page of one partition of the table or an index, oldest first; its tokens are keys of that partition. */
export function partitionPage<T>(
  on: Table,
  schema: z.ZodMiniType<T>,
  where: { index: keyof typeof table.indexes; pk: string; skPrefix?: string; whole?: boolean },
  page: PageRequest,
): Promise<Page<T>> {
  const paged: PagedIndex = { index: where.index, partitions: [where.pk], ...(where.skPrefix !== undefined ? { sortKeyPrefix: where.skPrefix } : {}) };
  return pageOf(paged, page.after, (startKey) => on.queryPartition(schema, { ...where, limit: page.limit, startKey }));
}

// ---- sharded lists ----------------------------------------------------------------------

/**
 * A list spread over shards (`keys.ts`, `shardCounts`): one or more groups, read one after
 * another (the chats of every state, one state after another), each group the shards of one
 * partition, merged by the index's sort key.
 */
export interface ShardedIndex {
  index: keyof typeof table.indexes;
  groups: ReadonlyArray<readonly string[]>;
}

/** Where a shard's read goes on from: `0` nothing left, `1` from its start, else [table pk, table sk, index sk] of the last entry read. */
export type ShardPosition = 0 | 1 | [string, string, string];

/** One entry of a shard's read: the index key it sits at (from the query's own items), and what the list yields for it. */
export interface ShardEntry<T> {
  key: Item;
  value: T;
}

/** Reads up to `limit` entries of one shard after `startKey` (undefined: from its start). */
export type ShardRead<T> = (partition: string, startKey: Item | undefined, limit: number) => Promise<{ entries: ShardEntry<T>[]; lastKey?: Item }>;

/**
 * The token of a sharded list: base64url of `{l, g, p}`, the list it pages (a digest of its index
 * and shards), the group the page ended in and every shard's position there. Checked against its
 * own list: the same list, the group exists, one position per shard of it, each within DynamoDB's
 * key limits (so a forged one can only move where the page starts, within the list).
 */
export function encodeShardToken(list: ShardedIndex, group: number, positions: readonly ShardPosition[]): string {
  return Buffer.from(JSON.stringify({ l: listId(list), g: group, p: positions }), 'utf8').toString('base64url');
}

/** Names a sharded list (its index and every shard of every group): a token of one list is refused by any other. */
function listId(list: ShardedIndex): string {
  return createHash('sha256').update(JSON.stringify([list.index, list.groups])).digest('base64url').slice(0, 16);
}

export function decodeShardToken(token: string | undefined, list: ShardedIndex): { group: number; positions: ShardPosition[] } | undefined {
  if (token === undefined) return undefined;
  const decoded = decodedObject(token, 'a position');
  const { l, g, p, ...rest } = decoded as Record<string, unknown>;
  if (l !== listId(list)) throw new InvalidNextToken('It belongs to another list.');
  if (Object.keys(rest).length > 0 || typeof g !== 'number' || !Number.isInteger(g) || !Array.isArray(p)) throw new InvalidNextToken('It is not a position of this list.');
  const shards = list.groups[g];
  if (!shards || p.length !== shards.length) throw new InvalidNextToken('It belongs to another list.');
  const positions = p.map((position): ShardPosition => {
    if (position === 0 || position === 1) return position;
    if (
      !Array.isArray(position) ||
      position.length !== 3 ||
      position.some((v) => typeof v !== 'string' || v.length === 0) ||
      Buffer.byteLength(position[0] as string, 'utf8') > partitionKeyBytes ||
      Buffer.byteLength(position[1] as string, 'utf8') > sortKeyBytes ||
      Buffer.byteLength(position[2] as string, 'utf8') > sortKeyBytes
    ) {
      throw new InvalidNextToken('It is not a position of this list.');
    }
    return position as [string, string, string];
  });
  if (positions.every((position) => position === 0)) throw new InvalidNextToken('It is not a position of this list.');
  return { group: g, positions };
}

/** The ExclusiveStartKey of a shard's position. */
function startKeyOf(index: keyof typeof table.indexes, partition: string, position: [string, string, string]): Item {
  const i = table.indexes[index];
  return { [table.partitionKey]: position[0], [table.sortKey]: position[1], [i.partitionKey]: partition, [i.sortKey]: position[2] };
}

function positionOf(index: keyof typeof table.indexes, key: Item): [string, string, string] {
  const i = table.indexes[index];
  return [String(key[table.partitionKey]), String(key[table.sortKey]), String(key[i.sortKey])];
}

/** Orders index keys as a query does: by the index's sort key, then the table's key. */
function compareKeys(index: keyof typeof table.indexes, a: [string, string, string], b: [string, string, string]): number {
  const order = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  void index;
  return order(a[2], b[2]) || order(a[0], b[0]) || order(a[1], b[1]);
}

/**
 * Up to `limit` entries of one group's shards, merged in sort-key order, from `positions` on.
 * Each shard is queried once (in parallel) for `limit` entries; an entry is yielded only when
 * every shard that has more to read has read past it, so the merge never skips one. The
 * positions returned say where each shard goes on from; all `0` when the group is read to its end.
 */
export async function mergeShards<T>(
  index: keyof typeof table.indexes,
  shards: readonly string[],
  positions: readonly ShardPosition[],
  limit: number,
  read: ShardRead<T>,
): Promise<{ items: T[]; positions: ShardPosition[] }> {
  const reads = await Promise.all(
    shards.map(async (partition, n) => {
      const position = positions[n] ?? 1;
      if (position === 0) return undefined;
      return read(partition, position === 1 ? undefined : startKeyOf(index, partition, position), limit);
    }),
  );
  // the furthest point every shard with more to read has reached
  let frontier: [string, string, string] | undefined;
  for (const r of reads) {
    if (!r?.lastKey) continue;
    const at = positionOf(index, r.lastKey);
    if (!frontier || compareKeys(index, at, frontier) < 0) frontier = at;
  }
  const all = reads.flatMap((r, shard) => (r ? r.entries.map((e) => ({ shard, at: positionOf(index, e.key), value: e.value })) : []));
  const ready = all.filter((e) => !frontier || compareKeys(index, e.at, frontier) <= 0).sort((a, b) => compareKeys(index, a.at, b.at));
  const taken = ready.slice(0, limit);
  const cutoff = taken.length === limit ? taken.at(-1)?.at : frontier;
  const next = shards.map((_, shard): ShardPosition => {
    const before = positions[shard] ?? 1;
    const r = reads[shard];
    if (before === 0 || !r) return 0;
    if (!cutoff) return 0; // every shard read to its end, every entry yielded
    const mine = r.entries.map((e) => positionOf(index, e.key)).filter((at) => compareKeys(index, at, cutoff) <= 0);
    const lastRead = r.lastKey ? positionOf(index, r.lastKey) : undefined;
    if (mine.length === r.entries.length && !lastRead) return 0;
    if (lastRead && compareKeys(index, lastRead, cutoff) <= 0) return lastRead;
    return mine.at(-1) ?? before;
  });
  return { items: taken.map((e) => e.value), positions: next };
}

/**
 * One page of a sharded list: the token checked against `list` before anything is read, the
 * groups read one after another from where it points, the next token made of where each shard
 * of the group the page ended in stopped.
 */
export async function shardedPage<T>(list: ShardedIndex, page: PageRequest, read: ShardRead<T>): Promise<Page<T>> {
  const from = decodeShardToken(page.after, list);
  let group = from?.group ?? 0;
  let positions: ShardPosition[] = from?.positions ?? (list.groups[group] ?? []).map(() => 1 as const);
  const items: T[] = [];
  while (group < list.groups.length) {
    const shards = list.groups[group] ?? [];
    const part = await mergeShards(list.index, shards, positions, page.limit - items.length, read);
    items.push(...part.items);
    positions = part.positions;
    if (positions.some((p) => p !== 0)) break;
    group += 1;
    positions = (list.groups[group] ?? []).map(() => 1 as const);
    if (items.length >= page.limit) break;
  }
  return group < list.groups.length ? { items, next: encodeShardToken(list, group, positions) } : { items };
}
