/**
 * Every frame the agent socket sends must fit API Gateway's WebSocket message limit (128 KB of
 * UTF-8). These pure rules measure frames, keep the newest messages that fit, and, as a last
 * resort, shorten the longest strings of a frame (marking the object they belong to `truncated`).
 */

/** API Gateway's WebSocket message payload limit, in bytes. */
export const maxFrameBytes = 128 * 1024;
/** What our frames are fitted to: the limit less room for the event cursor and a request id added afterwards. */
export const frameBudgetBytes = maxFrameBytes - 1024;
/** A history cursor is never longer than this (ids are capped at 128 characters). */
export const maxHistoryCursorLength = 512;

const encoder = new TextEncoder();

/** UTF-8 bytes of a value's JSON, as it goes on the wire. */
export function bytesOf(value: unknown): number {
  return encoder.encode(JSON.stringify(value)).length;
}

interface MessageRef {
  sentAt: string;
  id: string;
}

/** The opaque cursor of a message: `history` with it as `before` returns the messages older than it. */
export function historyCursor(message: MessageRef): string {
  return Buffer.from(JSON.stringify([message.sentAt, message.id]), 'utf8').toString('base64url');
}

/** The message position a cursor stands for, or undefined when it is not one of ours. */
export function parseHistoryCursor(cursor: string): MessageRef | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      const [sentAt, id] = value as [string, string];
      if (sentAt.length > 0 && sentAt.length <= 64 && id.length > 0 && id.length <= 129 && !Number.isNaN(Date.parse(sentAt))) return { sentAt, id };
    }
  } catch {
    // not base64url JSON
  }
  return undefined;
}

const placeholderCursor = 'x'.repeat(maxHistoryCursorLength);

/**
 * The newest of `messages` (oldest first) that fit in a frame of `budget` bytes once put in
 * `base` under `messages`, oldest first, and the cursor of the oldest kept when older ones exist
 * (dropped here, or `olderExist` already). The newest message is always kept, shortened if it
 * alone is too large, so a reader always moves on.
 */
export function fitMessages<M extends MessageRef>(
  base: Record<string, unknown>,
  messages: readonly M[],
  budget: number,
  olderExist = false,
): { messages: M[]; olderCursor?: string } {
  if (messages.length === 0) return { messages: [] };
  let used = bytesOf({ ...base, messages: [], olderCursor: placeholderCursor });
  const kept: M[] = [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const size = bytesOf(messages[i]) + 1;
    if (used + size > budget) break;
    used += size;
    kept.unshift(messages[i]!);
  }
  if (kept.length === 0) {
    const newest = messages[messages.length - 1]!;
    const room = budget - bytesOf({ ...base, messages: [], olderCursor: placeholderCursor }) - 1;
    const shortened = shrinkToFit(newest, Math.max(room, 0));
    if (shortened) kept.push(shortened);
    // no room even for the newest: the cursor starts just after it, so `history` returns it too
    else return { messages: [], olderCursor: historyCursor({ sentAt: newest.sentAt, id: `${newest.id}\uffff` }) };
  }
  const dropped = kept.length < messages.length;
  const oldest = kept[0];
  return oldest && (dropped || olderExist) ? { messages: kept, olderCursor: historyCursor(oldest) } : { messages: kept };
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The longest prefix of `text`, cut between graphemes (an emoji is never split), of at most `maxBytes` UTF-8 bytes. */
export function cutToBytes(text: string, maxBytes: number): string {
  if (encoder.encode(text).length <= maxBytes) return text;
  let out = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const size = encoder.encode(segment).length;
    if (used + size > maxBytes) break;
    out += segment;
    used += size;
  }
  return out;
}

/** Shortest strings are never cut: ids, timestamps and codes stay whole. */
const minCutLength = 256;

/**
 * A copy of `value` whose JSON fits in `maxBytes`, made by shortening its longest strings; each
 * object that had a string shortened gets `truncated: true`. Undefined when it cannot fit.
 */
export function shrinkToFit<T>(value: T, maxBytes: number): T | undefined {
  const copy = structuredClone(value) as T;
  for (let round = 0; round < 64; round++) {
    const size = bytesOf(copy);
    if (size <= maxBytes) return copy;
    const longest = longestString(copy);
    if (!longest || longest.text.length < minCutLength) return undefined;
    // JSON escapes may make a character longer on the wire than in UTF-8: cut by the excess, with a margin
    const target = Math.max(0, encoder.encode(longest.text).length - (size - maxBytes) - 64);
    longest.parent[longest.key] = cutToBytes(longest.text, target);
    if (!Array.isArray(longest.parent)) longest.parent.truncated = true;
  }
  return bytesOf(copy) <= maxBytes ? copy : undefined;
}

type Container = Record<string, unknown> | unknown[];

function longestString(root: unknown): { parent: Record<string | number, unknown>; key: string | number; text: string } | undefined {
  let best: { parent: Record<string | number, unknown>; key: string | number; text: string } | undefined;
  const visit = (node: unknown) => {
    if (node === null || typeof node !== 'object') return;
    const container = node as Container;
    for (const [key, child] of Object.entries(container)) {
      if (typeof child === 'string') {
        if (!best || child.length > best.text.length) best = { parent: container as Record<string | number, unknown>, key: Array.isArray(container) ? Number(key) : key, text: child };
      } else visit(child);
    }
  };
  visit(root);
  return best;
}

/**
 * A state event fitted to `budget`: a `chatAssigned` keeps its newest messages (with
 * `olderCursor` for the rest), anything else has its longest strings shortened. Undefined when
 * it cannot fit at all.
 */
export function fitEvent<E extends Record<string, unknown>>(event: E, budget: number): E | undefined {
  if (bytesOf(event) <= budget) return event;
  if (event.type === 'chatAssigned' && Array.isArray(event.messages)) {
    const { messages, olderCursor, ...base } = event as Record<string, unknown> & { messages: MessageRef[]; olderCursor?: unknown };
    const fitted = fitMessages(base, messages, budget, typeof olderCursor === 'string');
    const candidate = { ...base, messages: fitted.messages, ...(fitted.olderCursor ? { olderCursor: fitted.olderCursor } : {}) } as unknown as E;
    return bytesOf(candidate) <= budget ? candidate : shrinkToFit(candidate, budget);
  }
  return shrinkToFit(event, budget);
}
