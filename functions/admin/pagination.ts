import * as z from 'zod';
import type { Page, PageRequest } from '../domain/ports';

/** `?limit=&nextToken=` of every list. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(50).describe('Items per page (1-100, default 50).'),
  nextToken: z.string().min(1).max(4096).optional().describe('The `nextToken` of the previous page of the same list (same filters).'),
};

/**
 * The page a list request asks for. The `nextToken` goes to the store as it came: the store
 * checks it belongs to the list it pages (else 400 `invalid_token` naming `nextToken`).
 */
export function pageRequest(query: { limit: number; nextToken?: string }): PageRequest {
  return query.nextToken === undefined ? { limit: query.limit } : { limit: query.limit, after: query.nextToken };
}

/** A list answer: `{ items, nextToken? }`. */
export function listOf<T extends z.core.$ZodType>(item: T) {
  return z.object({ items: z.array(item), nextToken: z.string().optional() });
}

export function listAnswer<T>(items: T[], page: Pick<Page<unknown>, 'next'>): { items: T[]; nextToken?: string } {
  return page.next ? { items, nextToken: page.next } : { items };
}
