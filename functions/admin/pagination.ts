import * as z from 'zod';
import { OmnichatError, ValidationFailed } from '../domain/errors';
import { table } from '../shared/resources';

/** `?limit=&nextToken=` of every list. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(50).describe('Items per page (1-100, default 50).'),
  nextToken: z.string().min(1).max(4096).optional().describe('The `nextToken` of the previous page of the same list (same filters).'),
};

/** A `nextToken` this API did not give out for this list: 400 `invalid_token` naming it. */
export class InvalidNextToken extends OmnichatError {
  constructor(reason: string) {
    const message = 'Not a token this API gave out for this list.';
    super(message, { code: 'invalid_token', status: 400, details: [{ field: 'nextToken', message: `${message} ${reason}` }] });
  }
}

/**
 * The page of one index partition a list walks: the token must be a key of exactly that
 * index, in one of these partitions, within the sort key prefix the query uses.
 */
export interface PagedIndex {
  index: keyof typeof table.indexes;
  partitions: readonly string[];
  sortKeyPrefix?: string;
}

// DynamoDB's key limits: 2,048 bytes for a partition key, 1,024 for a sort key.
const partitionKeyBytes = 2048;
const sortKeyBytes = 1024;

/** The opaque `nextToken`: base64url of DynamoDB's LastEvaluatedKey. */
export function encodeNextToken(lastKey: Record<string, unknown> | undefined): string | undefined {
  return lastKey ? Buffer.from(JSON.stringify(lastKey), 'utf8').toString('base64url') : undefined;
}

/**
 * The start key a `nextToken` carries, checked against the exact key schema of the index the
 * list pages (the table's `pk`/`sk` plus the index's keys, nothing else, every value a string
 * within DynamoDB's key limits, the partition the list reads and the sort key range it
 * queries). A token passing this is a key DynamoDB accepts as ExclusiveStartKey for that query,
 * so a forged one can only move where the page starts, within the list the caller may read anyway.
 */
export function decodeNextToken(token: string | undefined, paged: PagedIndex): Record<string, string> | undefined {
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

/** Paging a `byKind` list of one kind of item. */
export function kindPage(kind: string): PagedIndex {
  return { index: 'byKind', partitions: [kind] };
}

/** A list answer: `{ items, nextToken? }`. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextToken: z.string().optional() });
}

export function listAnswer<T>(items: T[], lastKey: Record<string, unknown> | undefined): { items: T[]; nextToken?: string } {
  const nextToken = encodeNextToken(lastKey);
  return nextToken ? { items, nextToken } : { items };
}
