import fc from 'fast-check';
import { bytesOf, cutToBytes, fitEvent, fitMessages, frameBudgetBytes, historyCursor, maxFrameBytes, parseHistoryCursor, shrinkToFit } from '../../functions/domain/frame-budget';

/** Frames the agent socket sends stay under API Gateway's 128 KB whatever a chat holds. */
const emoji = ['😀', '👍🏽', '🇵🇹', '👨‍👩‍👧', '𝕳'];
const message = (n: number, text: string) => ({ id: `m-${String(n).padStart(4, '0')}`, chatId: 'c1', direction: 'in', text, sentAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(), status: 'received' });
const cjk = (chars: number, n: number) => `${'漢字한글中文'.repeat(Math.ceil(chars / 6)).slice(0, chars)} ${emoji.join('')} #${n}`;

describe('frame budget', () => {
  it('keeps the newest messages of a 25 × 1,900-character chat that fit, and a cursor to the older ones', () => {
    const messages = Array.from({ length: 25 }, (_, i) => message(i, cjk(1_900, i)));
    const base = { type: 'chatAssigned', chat: { id: 'c1', customer: { name: 'Ana' } } };
    const fitted = fitMessages(base, messages, frameBudgetBytes);
    expect(bytesOf({ ...base, ...fitted, cursor: 123456 })).toBeLessThanOrEqual(maxFrameBytes);
    expect(fitted.messages).toEqual(messages.slice(25 - fitted.messages.length));
    expect(fitted.messages.length).toBeGreaterThan(10);
    expect(parseHistoryCursor(fitted.olderCursor!)).toEqual({ sentAt: fitted.messages[0]!.sentAt, id: fitted.messages[0]!.id });
  });

  it('gives no cursor when everything fits and none are older', () => {
    const messages = [message(1, 'hello 👋'), message(2, 'olá 🇵🇹')];
    expect(fitMessages({ type: 'history' }, messages, frameBudgetBytes)).toEqual({ messages });
    expect(fitMessages({ type: 'history' }, messages, frameBudgetBytes, true).olderCursor).toBe(historyCursor(messages[0]!));
  });

  it('shortens a single message too large for any frame, never splitting an emoji, and marks it truncated', () => {
    const huge = message(1, `${'👨‍👩‍👧𝕳漢"\n'.repeat(40_000)}end`);
    const fitted = fitMessages({ type: 'history' }, [huge], frameBudgetBytes);
    expect(fitted.messages).toHaveLength(1);
    const kept = fitted.messages[0]! as typeof huge & { truncated?: boolean };
    expect(kept.truncated).toBe(true);
    expect(huge.text.startsWith(kept.text)).toBe(true);
    const graphemes = (text: string) => [...new Intl.Segmenter().segment(text)].map((s) => s.segment);
    const keptGraphemes = graphemes(kept.text);
    expect(keptGraphemes).toEqual(graphemes(huge.text).slice(0, keptGraphemes.length));
    expect(bytesOf({ type: 'history', ...fitted })).toBeLessThanOrEqual(frameBudgetBytes);
  });

  it('fits any event to the budget: chatAssigned by dropping old messages, others by shortening their longest strings', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', minLength: 0, maxLength: 4_000 }), { minLength: 1, maxLength: 60 }), (texts) => {
        const messages = texts.map((t, i) => message(i, t.repeat(8)));
        const assigned = fitEvent({ type: 'chatAssigned', chat: { id: 'c1' }, messages }, frameBudgetBytes);
        expect(bytesOf(assigned)).toBeLessThanOrEqual(frameBudgetBytes);
        const pushed = fitEvent({ type: 'message', chatId: 'c1', message: messages[messages.length - 1]! }, 4_096);
        expect(bytesOf(pushed)).toBeLessThanOrEqual(4_096);
        expect(pushed!.message.id).toBe(messages[messages.length - 1]!.id);
      }),
      { numRuns: 40 },
    );
  });

  it('never cuts ids or short strings, and says so when nothing can fit', () => {
    expect(shrinkToFit({ id: 'x'.repeat(200) }, 10)).toBeUndefined();
    expect(cutToBytes('a👍🏽b', 5)).toBe('a');
    expect(cutToBytes('a👍🏽b', 9)).toBe('a👍🏽');
  });

  it('reads back only cursors it made', () => {
    for (const bad of ['', 'not-a-cursor', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["x","y"]').toString('base64url')]) expect(parseHistoryCursor(bad)).toBeUndefined();
    const m = message(3, 'x');
    expect(parseHistoryCursor(historyCursor(m))).toEqual({ sentAt: m.sentAt, id: m.id });
  });
});
