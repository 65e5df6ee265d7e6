import fc from 'fast-check';
import { batchesOf, maxQueueMessageBytes, queueBodyOf, type InboundEnvelope } from '../../functions/domain/inbound';
import { carriable, carriableText, jsonBytes, splitText, textPartBytes, utf8Bytes } from '../../functions/domain/text';

/** What SQS accepts in a message body (its documented character set). */
const sqsAllowed = /^[\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

const customerText = 'Olá 😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳 — привет, مرحبا, こんにちは, 你好';

/** Any UTF-16 string, lone surrogates, U+FFFE/U+FFFF and control characters included. */
const anyText = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 200 });
const realText = fc.string({ unit: fc.constantFrom(...Array.from(customerText), 'a', ' ', '\n', '"', '\\', '\u0001', '👨‍👩‍👧'), maxLength: 400 });

describe('carriable text', () => {
  it('keeps every character a customer writes, emoji and scripts alike', () => {
    expect(carriableText(customerText)).toBe(customerText);
    expect(carriableText('tab\tnew\nline\rbell\u0007')).toBe('tab\tnew\nline\rbell\u0007');
  });

  it('replaces U+FFFE, U+FFFF and lone surrogates with U+FFFD, one for one', () => {
    expect(carriableText('a\uFFFEb\uFFFFc')).toBe('a\uFFFDb\uFFFDc');
    expect(carriableText('x\uD83Dy\uDE00z😀')).toBe('x\uFFFDy\uFFFDz😀');
  });

  it('makes any string, once JSON, a body SQS accepts, and changes nothing SQS would take', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const clean = carriableText(text);
        expect(JSON.stringify(clean)).toMatch(sqsAllowed);
        expect(clean.length).toBe(text.length);
        if (!/[\uD800-\uDFFF\uFFFE\uFFFF]/u.test(text)) expect(clean).toBe(text);
      }),
    );
  });

  it('cleans every string of an envelope, nested ones too', () => {
    const envelope = { channelType: 'telegram', event: { kind: 'message', text: 'hi\uFFFF', customer: { id: '1', firstName: '\uD800Ana' } }, list: ['\uFFFE'] };
    expect(carriable(envelope)).toEqual({ channelType: 'telegram', event: { kind: 'message', text: 'hi\uFFFD', customer: { id: '1', firstName: '\uFFFDAna' } }, list: ['\uFFFD'] });
  });
});

describe('splitting long texts', () => {
  it('keeps a text that fits as one part', () => {
    expect(splitText(customerText)).toEqual([customerText]);
    expect(splitText('')).toEqual(['']);
  });

  it('counts bytes as JSON carries them in UTF-8', () => {
    expect(jsonBytes('a"\\\n\u0001é€😀')).toBe(1 + 2 + 2 + 2 + 6 + 2 + 3 + 4);
    expect(jsonBytes(customerText)).toBe(utf8Bytes(JSON.stringify(customerText)) - 2);
  });

  it('cuts into parts within the limit that join back to exactly the text, never inside a surrogate pair', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, realText), fc.integer({ min: 6, max: 80 }), (text, max) => {
        const parts = splitText(text, max);
        expect(parts.join('')).toBe(text);
        for (const part of parts) {
          expect(jsonBytes(part)).toBeLessThanOrEqual(max);
          if (text.length > 0) expect(part.length).toBeGreaterThan(0);
        }
        for (let i = 1; i < parts.length; i++) {
          const before = parts[i - 1]!;
          const high = before.charCodeAt(before.length - 1);
          const low = parts[i]!.charCodeAt(0);
          expect(high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('keeps graphemes whole and prefers to cut after a space', () => {
    const family = '👨‍👩‍👧';
    const parts = splitText(family.repeat(10), 40);
    for (const part of parts) expect(part.replaceAll(family, '')).toBe('');
    expect(splitText('hello world again', 14)).toEqual(['hello world ', 'again']);
  });

  it('splits 300,000 CJK characters (~900 KB) into parts of at most 32 KiB', () => {
    const text = '客服你好，我的订单还没有到。'.repeat(21_429).slice(0, 300_000);
    const parts = splitText(text);
    expect(parts.join('')).toBe(text);
    expect(parts.length).toBe(Math.ceil(utf8Bytes(text) / textPartBytes));
    for (const part of parts) expect(utf8Bytes(part)).toBeLessThanOrEqual(textPartBytes);
  });
});

describe('queue batches', () => {
  it('keeps batches within 10 messages and 1 MiB in all, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: maxQueueMessageBytes }), { maxLength: 40 }), (sizes) => {
        const batches = batchesOf(sizes, (s) => s);
        expect(batches.flat()).toEqual(sizes);
        for (const batch of batches) {
          expect(batch.length).toBeLessThanOrEqual(10);
          expect(batch.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(maxQueueMessageBytes);
        }
      }),
    );
  });

  it('writes an envelope as its JSON', () => {
    const envelope: InboundEnvelope = {
      channelType: 'telegram',
      channelKey: 'c',
      conversationKey: '1',
      receivedAt: '2026-01-01T00:00:00.000Z',
      event: { kind: 'read', timestamp: 1, watermark: 1 },
    };
    expect(JSON.parse(queueBodyOf(envelope))).toEqual(envelope);
  });
});
