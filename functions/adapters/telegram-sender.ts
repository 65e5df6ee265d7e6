import { TelegramApiError, type TelegramApi } from './telegram-api';
import { splitTelegramText } from '../domain/telegram';
import { OmnichatError } from '../domain/errors';
import type { PlatformSender, SendFailure } from '../domain/platform-sender';
import { platformLimits, telegramMethodFor, uploadKeyOf, type AttachmentStore } from '../domain/uploads';

/** A chat must wait longer than this call may: the queue brings the message back after `waitSeconds`. */
export class ChatPaused extends OmnichatError {
  constructor(readonly waitSeconds: number) {
    super(`Telegram asked for a pause of ${waitSeconds} s before the next message to this chat.`, { code: 'chat_paused', status: 503 });
  }
}

export interface ChatPacerOptions {
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Telegram allows about one message a second per chat. */
  intervalMs?: number;
  /** The longest pause taken inside one invocation; longer ones go back to the queue. */
  maxInlineWaitMs?: number;
}

/**
 * Spaces the messages of each Telegram chat and keeps the pauses Telegram asks for (429
 * `retry_after`). State is per container: the outbound FIFO group already hands one chat's
 * messages to one consumer at a time, and a 429 is the backstop when two containers meet.
 */
export class ChatPacer {
  private readonly nextAt = new Map<string, number>();
  private deadline = Number.POSITIVE_INFINITY;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly intervalMs: number;
  private readonly maxInlineWaitMs: number;

  constructor(options: ChatPacerOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.intervalMs = options.intervalMs ?? 1000;
    this.maxInlineWaitMs = options.maxInlineWaitMs ?? 5000;
  }

  /** Pauses must end before this instant (epoch ms), e.g. the invocation's timeout less a margin. */
  waitNoLaterThan(deadlineMs: number): void {
    this.deadline = deadlineMs;
  }

  /** Waits until the chat may receive its next message, or throws `ChatPaused` when that is too far off. */
  async turn(chatKey: string): Promise<void> {
    const wait = (this.nextAt.get(chatKey) ?? 0) - this.now();
    if (wait <= 0) return;
    if (wait > this.maxInlineWaitMs || this.now() + wait > this.deadline) throw new ChatPaused(Math.ceil(wait / 1000));
    await this.sleep(wait);
  }

  /** A message just left for the chat. */
  sent(chatKey: string): void {
    this.prune();
    this.nextAt.set(chatKey, this.now() + this.intervalMs);
  }

  /** Telegram asked for `seconds` of silence in this chat. */
  holdOff(chatKey: string, seconds: number): void {
    this.nextAt.set(chatKey, Math.max(this.nextAt.get(chatKey) ?? 0, this.now() + seconds * 1000));
  }

  private prune(): void {
    if (this.nextAt.size < 1000) return;
    const now = this.now();
    for (const [key, at] of this.nextAt) if (at <= now) this.nextAt.delete(key);
  }
}

/** Where a chat is marked when its customer blocked the bot. */
export interface BlockedCustomers {
  markCustomerBlocked(chatId: string, reason: string): Promise<void>;
}

/** Rate-limited answers retried inside one call before the message goes back to the queue. */
const inlineRateLimitRetries = 3;

/**
 * Replies with `sendMessage`, text split at 4,096 characters on word boundaries, paced per chat.
 * A 403 (blocked bot) is final: the chat is marked and the agent sees the message failed.
 */
export class TelegramSender implements PlatformSender {
  constructor(
    private readonly api: Pick<TelegramApi, 'sendMessage'> & Partial<Pick<TelegramApi, 'sendFile'>>,
    private readonly pacer: ChatPacer,
    private readonly blocked: BlockedCustomers,
    /** Agents' uploaded files, uploaded to the chat as photos or documents. */
    private readonly files?: Pick<AttachmentStore, 'read'>,
  ) {}

  async send({ chat, message, token, buttons }: Parameters<PlatformSender['send']>[0]): Promise<{ platformMessageId: string }> {
    // Uploaded files go first, each as a photo or a document; plain links go as text after the message.
    const uploads = (message.attachments ?? []).flatMap((a) => {
      const key = uploadKeyOf(a.url);
      return key === undefined ? [] : [{ key, name: a.name ?? 'file' }];
    });
    const links = (message.attachments ?? []).filter((a) => uploadKeyOf(a.url) === undefined).map((a) => a.url);
    const text = [message.text ?? '', ...links].filter((t) => t.trim().length > 0).join('\n');
    const parts = splitTelegramText(text);
    if (parts.length === 0 && uploads.length === 0) throw new OmnichatError('The message has no text to send.', { code: 'empty_message', status: 400 });
    const chatKey = `${chat.channelId}:${chat.customer.id}`;
    let platformMessageId = '';
    const keyboard = buttons?.length ? { inline_keyboard: [buttons.map((b) => ({ text: b.title, callback_data: b.payload }))] } : undefined;
    try {
      for (const upload of uploads) platformMessageId = await this.sendUpload(chatKey, chat.customer.id, token, upload);
      for (const [i, part] of parts.entries()) {
        platformMessageId = await this.sendPart(chatKey, chat.customer.id, token, part, i === parts.length - 1 ? keyboard : undefined);
      }
    } catch (error) {
      if (error instanceof TelegramApiError && error.isBlocked) await this.blocked.markCustomerBlocked(chat.id, describe(error));
      throw error;
    }
    return { platformMessageId };
  }

  classify(error: unknown): SendFailure | undefined {
    if (error instanceof ChatPaused) return { retryable: true, retryAfterSeconds: error.waitSeconds, reason: error.message };
    if (!(error instanceof TelegramApiError)) return undefined;
    if (error.isBlocked) return { retryable: false, reason: `The customer blocked the bot, so Telegram refused the message (${describe(error)}).` };
    if (error.isUnauthorized) {
      const reason = `Telegram refused the bot token (${describe(error)}).`;
      return { retryable: false, channelFailed: reason, reason };
    }
    return {
      retryable: error.retryable,
      ...(error.retryAfterSeconds !== undefined && { retryAfterSeconds: error.retryAfterSeconds }),
      reason: `Telegram refused the message (${describe(error)}).`,
    };
  }

  /** An uploaded file: `sendPhoto` for a JPEG, PNG or WebP picture of 10 MB or less (a picture Telegram refuses as a photo goes again as a document), `sendDocument` otherwise. */
  private async sendUpload(chatKey: string, chatId: string, token: string, upload: { key: string; name: string }): Promise<string> {
    const sendFile = this.api.sendFile?.bind(this.api);
    if (!this.files || !sendFile) throw new OmnichatError('Uploaded attachments cannot be sent from here.', { code: 'not_configured', status: 503 });
    const { body, contentType } = await this.files.read(upload.key, platformLimits.telegram.document);
    const file = { body, contentType, name: upload.name };
    const method = telegramMethodFor(contentType, body.byteLength);
    try {
      return await this.paced(chatKey, () => sendFile(token, method, { chat_id: chatId, file }));
    } catch (error) {
      // PHOTO_INVALID_DIMENSIONS, IMAGE_PROCESS_FAILED…: the same bytes are fine as a document
      if (method !== 'sendPhoto' || !(error instanceof TelegramApiError) || error.telegramCode !== 400) throw error;
      return this.paced(chatKey, () => sendFile(token, 'sendDocument', { chat_id: chatId, file }));
    }
  }

  private sendPart(chatKey: string, chatId: string, token: string, text: string, keyboard?: { inline_keyboard: { text: string; callback_data: string }[][] }): Promise<string> {
    return this.paced(chatKey, () => this.api.sendMessage(token, { chat_id: chatId, text, ...(keyboard ? { reply_markup: keyboard } : {}) }));
  }

  private async paced(chatKey: string, call: () => Promise<{ message_id: number; chat: { id: number } }>): Promise<string> {
    for (let rateLimited = 0; ; rateLimited++) {
      await this.pacer.turn(chatKey);
      try {
        const sent = await call();
        this.pacer.sent(chatKey);
        return `${sent.chat.id}:${sent.message_id}`;
      } catch (error) {
        if (!(error instanceof TelegramApiError) || !error.isRateLimited) throw error;
        const seconds = error.retryAfterSeconds ?? 1;
        this.pacer.holdOff(chatKey, seconds);
        if (rateLimited >= inlineRateLimitRetries) throw new ChatPaused(seconds);
      }
    }
  }
}

function describe(error: TelegramApiError): string {
  return error.description ?? error.message;
}
