import * as z from 'zod';
import { ValidationFailed } from '../shared/errors';

/** `?limit=&nextToken=` of every list. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(50).describe('Items per page (1-100, default 50).'),
  nextToken: z.string().min(1).max(2048).optional().describe('The `nextToken` of the previous page.'),
};

// Every key attribute of the table and its indexes is a string.
const lastKeySchema = z.record(z.string(), z.string());

/** The opaque `nextToken`: base64url of DynamoDB's LastEvaluatedKey. */
export function encodeNextToken(lastKey: Record<string, unknown> | undefined): string | undefined {
  return lastKey ? Buffer.from(JSON.stringify(lastKey), 'utf8').toString('base64url') : undefined;
}

export function decodeNextToken(token: string | undefined): Record<string, string> | undefined {
  if (token === undefined) return undefined;
  try {
    return lastKeySchema.parse(JSON.parse(Buffer.from(token, 'base64url').toString('utf8')));
  } catch {
    throw new ValidationFailed([{ field: 'nextToken', message: 'Not a token this API gave out.' }]);
  }
}

/** A list answer: `{ items, nextToken? }`. */
export function listOf<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), nextToken: z.string().optional() });
}

export function listAnswer<T>(items: T[], lastKey: Record<string, unknown> | undefined): { items: T[]; nextToken?: string } {
  const nextToken = encodeNextToken(lastKey);
  return nextToken ? { items, nextToken } : { items };
}
