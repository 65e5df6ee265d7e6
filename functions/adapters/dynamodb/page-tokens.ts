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

/**
 * The start key a token carries, checked against the exact key schema of the index the list
 * pages (the table's `pk`/`sk` plus the index's keys, nothing else, every value a string within
 * DynamoDB's key limits, the partition the list reads and the sort key range it queries). A
 * token passing this is a key DynamoDB accepts as ExclusiveStartKey for that query, so a forged
 * one can only move where the page starts, within the list the caller may read anyway.
 */
export function decodePageToken(token: string | undefined, paged: PagedIndex): Record<string, string> | undefined {
  if (token === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new InvalidNextToken('It is not base64url.');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidNextToken('It does not decode.');
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) throw new InvalidNextToken('It does not decode to a key.');
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
