import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { TelegramApi } from '../../functions/adapters/telegram-api';
import { type Channel, type Message, type RoutedChat } from '../../functions/domain/model';
import { RetryableSendFailure } from '../../functions/services/delivery';
import { RetryAfter } from '../../functions/adapters/retry-after';
import { ChatPacer, ChatPaused, TelegramSender } from '../../functions/adapters/telegram-sender';
import { startFakeTelegram, telegramErrors, type FakeTelegram } from '../support/fake-telegram';

const token = '7000000001:AAHsecretBotTokenValue_0123456789';
const channel: Channel = {
  id: 'ch-tg',
  type: 'telegram',
  name: 'acme_bot',
  active: true,
  queueId: 'q1',
  language: null,
  provisioningState: 'running',
  lastError: null,
  humanAgentTag: false,
  botUsername: 'acme_bot',
  createdAt: '2026-03-01T08:00:00.000Z',
};
const chat: RoutedChat = {
  id: 'chat-1',
  channelId: channel.id,
  channelType: 'telegram',
  queueId: 'q1',
  state: 'assigned',
  agentId: 'alice',
  customer: { id: '48291034', name: 'Marta Silva' },
  contactId: null,
  language: 'pt',
  createdAt: '2026-03-01T09:00:00.000Z',
  lastMessageAt: '2026-03-01T09:00:00.000Z',
  version: 3,
  offeredTo: [],
  skipped: [],
};
const reply = (text: string): Message => ({ id: 'm-1', chatId: chat.id, direction: 'out', text, sentAt: '2026-03-01T09:01:00.000Z', status: 'pending', agentId: 'alice' });

/** A pacer on a clock that only moves when the sender sleeps. */
function virtualPacer(options: { maxInlineWaitMs?: number } = {}) {
  let now = 1_000_000;
  const sleeps: number[] = [];
  const pacer = new ChatPacer({
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    ...options,
  });
  return { pacer, sleeps, advance: (ms: number) => (now += ms) };
}

let fake: FakeTelegram;
let blocked: { chatId: string; reason: string }[];
const marks = { markCustomerBlocked: async (chatId: string, reason: string) => void blocked.push({ chatId, reason }) };

beforeEach(async () => {
  fake = await startFakeTelegram({ bots: { [token]: { id: 7000000001, username: 'acme_bot', first_name: 'Acme' } } });
  blocked = [];
});
afterEach(async () => {
  expect(fake.violations).toEqual([]);
  await fake.stop();
});

describe('sending agents’ replies to Telegram', () => {
  it('sends the text to the customer’s chat and returns the chat and message id', async () => {
    // given
    const sender = new TelegramSender(new TelegramApi({ baseUrl: fake.url }), virtualPacer().pacer, marks);
    // when
    const { platformMessageId } = await sender.send({ channel, chat, message: reply('Olá Marta!'), token });
    // then
    expect(fake.sent).toEqual([expect.objectContaining({ token, chatId: '48291034', text: 'Olá Marta!' })]);
    expect(platformMessageId).toBe(`48291034:${fake.sent[0]!.messageId}`);
  });

  it('splits a long reply at word boundaries into messages of at most 4,096 characters, a second apart', async () => {
    // given a reply of 3 × ~3,000 characters of words
    const words = Array.from({ length: 1800 }, (_, i) => `word${i}`);
    const { pacer, sleeps } = virtualPacer();
    const sender = new TelegramSender(new TelegramApi({ baseUrl: fake.url }), pacer, marks);
    // when
    await sender.send({ channel, chat, message: reply(words.join(' ')), token });
    // then
    expect(fake.sent.length).toBeGreaterThan(1);
    for (const m of fake.sent) expect(m.text.length).toBeLessThanOrEqual(4096);
    expect(fake.sent.map((m) => m.text).join(' ').split(' ')).toEqual(words);
    expect(sleeps).toEqual(Array.from({ length: fake.sent.length - 1 }, () => 1000));
  });

  it('waits out a 429 retry_after inside the call when it is short, then sends', async () => {
    // given Telegram asks for 3 s of silence once
    fake.reply(telegramErrors.rateLimited(3));
    const { pacer, sleeps } = virtualPacer();
    const sender = new TelegramSender(new TelegramApi({ baseUrl: fake.url }), pacer, marks);
    // when
    await sender.send({ channel, chat, message: reply('hello'), token });
    // then
    expect(sleeps).toEqual([3000]);
    expect(fake.sent.map((m) => m.text)).toEqual(['hello']);
  });

  it('hands a long 429 pause back to the queue as a retryable failure carrying retry_after', async () => {
    // given Telegram asks for 40 s, longer than a call may wait
    fake.reply(telegramErrors.rateLimited(40));
    const sender = new TelegramSender(new TelegramApi({ baseUrl: fake.url }), virtualPacer().pacer, marks);
    // when
    const error = await sender.send({ channel, chat, message: reply('hello'), token }).catch((e: unknown) => e);
    // then
    expect(error).toBeInstanceOf(ChatPaused);
    expect(sender.classify(error)).toMatchObject({ retryable: true, retryAfterSeconds: 40 });
    expect(fake.sent).toEqual([]);
  });

  it('keeps a chat paused for the next message after a long 429', async () => {
    // given a 40 s pause asked for, and 10 s passed
    fake.reply(telegramErrors.rateLimited(40));
    const { pacer, advance } = virtualPacer();
    const sender = new TelegramSender(new TelegramApi({ baseUrl: fake.url }), pacer, marks);
    await sender.send({ channel, chat, message: reply('first'), token }).catch(() => undefined);
    advance(10_000);
    // when
    const error = await sender.send({ channel, chat, message: reply('second'), token }).catch((e: unknown) => e);
    // then no request is made, and the rest of the pause is asked for
    expect(sender.classify(error)).toMatchObject({ retryable: true, retryAfterSeconds: 30 });
    expect(fake.requests.filter((r) => r.method === 'sendMessage')).toHaveLength(1);
  });

  it('treats a 403 as final, marks the chat and tells why', async () => {
    // given the customer blocked the bot
    fake.reply(telegramErrors.blocked);
    const sender = new TelegramSender(new TelegramApi({ baseUrl: fake.url }), virtualPacer().pacer, marks);
    // when
    const error = await sender.send({ channel, chat, message: reply('hello'), token }).catch((e: unknown) => e);
    // then
    const failure = sender.classify(error);
    expect(failure).toMatchObject({ retryable: false });
    expect(failure?.reason).toContain('blocked the bot');
    expect(blocked).toEqual([{ chatId: chat.id, reason: 'Forbidden: bot was blocked by the user' }]);
  });

  it('marks the channel failed when Telegram refuses the bot token', async () => {
    // given
    fake.reply(telegramErrors.unauthorized);
    const sender = new TelegramSender(new TelegramApi({ baseUrl: fake.url }), virtualPacer().pacer, marks);
    // when
    const error = await sender.send({ channel, chat, message: reply('hello'), token }).catch((e: unknown) => e);
    // then
    expect(sender.classify(error)).toMatchObject({ retryable: false, channelFailed: expect.stringContaining('Unauthorized') });
  });

  it('retries a Telegram server error later', async () => {
    // given
    fake.reply(telegramErrors.serverError);
    const sender = new TelegramSender(new TelegramApi({ baseUrl: fake.url }), virtualPacer().pacer, marks);
    // when
    const error = await sender.send({ channel, chat, message: reply('hello'), token }).catch((e: unknown) => e);
    // then
    expect(sender.classify(error)).toMatchObject({ retryable: true });
  });

  it('refuses a reply with nothing to send', async () => {
    const sender = new TelegramSender(new TelegramApi({ baseUrl: fake.url }), virtualPacer().pacer, marks);
    await expect(sender.send({ channel, chat, message: reply('   '), token })).rejects.toMatchObject({ code: 'empty_message' });
    expect(fake.requests).toEqual([]);
  });
});

describe('pausing a chat', () => {
  it('never waits past the invocation’s deadline', async () => {
    // given a pause of 2 s and a deadline in 1 s
    let now = 0;
    const pacer = new ChatPacer({ now: () => now, sleep: async (ms) => void (now += ms) });
    pacer.holdOff('c', 2);
    pacer.waitNoLaterThan(1000);
    // when / then
    await expect(pacer.turn('c')).rejects.toMatchObject({ waitSeconds: 2 });
  });
});

describe('honouring retry_after on the outbound queue', () => {
  const record = (id: string, group: string): SQSRecord => ({
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: '{}',
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0', MessageGroupId: group },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:omnichat-outbound.fifo',
    awsRegion: 'us-east-1',
  });

  it('hides the failed records of a paused chat for retry_after seconds, and no others', async () => {
    // given a batch: chat-a is rate limited (its second record skipped), chat-b failed otherwise, chat-c succeeded
    const hidden: { receiptHandle: string; seconds: number }[][] = [];
    const retryAfter = new RetryAfter({ hide: async (entries) => void hidden.push([...entries]) });
    const event: SQSEvent = { Records: [record('1', 'chat-a'), record('2', 'chat-a'), record('3', 'chat-b'), record('4', 'chat-c')] };
    await retryAfter.watch(event.Records[0]!, async () => Promise.reject(new RetryableSendFailure('slow down', undefined, 17))).catch(() => undefined);
    await retryAfter.watch(event.Records[2]!, async () => Promise.reject(new RetryableSendFailure('network', undefined))).catch(() => undefined);
    // when
    await retryAfter.apply(event, { batchItemFailures: [{ itemIdentifier: '1' }, { itemIdentifier: '2' }, { itemIdentifier: '3' }] });
    // then
    expect(hidden).toEqual([[{ receiptHandle: 'rh-1', seconds: 17 }, { receiptHandle: 'rh-2', seconds: 17 }]]);
  });

  it('calls SQS only when a platform asked for a pause', async () => {
    const hidden: unknown[] = [];
    const retryAfter = new RetryAfter({ hide: async (entries) => void hidden.push(entries) });
    await retryAfter.apply({ Records: [record('1', 'chat-a')] }, { batchItemFailures: [{ itemIdentifier: '1' }] });
    expect(hidden).toEqual([]);
  });
});
