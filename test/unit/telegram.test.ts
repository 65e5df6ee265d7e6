import { readFileSync } from 'node:fs';
import path from 'node:path';
import { inboundEnvelopeSchema, type InboundEnvelope } from '../../functions/domain/inbound';
import { parseTelegramUpdate, splitTelegramText } from '../../functions/domain/telegram';
import { InternalError } from '../../functions/domain/errors';

const fixtures = path.resolve(__dirname, '../fixtures/telegram');
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(fixtures, name), 'utf8'));
const channelId = 'ch_tg_acme';
const receivedAt = '2025-11-21T08:02:11.500Z';

function envelopeOf(body: unknown): InboundEnvelope {
  const result = parseTelegramUpdate(body, channelId, receivedAt);
  if (!result.ok) throw new Error(`expected a valid update, got ${JSON.stringify(result.issues)}`);
  if (!result.envelope) throw new Error(`expected an envelope, update was ignored as ${result.ignoredKind}`);
  // Every envelope must survive the inbound queue's own schema.
  expect(inboundEnvelopeSchema.parse(result.envelope)).toEqual(result.envelope);
  return result.envelope;
}

function ignoredKindOf(body: unknown): string | undefined {
  const result = parseTelegramUpdate(body, channelId, receivedAt);
  if (!result.ok) throw new Error(`expected a valid update, got ${JSON.stringify(result.issues)}`);
  expect(result.envelope).toBeNull();
  return result.ignoredKind;
}

function issuePaths(body: unknown): string[] {
  const result = parseTelegramUpdate(body, channelId, receivedAt);
  if (result.ok) throw new Error('expected the update to be refused');
  return result.issues.map((i) => i.path);
}

const privateMessage = (fields: Record<string, unknown>) => ({
  update_id: 900,
  message: { message_id: 7, from: { id: 48291034, is_bot: false, first_name: 'Marta' }, chat: { id: 48291034, type: 'private' }, date: 1763712000, ...fields },
});

describe('Telegram update parsing', () => {
  it('turns a private text message into a message with the customer from the update', () => {
    // given / when
    const envelope = envelopeOf(fixture('text-message.json'));
    // then
    expect(envelope).toEqual({
      channelType: 'telegram',
      channelKey: channelId,
      conversationKey: '48291034',
      receivedAt,
      deliveryId: '804251117',
      event: {
        kind: 'message',
        platformMessageId: '48291034:512',
        timestamp: 1763712100000,
        customer: { id: '48291034', firstName: 'Marta', lastName: 'Silva', username: 'marta_s', languageCode: 'pt' },
        text: 'Olá! Can I change my delivery address?',
      },
    });
  });

  it('keeps only the largest size of a photo, with the caption as text', () => {
    // given / when
    const envelope = envelopeOf(fixture('photo-with-caption.json'));
    // then
    expect(envelope.deliveryId).toBe('804251118');
    expect(envelope.event).toEqual({
      kind: 'message',
      platformMessageId: '48291034:513',
      timestamp: 1763712110000,
      customer: { id: '48291034', firstName: 'Marta', languageCode: 'pt' },
      text: 'The box arrived damaged',
      attachments: [{ type: 'image', url: 'tg-file:AgACAgQAAxkBAAIBQ2abc_large' }],
    });
  });

  it('picks the largest photo by pixels whatever the order, then by bytes on a tie', () => {
    // given sizes listed largest-first, and two sizes of equal area
    const body = privateMessage({
      photo: [
        { file_id: 'tie_small_bytes', width: 1280, height: 720, file_size: 100 },
        { file_id: 'tie_big_bytes', width: 720, height: 1280, file_size: 200 },
        { file_id: 'thumb', width: 90, height: 51, file_size: 900 },
      ],
    });
    // when
    const envelope = envelopeOf(body);
    // then
    expect(envelope.event).toMatchObject({ attachments: [{ type: 'image', url: 'tg-file:tie_big_bytes' }] });
  });

  it('turns a document into a file attachment with its MIME type and name', () => {
    // given / when
    const envelope = envelopeOf(fixture('document.json'));
    // then
    expect(envelope.event).toEqual({
      kind: 'message',
      platformMessageId: '48291034:514',
      timestamp: 1763712120000,
      customer: { id: '48291034', firstName: 'Marta' },
      attachments: [{ type: 'application/pdf', url: 'tg-file:BQACAgQAAxkBAAIBRGdoc', name: 'invoice-4417.pdf' }],
    });
  });

  it("types a document without MIME type as 'file'", () => {
    // given
    const body = privateMessage({ document: { file_id: 'BQ_nomime', file_unique_id: 'u' } });
    // when / then
    expect(envelopeOf(body).event).toMatchObject({ attachments: [{ type: 'file', url: 'tg-file:BQ_nomime' }] });
  });

  it('turns an edited message into an edit of the same message id, timed at the edit', () => {
    // given / when
    const envelope = envelopeOf(fixture('edited-message.json'));
    // then
    expect(envelope.deliveryId).toBe('804251120');
    expect(envelope.event).toEqual({
      kind: 'edit',
      platformMessageId: '48291034:512',
      timestamp: 1763712125000,
      customer: { id: '48291034', firstName: 'Marta' },
      text: 'Olá! Can I change my delivery address to Rua Augusta 12?',
    });
    // the edit points at the original text message
    const original = envelopeOf(fixture('text-message.json'));
    expect(original.event.kind === 'message' && original.event.platformMessageId).toBe('48291034:512');
  });

  it('turns a button press into a message carrying the callback data and the query id to answer', () => {
    // given / when
    const envelope = envelopeOf(fixture('callback-query.json'));
    // then
    expect(envelope.conversationKey).toBe('48291034');
    expect(envelope.deliveryId).toBe('804251121');
    expect(envelope.event).toEqual({
      kind: 'message',
      platformMessageId: 'callback:4382000123456789012',
      timestamp: Date.parse(receivedAt),
      customer: { id: '48291034', firstName: 'Marta' },
      text: 'helpful:yes',
      payload: 'helpful:yes',
      callbackQueryId: '4382000123456789012',
    });
  });

  it('ignores messages in group chats', () => {
    // given
    const body = privateMessage({ chat: { id: -1001234567890, type: 'supergroup', title: 'Acme fans' }, text: 'hi all' });
    // when / then
    expect(ignoredKindOf(body)).toBe('group_chat');
  });

  it('ignores button presses under group messages', () => {
    // given
    const update = {
      update_id: 901,
      callback_query: {
        id: '77',
        from: { id: 48291034, is_bot: false, first_name: 'Marta' },
        message: { message_id: 9, chat: { id: -100777, type: 'group', title: 'Team' }, date: 1763712000, text: 'Vote' },
        data: 'yes',
      },
    };
    // when / then
    expect(ignoredKindOf(update)).toBe('group_chat');
  });

  it('ignores other update kinds, naming them', () => {
    expect(ignoredKindOf({ update_id: 1, my_chat_member: { chat: { id: 1, type: 'private' } } })).toBe('my_chat_member');
    expect(ignoredKindOf({ update_id: 2, channel_post: { message_id: 1, chat: { id: -1, type: 'channel' }, date: 1 } })).toBe('channel_post');
  });

  it('ignores a message with nothing an agent can read, such as a location', () => {
    // given
    const body = privateMessage({ location: { latitude: 38.71, longitude: -9.14 } });
    // when / then
    expect(ignoredKindOf(body)).toBe('unsupported_content');
  });

  it('names the field when an update has no update_id', () => {
    // given
    const body = fixture('text-message.json');
    delete body['update_id'];
    // when / then
    expect(issuePaths(body)).toEqual(['update_id']);
  });

  it.each([0, -1])('names the field when update_id is %i: Telegram numbers updates from a positive number', (updateId) => {
    const body = fixture('text-message.json');
    body['update_id'] = updateId;
    expect(issuePaths(body)).toEqual(['update_id']);
  });

  it('names the field when a message chat id is not a number', () => {
    // given
    const body = privateMessage({ chat: { id: 'forty-two', type: 'private' }, text: 'x' });
    // when / then
    expect(issuePaths(body)).toEqual(['message.chat.id']);
  });

  it('names the field when a photo size lacks its file id', () => {
    // given
    const body = privateMessage({ photo: [{ width: 1, height: 1 }] });
    // when / then
    expect(issuePaths(body)).toEqual(['message.photo.0.file_id']);
  });

  it('refuses something that is not an update at all', () => {
    expect(issuePaths('hello')).toEqual(['']);
  });
});

describe('splitting long text for Telegram', () => {
  it('leaves text within the limit as one part', () => {
    expect(splitTelegramText('Your parcel ships today.', 4096)).toEqual(['Your parcel ships today.']);
  });

  it('sends nothing for empty or blank text', () => {
    expect(splitTelegramText('', 10)).toEqual([]);
    expect(splitTelegramText('  \n ', 10)).toEqual([]);
  });

  it('splits at the last space that fits, never inside a word', () => {
    // given
    const text = 'alpha beta gamma delta';
    // when
    const parts = splitTelegramText(text, 11);
    // then
    expect(parts).toEqual(['alpha beta', 'gamma delta']);
  });

  it('uses every character of the limit when a space falls right after it', () => {
    expect(splitTelegramText('abcde fghij', 5)).toEqual(['abcde', 'fghij']);
  });

  it('prefers a line break in the second half of the window', () => {
    // given
    const text = 'line one is here\nline two follows';
    // when / then
    expect(splitTelegramText(text, 20)).toEqual(['line one is here', 'line two follows']);
  });

  it('cuts a word longer than the limit', () => {
    expect(splitTelegramText('abcdefghijkl', 5)).toEqual(['abcde', 'fghij', 'kl']);
  });

  it('never cuts an emoji in half', () => {
    // given four characters where the fourth and fifth UTF-16 units are one emoji
    const text = 'abc😀def';
    // when
    const parts = splitTelegramText(text, 4);
    // then
    expect(parts).toEqual(['abc', '😀de', 'f']);
  });

  it('keeps every word, in order, with each part within the limit', () => {
    // given a long reply
    const words = Array.from({ length: 3000 }, (_, i) => `word${i}`);
    const text = words.join(' ');
    // when
    const parts = splitTelegramText(text, 4096);
    // then
    expect(parts.length).toBeGreaterThan(1);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(4096);
    expect(parts.join(' ').split(' ')).toEqual(words);
  });

  it('refuses a limit too small to make progress', () => {
    expect(() => splitTelegramText('abc', 1)).toThrow(InternalError);
  });
});
