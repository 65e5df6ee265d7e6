/**
 * Customer text as the queue and the table can carry it: characters SQS refuses replaced, sizes
 * measured in the bytes AWS counts, long texts cut into ordered parts that join back to the whole.
 */

import { InternalError } from './errors';

/** U+FFFD REPLACEMENT CHARACTER: what stands in for a character that cannot be carried. */
export const replacementCharacter = '\uFFFD';

/**
 * Characters SQS refuses in a message body once the body is JSON: U+FFFE and U+FFFF (outside the
 * allowed #x20–#xD7FF | #xE000–#xFFFD), and lone surrogates, which are no character at all and
 * which UTF-8 (DynamoDB, WebSocket frames) cannot encode. With the `u` flag a surrogate pair is one
 * code point, so only unpaired halves match. Control characters below U+0020 need nothing:
 * `JSON.stringify` writes them as `\u00XX` escapes, which SQS accepts.
 */
const uncarriable = /[\uD800-\uDFFF\uFFFE\uFFFF]/gu;

/** The text with every character SQS would refuse replaced by U+FFFD; other text unchanged. */
export function carriableText(text: string): string {
  return text.replace(uncarriable, replacementCharacter);
}

/** A JSON-like value with every string in it (not the object keys) made carriable. */
export function carriable<T>(value: T): T {
  if (typeof value === 'string') return carriableText(value) as T;
  if (Array.isArray(value)) return value.map((v) => carriable(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, carriable(v)])) as T;
  }
  return value;
}

/** Bytes of the text in UTF-8, as DynamoDB counts keys and items. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Bytes one code point takes inside a JSON string in UTF-8 (escapes included). */
function jsonCost(codePoint: number): number {
  if (codePoint === 0x22 || codePoint === 0x5c) return 2; // \" \\
  if (codePoint < 0x20) return codePoint === 0x08 || codePoint === 0x09 || codePoint === 0x0a || codePoint === 0x0c || codePoint === 0x0d ? 2 : 6;
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  if (codePoint >= 0xd800 && codePoint <= 0xdfff) return 6; // a lone surrogate is escaped
  if (codePoint < 0x10000) return 3;
  return 4;
}

/** Bytes of the text as a JSON string's content in UTF-8 (quotes not counted): its size in any item or frame. */
export function jsonBytes(text: string): number {
  let bytes = 0;
  for (const char of text) bytes += jsonCost(char.codePointAt(0) ?? 0);
  return bytes;
}

/**
 * Largest part of a customer text stored as one message item: 32 KiB of JSON-encoded UTF-8.
 * Items stay far below DynamoDB's 400 KB and a part fits any 128 KB WebSocket frame.
 */
export const textPartBytes = 32 * 1024;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Splits a text into ordered parts of at most `maxBytes` JSON-encoded UTF-8 bytes that join back to
 * exactly the text. A cut never falls inside a surrogate pair, and where it can, not inside a
 * grapheme (👨‍👩‍👧, 👍🏽, 🇵🇹 stay whole); a line break or space in the last quarter of a part is the
 * preferred place to cut (kept at the end of the earlier part). A text that fits is one part.
 */
export function splitText(text: string, maxBytes = textPartBytes): string[] {
  if (!Number.isInteger(maxBytes) || maxBytes < 6) throw new InternalError('maxBytes must be an integer of at least 6');
  const parts: string[] = [];
  let start = 0;
  while (start < text.length) {
    // the longest run of whole code points from `start` within the budget
    let end = start;
    let bytes = 0;
    while (end < text.length) {
      const codePoint = text.codePointAt(end) ?? 0;
      const cost = jsonCost(codePoint);
      if (bytes + cost > maxBytes) break;
      bytes += cost;
      end += codePoint > 0xffff ? 2 : 1;
    }
    if (end < text.length) end = niceCut(text, start, end);
    parts.push(text.slice(start, end));
    start = end;
  }
  return parts.length > 0 ? parts : [text];
}

/** Where to cut before `end` (exclusive, a code point boundary after `start`): after whitespace, else at a grapheme boundary. */
function niceCut(text: string, start: number, end: number): number {
  const floor = start + Math.floor(((end - start) * 3) / 4);
  for (const space of ['\n', ' ']) {
    const at = text.lastIndexOf(space, end - 1);
    if (at >= floor && at + 1 > start) return at + 1;
  }
  // the last grapheme boundary at or before `end`, judged on a window around it
  const from = Math.max(start, end - 256);
  let best = start;
  for (const { index } of graphemes.segment(text.slice(from, Math.min(text.length, end + 64)))) {
    const at = from + index;
    if (at > end) break;
    best = at;
  }
  return best > start ? best : end;
}
