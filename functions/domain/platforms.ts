import { OmnichatError } from './errors';

/**
 * What the messaging platforms answer, as the product sees it: their failures, classified so
 * callers can decide (retry, refuse, mark the channel failed), and the few shapes services read.
 * The HTTP clients in `adapters/graph-api.ts` and `adapters/telegram-api.ts` produce them.
 */

// ---- Messenger (Graph API) -------------------------------------------------------------

/** App-, user-, page-level and custom rate limits, and Messenger's business-use-case limit. */
const rateLimitCodes = new Set([4, 17, 32, 613, 80006]);

export interface GraphApiErrorDetails {
  operation: string;
  status?: number;
  code?: number;
  subcode?: number;
  type?: string;
  fbtraceId?: string;
  /** Meta marks some failures as transient. */
  transient?: boolean;
  /** The request never got an HTTP answer (refused, reset, timed out). */
  network?: boolean;
}

/**
 * A failed Graph API call, classified so callers can decide: retry, refuse, or mark the channel
 * failed. Meta's own `code`/`error_subcode` and the HTTP status are kept as `graphCode`,
 * `graphSubcode` and `httpStatus`; as a product error it is 502 `platform_unavailable`.
 */
export class GraphApiError extends OmnichatError {
  override readonly name = 'GraphApiError';
  readonly operation: string;
  readonly httpStatus: number | undefined;
  readonly graphCode: number | undefined;
  readonly graphSubcode: number | undefined;
  readonly type: string | undefined;
  readonly fbtraceId: string | undefined;
  readonly network: boolean;
  private readonly transient: boolean;

  constructor(message: string, details: GraphApiErrorDetails, options?: { cause?: unknown }) {
    super(message, { code: 'platform_unavailable', status: 502, cause: options?.cause });
    this.operation = details.operation;
    this.httpStatus = details.status;
    this.graphCode = details.code;
    this.graphSubcode = details.subcode;
    this.type = details.type;
    this.fbtraceId = details.fbtraceId;
    this.network = details.network ?? false;
    this.transient = details.transient ?? false;
  }

  /** The Page access token expired or was revoked: the channel needs a new one. */
  get isTokenInvalid(): boolean {
    return this.graphCode === 190;
  }

  get isRateLimited(): boolean {
    return this.graphCode !== undefined && rateLimitCodes.has(this.graphCode);
  }

  /** Sent outside the 24-hour window without an allowed tag. */
  get isOutsideWindow(): boolean {
    return this.graphCode === 10 && this.graphSubcode === 2018278;
  }

  /** The customer's profile cannot be read (privacy settings, or no such user for this Page). */
  get isNoProfile(): boolean {
    return this.graphSubcode === 2018218;
  }

  /** "This person isn't available right now": blocked the Page or deactivated. */
  get isRecipientUnavailable(): boolean {
    return this.graphCode === 551;
  }

  get retryable(): boolean {
    return this.network || this.transient || this.isRateLimited || (this.httpStatus !== undefined && this.httpStatus >= 500) || this.graphCode === 1 || this.graphCode === 2;
  }
}

export type MessagingType = 'RESPONSE' | 'UPDATE' | 'MESSAGE_TAG';

export interface SendMessageInput {
  recipientId: string;
  text?: string;
  attachment?: { type: 'image' | 'video' | 'audio' | 'file'; url: string };
  messagingType: MessagingType;
  /** Only with `MESSAGE_TAG`, e.g. `HUMAN_AGENT` (7 days after the customer's last message). */
  tag?: string;
  /** Quick replies under the text (Send API `quick_replies`, text ones; Meta allows 13). */
  quickReplies?: { title: string; payload: string }[];
}

export interface MessengerProfile {
  id: string;
  firstName?: string;
  lastName?: string;
  profilePic?: string;
  /** Meta's locale (`pt_BR`); only with the app's permission to read it. */
  locale?: string;
}


// ---- Telegram (Bot API) ----------------------------------------------------------------

export interface TelegramBot {
  id: number;
  is_bot: boolean;
  first_name: string;
  username: string;
}

export interface TelegramWebhookInfo {
  url: string;
  has_custom_certificate?: boolean;
  pending_update_count: number;
  last_error_date?: number;
  last_error_message?: string;
  allowed_updates?: string[];
}

export interface TelegramApiErrorDetails {
  method: string;
  code?: number;
  description?: string;
  retryAfterSeconds?: number;
  /** The request never got an HTTP answer (refused, reset, timed out). */
  network?: boolean;
}

/**
 * A failed Bot API call, classified so callers can decide: retry later, give up, or mark the
 * channel failed. Telegram's `error_code` is kept as `telegramCode`; as a product error it is
 * 502 `platform_unavailable`.
 */
export class TelegramApiError extends OmnichatError {
  override readonly name = 'TelegramApiError';
  readonly method: string;
  readonly telegramCode: number | undefined;
  readonly description: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly network: boolean;

  constructor(message: string, details: TelegramApiErrorDetails, options?: { cause?: unknown }) {
    super(message, { code: 'platform_unavailable', status: 502, cause: options?.cause });
    this.method = details.method;
    this.telegramCode = details.code;
    this.description = details.description;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.network = details.network ?? false;
  }

  /** The customer blocked the bot (or the bot may not write to that chat). */
  get isBlocked(): boolean {
    return this.telegramCode === 403;
  }

  get isRateLimited(): boolean {
    return this.telegramCode === 429;
  }

  /** The bot token was revoked or never valid. */
  get isUnauthorized(): boolean {
    return this.telegramCode === 401 || this.telegramCode === 404;
  }

  get retryable(): boolean {
    return this.network || this.isRateLimited || (this.telegramCode !== undefined && this.telegramCode >= 500);
  }
}


// ---- ports -------------------------------------------------------------------------------

/** The Graph API calls services make, with a Page access token per call. */
export interface MessengerPlatform {
  getPage(pageId: string, token: string): Promise<{ id: string; name: string }>;
  sendMessage(pageId: string, token: string, input: SendMessageInput): Promise<{ messageId: string; recipientId: string }>;
  getProfile(psid: string, token: string): Promise<MessengerProfile>;
  passThreadControl(pageId: string, token: string, input: { recipientId: string; targetAppId: string; metadata?: string }): Promise<void>;
  takeThreadControl(pageId: string, token: string, input: { recipientId: string; metadata?: string }): Promise<void>;
  requestThreadControl(pageId: string, token: string, input: { recipientId: string; metadata?: string }): Promise<void>;
}

/** The Bot API methods services call, with the bot token per call. */
export interface TelegramPlatform {
  getMe(token: string): Promise<TelegramBot>;
  setWebhook(token: string, params: { url: string; secret_token: string; allowed_updates?: string[]; drop_pending_updates?: boolean }): Promise<void>;
  deleteWebhook(token: string, params?: { drop_pending_updates?: boolean }): Promise<void>;
  getWebhookInfo(token: string): Promise<TelegramWebhookInfo>;
  answerCallbackQuery(token: string, params: { callback_query_id: string; text?: string }): Promise<void>;
}
