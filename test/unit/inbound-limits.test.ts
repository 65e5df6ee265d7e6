import fc from 'fast-check';
import { parseMessengerWebhook } from '../../functions/domain/messenger';
import { parseTelegramUpdate } from '../../functions/domain/telegram';
import { inboundLimits, isPlausibleEventTime, isPlausiblePathId } from '../../functions/domain/limits';

/** What the store would refuse is refused at the webhook, naming the field; what it takes passes. */
const receivedAt = '2026-03-01T09:00:00.000Z';
const now = Date.parse(receivedAt);
const pageId = '105123456789012';
const psid = '7215551234567890';

function messenger(event: Record<string, unknown>, entry: Record<string, unknown> = {}) {
  return { object: 'page', entry: [{ id: pageId, time: now, messaging: [{ sender: { id: psid }, recipient: { id: pageId }, timestamp: now, ...event }], ...entry }] };
}
const messengerIssues = (body: unknown) => {
  const result = parseMessengerWebhook(body, receivedAt);
  return result.ok ? [] : result.issues.map((i) => i.path);
};

const telegramMessage = (fields: Record<string, unknown> = {}) => ({
  message_id: 52,
  from: { id: 48291034, is_bot: false, first_name: 'Ана' },
  chat: { id: 48291034, type: 'private' },
  date: Math.floor(now / 1000),
  text: 'Olá 😀',
  ...fields,
});
const telegramIssues = (body: unknown) => {
  const result = parseTelegramUpdate(body, 'ch_tg', receivedAt);
  return result.ok ? [] : result.issues.map((i) => i.path);
};

describe('event times', () => {
  it('accepts times from 2000 to a day after arrival, whole milliseconds only', () => {
    expect(isPlausibleEventTime(Date.UTC(2000, 0, 1), receivedAt)).toBe(true);
    expect(isPlausibleEventTime(now + 24 * 3600 * 1000, receivedAt)).toBe(true);
    for (const bad of [Date.UTC(1999, 11, 31), now + 24 * 3600 * 1000 + 1, 1e300, -1, 1.5, Number.NaN, Infinity]) {
      expect(isPlausibleEventTime(bad, receivedAt)).toBe(false);
    }
  });

  it('refuses a Messenger event dated 1e300 (no date DynamoDB could sort) naming its timestamp', () => {
    expect(messengerIssues(messenger({ timestamp: 1e300, message: { mid: 'm_1', text: 'hi' } }))).toEqual(['entry.0.messaging.0.timestamp']);
    expect(messengerIssues(messenger({ read: { watermark: 1e300 } }))).toEqual(['entry.0.messaging.0.read.watermark']);
    expect(messengerIssues(messenger({ delivery: { watermark: -5 } }))).toEqual(['entry.0.messaging.0.delivery.watermark']);
  });

  it('refuses a Telegram update dated 1e300 naming message.date, and an edit naming edit_date', () => {
    expect(telegramIssues({ update_id: 1, message: telegramMessage({ date: 1e300 }) })).toEqual(['message.date']);
    expect(telegramIssues({ update_id: 1, edited_message: telegramMessage({ edit_date: 1e300 }) })).toEqual(['edited_message.edit_date']);
    expect(telegramIssues({ update_id: 1e300, message: telegramMessage() })).toEqual(['update_id']);
  });

  it('keeps ignoring kinds it does not handle whatever their time', () => {
    const result = parseMessengerWebhook(messenger({ timestamp: 1, reaction: { mid: 'm', action: 'react' } }), receivedAt);
    expect(result).toMatchObject({ ok: true, envelopes: [], ignored: 1 });
  });
});

describe('ids and sizes', () => {
  it('refuses ids longer than 256 bytes, which would make keys over 2 KB, naming them', () => {
    const long = 'm'.repeat(5000);
    expect(messengerIssues(messenger({ message: { mid: long, text: 'hi' } }))).toEqual(['entry.0.messaging.0.message.mid']);
    expect(messengerIssues(messenger({ message: { mid: 'm_1', text: 'hi' } }, { id: '1'.repeat(300) }))).toEqual(['entry.0.id']);
    expect(messengerIssues({ object: 'page', entry: [{ id: pageId, time: now, messaging: [{ sender: { id: 'é'.repeat(129) }, recipient: { id: pageId }, timestamp: now, message: { mid: 'm', text: 'x' } }] }] })).toEqual([
      'entry.0.messaging.0.sender.id',
    ]);
    expect(messengerIssues(messenger({ message: { mid: 'm'.repeat(inboundLimits.idBytes), text: 'hi' } }))).toEqual([]);
    expect(telegramIssues({ update_id: 2, callback_query: { id: 'q'.repeat(257), from: { id: 1 }, message: telegramMessage(), data: 'x' } })).toEqual(['callback_query.id']);
  });

  it('refuses ids a number cannot hold exactly', () => {
    expect(telegramIssues({ update_id: 3, message: telegramMessage({ chat: { id: 2 ** 60, type: 'private' } }) })).toEqual(['message.chat.id']);
  });

  it('keeps a 300,000-character text whole, but refuses payloads over 8 KiB and edits over 64 KiB', () => {
    const text = '你'.repeat(300_000);
    const parsed = parseMessengerWebhook(messenger({ message: { mid: 'm_long', text } }), receivedAt);
    expect(parsed.ok && parsed.envelopes[0]?.event).toMatchObject({ text });
    expect(messengerIssues(messenger({ message: { mid: 'm', text: 'x', quick_reply: { payload: 'p'.repeat(8193) } } }))).toEqual(['entry.0.messaging.0.message.quick_reply.payload']);
    expect(messengerIssues(messenger({ message: { mid: 'm', text: 'x'.repeat(70_000), is_echo: true, app_id: 1 } }))).toEqual(['entry.0.messaging.0.message.text']);
    expect(telegramIssues({ update_id: 4, edited_message: telegramMessage({ text: 'x'.repeat(70_000), edit_date: Math.floor(now / 1000) }) })).toEqual(['edited_message.text']);
    expect(telegramIssues({ update_id: 5, message: telegramMessage({ text: '😀'.repeat(300_000) }) })).toEqual([]);
  });

  it('refuses more than 50 attachments or an attachment URL over 4 KiB', () => {
    const image = { type: 'image', payload: { url: 'https://example.com/a.jpg' } };
    expect(messengerIssues(messenger({ message: { mid: 'm', attachments: Array(51).fill(image) } }))).toEqual(['entry.0.messaging.0.message.attachments']);
    expect(messengerIssues(messenger({ message: { mid: 'm', attachments: [{ type: 'image', payload: { url: 'https://x/' + 'a'.repeat(4096) } }] } }))).toEqual([
      'entry.0.messaging.0.message.attachments.0.payload.url',
    ]);
  });
});

describe('webhook path ids', () => {
  it('takes what the management API can register and nothing else', () => {
    expect(isPlausiblePathId('444555666777888')).toBe(true);
    expect(isPlausiblePathId('3f0c2a9e-1b7d-4c55-9f1e-0a6b2c8d4e11')).toBe(true);
    expect(isPlausiblePathId('1'.repeat(128))).toBe(true);
    for (const bad of ['', '1'.repeat(129), '1'.repeat(5000), 'a/b', 'a b', 'ünï']) expect(isPlausiblePathId(bad)).toBe(false);
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (id) => expect(isPlausiblePathId(id)).toBe(id.length >= 1 && id.length <= 128 && /^[A-Za-z0-9_.@:-]+$/.test(id))));
  });
});
