import * as z from 'zod/mini';
import { isTimeout, parseJson, redact, redactedCause } from './platform-http';
import { TelegramApiError, type TelegramBot, type TelegramPlatform, type TelegramWebhookInfo } from '../domain/platforms';

export { TelegramApiError };
export type { TelegramBot, TelegramWebhookInfo };

/** Every Bot API answer: `{ ok: true, result }` or `{ ok: false, error_code, description, parameters }`. */
const failureSchema = z.looseObject({
  ok: z.literal(false),
  error_code: z.number(),
  description: z.string(),
  parameters: z.optional(z.looseObject({ retry_after: z.optional(z.number()), migrate_to_chat_id: z.optional(z.number()) })),
});
const successSchema = z.looseObject({ ok: z.literal(true), result: z.unknown() });

const botSchema = z.looseObject({
  id: z.number(),
  is_bot: z.boolean(),
  first_name: z.string(),
  username: z.string(),
});
const webhookInfoSchema = z.looseObject({
  url: z.string(),
  has_custom_certificate: z.optional(z.boolean()),
  pending_update_count: z.number(),
  last_error_date: z.optional(z.number()),
  last_error_message: z.optional(z.string()),
  allowed_updates: z.optional(z.array(z.string())),
});
const sentMessageSchema = z.looseObject({
  message_id: z.number(),
  date: z.number(),
  chat: z.looseObject({ id: z.number() }),
});
const fileSchema = z.looseObject({
  file_id: z.string(),
  file_unique_id: z.string(),
  file_size: z.optional(z.number()),
  file_path: z.optional(z.string()),
});

export type TelegramSentMessage = z.infer<typeof sentMessageSchema>;
export type TelegramFile = z.infer<typeof fileSchema>;

/** An upload of up to 50 MB may take longer than a JSON call. */
const uploadTimeoutMs = 25_000;

export interface TelegramApiOptions {
  /** e.g. `https://api.telegram.org`; a path in it is kept. */
  baseUrl: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** The Bot API methods Omnichat calls, with the bot token per call. */
export class TelegramApi implements TelegramPlatform {
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(options: TelegramApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  getMe(token: string): Promise<TelegramBot> {
    return this.call(token, 'getMe', {}, botSchema);
  }

  async setWebhook(token: string, params: { url: string; secret_token: string; allowed_updates?: string[]; drop_pending_updates?: boolean }): Promise<void> {
    await this.call(token, 'setWebhook', params, z.literal(true));
  }

  async deleteWebhook(token: string, params: { drop_pending_updates?: boolean } = {}): Promise<void> {
    await this.call(token, 'deleteWebhook', params, z.literal(true));
  }

  getWebhookInfo(token: string): Promise<TelegramWebhookInfo> {
    return this.call(token, 'getWebhookInfo', {}, webhookInfoSchema);
  }

  sendMessage(
    token: string,
    params: { chat_id: string | number; text: string; reply_markup?: { inline_keyboard: { text: string; callback_data: string }[][] } },
  ): Promise<TelegramSentMessage> {
    return this.call(token, 'sendMessage', params, sentMessageSchema);
  }

  /**
   * Uploads a file to the chat: `sendPhoto` (shown as a picture, up to 10 MB) or `sendDocument`
   * (any file, up to 50 MB), as multipart/form-data with the file's name. Uploading the bytes,
   * rather than giving Telegram a URL, works whether or not the bucket is reachable from Telegram.
   */
  sendFile(
    token: string,
    method: 'sendPhoto' | 'sendDocument',
    params: { chat_id: string | number; file: { body: Uint8Array; contentType: string; name: string }; caption?: string },
  ): Promise<TelegramSentMessage> {
    const form = new FormData();
    form.set('chat_id', String(params.chat_id));
    if (params.caption !== undefined) form.set('caption', params.caption);
    const field = method === 'sendPhoto' ? 'photo' : 'document';
    form.set(field, new Blob([params.file.body as Uint8Array<ArrayBuffer>], { type: params.file.contentType }), params.file.name);
    return this.call(token, method, form, sentMessageSchema);
  }

  /** Shows the customer that the bot is doing something (`typing`) for about 5 s, or until the next message. */
  async sendChatAction(token: string, params: { chat_id: string | number; action: 'typing' | 'upload_photo' | 'upload_document' }): Promise<void> {
    await this.call(token, 'sendChatAction', params, z.literal(true));
  }

  /** Stops the spinner on the customer's button; `text` shows as a short notice. */
  async answerCallbackQuery(token: string, params: { callback_query_id: string; text?: string }): Promise<void> {
    await this.call(token, 'answerCallbackQuery', params, z.literal(true));
  }

  getFile(token: string, params: { file_id: string }): Promise<TelegramFile> {
    return this.call(token, 'getFile', params, fileSchema);
  }

  /** Fetches the bytes of a file `getFile` described (`file_path`); refuses one over `maxBytes` with code 413. */
  async downloadFile(token: string, filePath: string, maxBytes: number): Promise<{ body: Buffer; contentType: string | undefined }> {
    const method = 'downloadFile';
    let response: Response;
    let body: Buffer;
    try {
      response = await this.fetchFn(`${this.baseUrl}/file/bot${token}/${filePath}`, { signal: AbortSignal.timeout(this.timeoutMs) });
      const declared = Number(response.headers.get('content-length') ?? '0');
      if (declared > maxBytes) {
        await response.body?.cancel();
        throw new TelegramApiError(`Telegram file is larger than ${maxBytes} bytes`, { method, code: 413 });
      }
      body = Buffer.from(await response.arrayBuffer());
    } catch (cause) {
      if (cause instanceof TelegramApiError) throw cause;
      const scrubbed = redactedCause(cause, token);
      throw new TelegramApiError(`Telegram ${method} got no answer (${isTimeout(cause) ? 'timed out' : scrubbed.message})`, { method, network: true }, { cause: scrubbed });
    }
    if (!response.ok) throw new TelegramApiError(`Telegram ${method} answered HTTP ${response.status}`, { method, code: response.status });
    if (body.length > maxBytes) throw new TelegramApiError(`Telegram file is larger than ${maxBytes} bytes`, { method, code: 413 });
    return { body, contentType: response.headers.get('content-type') ?? undefined };
  }

  private async call<S extends z.ZodMiniType>(token: string, method: string, params: object, result: S): Promise<z.output<S>> {
    // The token is part of the path, so neither this URL nor the fetch error ever goes into a message.
    const url = `${this.baseUrl}/bot${token}/${method}`;
    let status: number;
    let text: string;
    try {
      // a file goes as multipart/form-data (fetch writes the boundary); everything else as JSON
      const response = await this.fetchFn(url, {
        method: 'POST',
        ...(params instanceof FormData ? { body: params } : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) }),
        signal: AbortSignal.timeout(params instanceof FormData ? Math.max(this.timeoutMs, uploadTimeoutMs) : this.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (cause) {
      const scrubbed = redactedCause(cause, token);
      const reason = isTimeout(cause) ? 'timed out' : scrubbed.message;
      throw new TelegramApiError(`Telegram ${method} got no answer (${reason})`, { method, network: true }, { cause: scrubbed });
    }

    const json = parseJson(text);
    const failure = failureSchema.safeParse(json);
    if (failure.success) {
      const f = failure.data;
      const description = redact(f.description, token);
      throw new TelegramApiError(`Telegram ${method} failed (${f.error_code}): ${description}`, {
        method,
        code: f.error_code,
        description,
        retryAfterSeconds: f.parameters?.retry_after,
      });
    }
    const envelope = successSchema.safeParse(json);
    const success = envelope.success ? result.safeParse(envelope.data.result) : envelope;
    if (!success.success) {
      throw new TelegramApiError(
        `Telegram ${method} answered HTTP ${status} with an unexpected body`,
        { method, ...(status >= 300 && { code: status }) },
        { cause: success.error },
      );
    }
    return success.data;
  }
}

