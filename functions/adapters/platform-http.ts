import * as z from 'zod/mini';

/** Helpers shared by the Graph API and Bot API clients: both call a platform with a token that must never leak. */

/** The body as JSON, or undefined when it is not JSON (an HTML error page, an empty answer). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Tokens must never reach a log line, even when the platform or the network echo them back. */
export function redact(text: string, token: string): string {
  return token.length > 0 ? text.split(token).join('[redacted]') : text;
}

// Fetch failures may come from another realm (DOMException, undici errors), so read them by shape.
const errorShape = z.object({ name: z.string(), message: z.string(), cause: z.optional(z.unknown()) });

export function isTimeout(cause: unknown): boolean {
  return errorShape.safeParse(cause).data?.name === 'TimeoutError';
}

/** Fetch errors can quote the URL, which may hold the token; keep only a scrubbed message. */
export function redactedCause(cause: unknown, token: string): Error {
  const outer = errorShape.safeParse(cause);
  if (!outer.success) return new Error(redact(String(cause), token));
  const inner = errorShape.safeParse(outer.data.cause);
  const scrubbed = new Error(redact(`${outer.data.message}${inner.success ? `: ${inner.data.message}` : ''}`, token));
  scrubbed.name = outer.data.name;
  return scrubbed;
}
