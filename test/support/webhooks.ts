import { randomUUID } from 'node:crypto';
import { signMetaBody } from '../../functions/domain/signature';

/**
 * Platform deliveries as customers make them: signed Messenger webhooks and Telegram updates whose
 * default texts mix scripts and emoji (skin tones, flags, ZWJ families, astral letters), so every
 * scenario built on them carries real content.
 */
export const customerText = 'Olá! Мой заказ #4417 не пришёл 😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳 — 注文はまだ届きません · طلبي لم يصل';
/** The emoji the issue tracker has seen lost: each must survive every hop whole. */
export const hardEmoji = ['😀', '👍🏽', '🇵🇹', '👨‍👩‍👧', '𝕳'] as const;

export interface MessengerTextOptions {
  pageId: string;
  psid: string;
  text?: string;
  mid?: string;
  /** Epoch ms; default now. */
  timestamp?: number;
}

/** A Page webhook body with one customer text message. */
export function messengerText(options: MessengerTextOptions): Record<string, unknown> {
  const timestamp = options.timestamp ?? Date.now();
  return {
    object: 'page',
    entry: [
      {
        id: options.pageId,
        time: timestamp,
        messaging: [
          {
            sender: { id: options.psid },
            recipient: { id: options.pageId },
            timestamp,
            message: { mid: options.mid ?? `m_${randomUUID()}`, text: options.text ?? customerText },
          },
        ],
      },
    ],
  };
}

/** POSTs a body (object or exact string) to a Messenger webhook, signed with the app secret unless `signature` says otherwise. */
export function postMessenger(baseUrl: string, appId: string, appSecret: string, body: unknown, signature?: string): Promise<Response> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return fetch(`${baseUrl}/webhooks/messenger/${appId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature ?? signMetaBody(raw, appSecret) },
    body: raw,
  });
}

export interface TelegramTextOptions {
  updateId: number;
  chatId: number;
  text?: string;
  messageId?: number;
  /** Epoch seconds; default now. */
  date?: number;
  firstName?: string;
}

/** A private-chat Telegram update with one text message. */
export function telegramText(options: TelegramTextOptions): Record<string, unknown> {
  const from = { id: options.chatId, is_bot: false, first_name: options.firstName ?? 'Марта', last_name: 'Silva 🌻', language_code: 'pt' };
  return {
    update_id: options.updateId,
    message: {
      message_id: options.messageId ?? options.updateId,
      from,
      chat: { id: options.chatId, first_name: from.first_name, last_name: from.last_name, type: 'private' },
      date: options.date ?? Math.floor(Date.now() / 1000),
      text: options.text ?? customerText,
    },
  };
}

/** POSTs an update to a Telegram channel's webhook with its secret token. */
export function postTelegram(baseUrl: string, channelId: string, secretToken: string, body: unknown): Promise<Response> {
  return fetch(`${baseUrl}/webhooks/telegram/${channelId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': secretToken },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
