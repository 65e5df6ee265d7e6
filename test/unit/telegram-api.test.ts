import { TelegramApi, TelegramApiError } from '../../functions/adapters/telegram-api';
import { startFakeTelegram, telegramErrors, type FakeTelegram } from '../support/fake-telegram';

const token = '7000000001:AAHsecretBotTokenValue_0123456789';
const bot = { id: 7000000001, username: 'acme_support_bot', first_name: 'Acme Support' };

let fake: FakeTelegram;
let telegram: TelegramApi;

beforeEach(async () => {
  fake = await startFakeTelegram({ bots: { [token]: bot } });
  telegram = new TelegramApi({ baseUrl: fake.url });
});

afterEach(async () => {
  expect(fake.violations).toEqual([]);
  await fake.stop();
});

async function failureOf(call: Promise<unknown>): Promise<TelegramApiError> {
  const error = await call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  if (!(error instanceof TelegramApiError)) throw error;
  expect(error.message).not.toContain(token);
  expect(error.stack ?? '').not.toContain(token);
  expect(String(error.cause ?? '')).not.toContain(token);
  return error;
}

describe('Bot API client', () => {
  it('checks a bot token with getMe and learns the bot username', async () => {
    // when
    const me = await telegram.getMe(token);
    // then
    expect(me).toMatchObject({ id: 7000000001, is_bot: true, username: 'acme_support_bot', first_name: 'Acme Support' });
    expect(fake.requests[0]).toMatchObject({ token, method: 'getMe' });
  });

  it('sets the webhook with its secret token and the update kinds we handle', async () => {
    // when
    await telegram.setWebhook(token, {
      url: 'https://chat.acme.example/webhooks/telegram/ch_tg_acme',
      secret_token: 'Zx_9-secret',
      allowed_updates: ['message', 'edited_message', 'callback_query'],
    });
    const info = await telegram.getWebhookInfo(token);
    // then
    expect(fake.webhooks.get(token)).toEqual({
      url: 'https://chat.acme.example/webhooks/telegram/ch_tg_acme',
      secretToken: 'Zx_9-secret',
      allowedUpdates: ['message', 'edited_message', 'callback_query'],
    });
    expect(info).toMatchObject({ url: 'https://chat.acme.example/webhooks/telegram/ch_tg_acme', pending_update_count: 0 });
  });

  it('deletes the webhook', async () => {
    // given
    await telegram.setWebhook(token, { url: 'https://chat.acme.example/w', secret_token: 's' });
    // when
    await telegram.deleteWebhook(token);
    // then
    expect(fake.webhooks.has(token)).toBe(false);
    expect((await telegram.getWebhookInfo(token)).url).toBe('');
  });

  it('sends a text message to a chat and returns its message id', async () => {
    // when
    const message = await telegram.sendMessage(token, { chat_id: '48291034', text: 'Your parcel ships today.' });
    // then
    expect(fake.sent).toEqual([{ token, chatId: '48291034', text: 'Your parcel ships today.', messageId: message.message_id }]);
    expect(message.chat.id).toBe(48291034);
  });

  it('answers a callback query so the button stops spinning', async () => {
    // when
    await telegram.answerCallbackQuery(token, { callback_query_id: '4382000123456789012' });
    // then
    expect(fake.answeredCallbacks).toEqual(['4382000123456789012']);
  });

  it('looks up a file by id', async () => {
    // when
    const file = await telegram.getFile(token, { file_id: 'BQACAgQAAxkBAAIBRGdoc' });
    // then
    expect(file).toMatchObject({ file_id: 'BQACAgQAAxkBAAIBRGdoc', file_path: 'documents/BQACAgQAAxkBAAIBRGdoc' });
  });
});

describe('Bot API errors', () => {
  it('reports an unknown bot token without repeating it', async () => {
    // when
    const error = await failureOf(telegram.getMe(`${token}x`));
    // then
    expect(error).toMatchObject({ method: 'getMe', code: 401, isUnauthorized: true, retryable: false });
  });

  it('reports flood control with the seconds to wait', async () => {
    // given
    fake.reply(telegramErrors.rateLimited(7));
    // when
    const error = await failureOf(telegram.sendMessage(token, { chat_id: 1, text: 'hi' }));
    // then
    expect(error).toMatchObject({ code: 429, retryAfterSeconds: 7, isRateLimited: true, retryable: true, isBlocked: false });
    expect(fake.sent).toEqual([]);
  });

  it('reports a customer who blocked the bot as final', async () => {
    // given
    fake.reply(telegramErrors.blocked);
    // when
    const error = await failureOf(telegram.sendMessage(token, { chat_id: 1, text: 'hi' }));
    // then
    expect(error).toMatchObject({ code: 403, isBlocked: true, retryable: false, description: 'Forbidden: bot was blocked by the user' });
  });

  it('answers normally again after the scripted failures are used up', async () => {
    // given
    fake.reply(telegramErrors.serverError, 2);
    // when
    const first = await failureOf(telegram.getMe(token));
    await failureOf(telegram.getMe(token));
    const third = await telegram.getMe(token);
    // then
    expect(first).toMatchObject({ code: 502, retryable: true });
    expect(third.username).toBe('acme_support_bot');
  });

  it('scrubs the token even when a description quotes it', async () => {
    // given
    fake.reply({ status: 400, body: { ok: false, error_code: 400, description: `Bad Request: token ${token} odd` } });
    // when
    const error = await failureOf(telegram.getMe(token));
    // then
    expect(error.description).toBe('Bad Request: token [redacted] odd');
  });

  it('reports a non-JSON answer with its HTTP status', async () => {
    // given
    fake.reply({ status: 504, body: '<html>Gateway Time-out</html>' });
    // when
    const error = await failureOf(telegram.getMe(token));
    // then
    expect(error).toMatchObject({ code: 504, retryable: true });
  });

  it('reports an unexpected success body as a failure', async () => {
    // given
    fake.reply({ status: 200, body: { ok: true, result: { id: 'not-a-number' } } });
    // when
    const error = await failureOf(telegram.getMe(token));
    // then
    expect(error).toMatchObject({ code: undefined, retryable: false });
    expect(error.message).toContain('unexpected body');
  });

  it('reports an unreachable Bot API as a retryable network failure', async () => {
    // given
    const unreachable = new TelegramApi({ baseUrl: fake.url });
    await fake.stop();
    fake = await startFakeTelegram();
    // when
    const error = await failureOf(unreachable.sendMessage(token, { chat_id: 1, text: 'hi' }));
    // then
    expect(error).toMatchObject({ network: true, retryable: true });
  });

  it('keeps the token out of a failure whose error quotes the URL', async () => {
    // given a fetch failing the way URL parsing does, quoting the whole URL
    const quoting: typeof fetch = async (input) => {
      throw new TypeError(`Failed to parse URL from ${String(input)}`);
    };
    const client = new TelegramApi({ baseUrl: fake.url, fetch: quoting });
    // when
    const error = await failureOf(client.getMe(token));
    // then
    expect(error.network).toBe(true);
    expect(error.message).toContain('[redacted]');
  });
});

describe('the fake Bot API', () => {
  it('refuses and records a message longer than Telegram allows', async () => {
    // when
    const error = await failureOf(telegram.sendMessage(token, { chat_id: 1, text: 'x'.repeat(4097) }));
    // then
    expect(error).toMatchObject({ code: 400, retryable: false });
    expect(fake.violations).toEqual([expect.stringContaining('sendMessage: text')]);
    expect(fake.sent).toEqual([]);
    fake.violations.length = 0;
  });
});

describe('the shared Bot API client', () => {
  it('talks to TELEGRAM_API_URL', async () => {
    // given
    const previous = process.env.TELEGRAM_API_URL;
    process.env.TELEGRAM_API_URL = fake.url;
    try {
      await jest.isolateModulesAsync(async () => {
        const { telegramApi } = await import('../../functions/composition-root');
        // when
        const me = await telegramApi().getMe(token);
        // then
        expect(me.username).toBe('acme_support_bot');
      });
    } finally {
      if (previous === undefined) delete process.env.TELEGRAM_API_URL;
      else process.env.TELEGRAM_API_URL = previous;
    }
  });
});
