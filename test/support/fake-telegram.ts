import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

/**
 * A Bot API stand-in on 127.0.0.1 for tests and the local runtime: `/bot<token>/<method>` with the
 * Bot API's `{ ok, result }` answers. Requests Telegram would refuse are answered 400 and recorded
 * in `violations`.
 */

export interface FakeBot {
  id: number;
  username: string;
  first_name: string;
}

export interface FakeTelegramOptions {
  /** Bot token → the bot `getMe` describes. Other tokens answer 401. */
  bots?: Record<string, FakeBot>;
}

export interface RecordedTelegramRequest {
  token: string;
  method: string;
  params: unknown;
  status: number;
  /** Epoch milliseconds when the request arrived. */
  at: number;
}

export interface FakeWebhook {
  url: string;
  secretToken?: string;
  allowedUpdates?: string[];
}

export interface SentTelegramMessage {
  token: string;
  chatId: string;
  text: string;
  messageId: number;
  /** The inline keyboard's buttons, when one was sent. */
  keyboard?: { text: string; callback_data: string }[][];
}

/** A file uploaded with sendPhoto / sendDocument (multipart/form-data, as the Bot API takes files). */
export interface SentTelegramFile {
  token: string;
  chatId: string;
  method: 'sendPhoto' | 'sendDocument';
  name: string;
  contentType: string;
  bytes: Buffer;
  caption?: string;
  messageId: number;
}

export interface ScriptedReply {
  status: number;
  body: unknown;
}

export interface FakeTelegram {
  url: string;
  requests: RecordedTelegramRequest[];
  /** Current webhook per bot token (setWebhook / deleteWebhook). */
  webhooks: Map<string, FakeWebhook>;
  sent: SentTelegramMessage[];
  /** Files sent with sendPhoto / sendDocument. */
  files: SentTelegramFile[];
  /** sendChatAction calls (`typing` …), in order. */
  chatActions: { token: string; chatId: string; action: string; at: number }[];
  answeredCallbacks: string[];
  violations: string[];
  /** Answer the next `times` calls (of any kind) with this reply instead of the normal one. */
  reply(next: ScriptedReply, times?: number): void;
  setBot(token: string, bot: FakeBot | undefined): void;
  stop(): Promise<void>;
}

function botError(code: number, description: string, retryAfter?: number): ScriptedReply {
  return {
    status: code,
    body: { ok: false, error_code: code, description, ...(retryAfter !== undefined && { parameters: { retry_after: retryAfter } }) },
  };
}

/** The Bot API's error answers, as scripted replies. */
export const telegramErrors = {
  rateLimited: (retryAfter: number) => botError(429, `Too Many Requests: retry after ${retryAfter}`, retryAfter),
  blocked: botError(403, 'Forbidden: bot was blocked by the user'),
  unauthorized: botError(401, 'Unauthorized'),
  chatNotFound: botError(400, 'Bad Request: chat not found'),
  serverError: botError(502, 'Bad Gateway'),
};

const setWebhookSchema = z.object({
  url: z.string().url(),
  secret_token: z.string().regex(/^[A-Za-z0-9_-]{1,256}$/).optional(),
  allowed_updates: z.array(z.string()).optional(),
  drop_pending_updates: z.boolean().optional(),
});
const sendMessageSchema = z.looseObject({
  chat_id: z.union([z.number(), z.string().min(1)]),
  text: z.string().min(1).max(4096),
  // Bot API limits: callback_data 1–64 bytes
  reply_markup: z.object({ inline_keyboard: z.array(z.array(z.object({ text: z.string().min(1), callback_data: z.string().min(1).refine((d) => Buffer.byteLength(d) <= 64, 'callback_data over 64 bytes') }))) }).optional(),
});
const answerCallbackSchema = z.looseObject({ callback_query_id: z.string().min(1), text: z.string().max(200).optional() });
const sendChatActionSchema = z.object({
  chat_id: z.union([z.number(), z.string().min(1)]),
  action: z.enum(['typing', 'upload_photo', 'record_video', 'upload_video', 'record_voice', 'upload_voice', 'upload_document', 'choose_sticker', 'find_location', 'record_video_note', 'upload_video_note']),
});
const getFileSchema = z.object({ file_id: z.string().min(1) });

export async function startFakeTelegram(options: FakeTelegramOptions = {}): Promise<FakeTelegram> {
  const bots = new Map(Object.entries(options.bots ?? {}));
  const requests: RecordedTelegramRequest[] = [];
  const webhooks = new Map<string, FakeWebhook>();
  const sent: SentTelegramMessage[] = [];
  const answeredCallbacks: string[] = [];
  const files: SentTelegramFile[] = [];
  const chatActions: FakeTelegram['chatActions'] = [];
  const violations: string[] = [];
  const scripted: ScriptedReply[] = [];
  let nextMessageId = 1000;

  const ok = (result: unknown): ScriptedReply => ({ status: 200, body: { ok: true, result } });

  function invalid(method: string, error: z.ZodError): ScriptedReply {
    for (const issue of error.issues) violations.push(`${method}: ${issue.path.join('.')}: ${issue.message}`);
    return botError(400, `Bad Request: invalid parameters for ${method}`);
  }

  function answer(token: string, method: string, params: unknown): ScriptedReply {
    const override = scripted.shift();
    if (override) return override;
    const bot = bots.get(token);
    if (!bot) return telegramErrors.unauthorized;

    switch (method) {
      case 'getMe':
        return ok({ ...bot, is_bot: true, can_join_groups: false, can_read_all_group_messages: false, supports_inline_queries: false });
      case 'setWebhook': {
        const p = setWebhookSchema.safeParse(params);
        if (!p.success) return invalid(method, p.error);
        webhooks.set(token, {
          url: p.data.url,
          ...(p.data.secret_token !== undefined && { secretToken: p.data.secret_token }),
          ...(p.data.allowed_updates !== undefined && { allowedUpdates: p.data.allowed_updates }),
        });
        return { status: 200, body: { ok: true, result: true, description: 'Webhook was set' } };
      }
      case 'deleteWebhook':
        webhooks.delete(token);
        return { status: 200, body: { ok: true, result: true, description: 'Webhook was deleted' } };
      case 'getWebhookInfo': {
        const hook = webhooks.get(token);
        return ok({
          url: hook?.url ?? '',
          has_custom_certificate: false,
          pending_update_count: 0,
          ...(hook?.allowedUpdates && { allowed_updates: hook.allowedUpdates }),
        });
      }
      case 'sendMessage': {
        const p = sendMessageSchema.safeParse(params);
        if (!p.success) return invalid(method, p.error);
        const messageId = nextMessageId++;
        const chatId = String(p.data.chat_id);
        sent.push({ token, chatId, text: p.data.text, messageId, ...(p.data.reply_markup ? { keyboard: p.data.reply_markup.inline_keyboard } : {}) });
        return ok({
          message_id: messageId,
          from: { ...bot, is_bot: true },
          chat: { id: Number(chatId), type: 'private' },
          date: Math.floor(Date.now() / 1000),
          text: p.data.text,
        });
      }
      case 'sendPhoto':
      case 'sendDocument': {
        // Bot API limits for uploads: photos 10 MB, other files 50 MB; a photo must be a picture
        const field = method === 'sendPhoto' ? 'photo' : 'document';
        const form = params instanceof Map ? (params as Map<string, unknown>) : undefined;
        const file = form?.get(field);
        const chatId = form?.get('chat_id');
        if (!form || !(file instanceof UploadedFile) || typeof chatId !== 'string' || chatId.length === 0) {
          violations.push(`${method}: needs chat_id and ${field} as a multipart file`);
          return botError(400, `Bad Request: there is no ${field} in the request`);
        }
        const limit = method === 'sendPhoto' ? 10 * 1024 * 1024 : 50 * 1024 * 1024;
        if (file.bytes.length > limit) return botError(413, 'Request Entity Too Large');
        if (method === 'sendPhoto' && !/^image\/(jpeg|png|webp)$/.test(file.contentType)) return botError(400, 'Bad Request: IMAGE_PROCESS_FAILED');
        const messageId = nextMessageId++;
        const caption = form.get('caption');
        files.push({ token, chatId, method, name: file.name, contentType: file.contentType, bytes: file.bytes, ...(typeof caption === 'string' ? { caption } : {}), messageId });
        return ok({ message_id: messageId, from: { ...bot, is_bot: true }, chat: { id: Number(chatId), type: 'private' }, date: Math.floor(Date.now() / 1000) });
      }
      case 'sendChatAction': {
        const p = sendChatActionSchema.safeParse(params);
        if (!p.success) return invalid(method, p.error);
        chatActions.push({ token, chatId: String(p.data.chat_id), action: p.data.action, at: Date.now() });
        return ok(true);
      }
      case 'answerCallbackQuery': {
        const p = answerCallbackSchema.safeParse(params);
        if (!p.success) return invalid(method, p.error);
        answeredCallbacks.push(p.data.callback_query_id);
        return ok(true);
      }
      case 'getFile': {
        const p = getFileSchema.safeParse(params);
        if (!p.success) return invalid(method, p.error);
        return ok({ file_id: p.data.file_id, file_unique_id: `u_${p.data.file_id.slice(0, 8)}`, file_size: 1024, file_path: `documents/${p.data.file_id}` });
      }
      default:
        return botError(404, 'Not Found');
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake-telegram');
      // File downloads: `/file/bot<token>/<file_path>`, the bytes being a function of the path.
      const download = /^\/file\/bot([^/]+)\/(.+)$/.exec(url.pathname);
      if (download?.[1] !== undefined && download[2] !== undefined) {
        const token = decodeURIComponent(download[1]);
        const known = bots.has(token);
        requests.push({ token, method: 'downloadFile', params: { file_path: download[2] }, status: known ? 200 : 404, at: Date.now() });
        if (!known) return void res.writeHead(404).end();
        const content = fakeFileContent(download[2]);
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': content.length });
        return void res.end(content);
      }
      const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
      const body = Buffer.concat(chunks);
      const raw = body.toString('utf8');
      const contentType = req.headers['content-type'] ?? '';
      void (async () => {
        // The Bot API takes parameters as JSON, in the query string, or as multipart/form-data (files).
        const params = contentType.startsWith('multipart/form-data') ? await parseForm(body, contentType) : raw.length > 0 ? parseJson(raw) : Object.fromEntries(url.searchParams.entries());
        const token = match?.[1] !== undefined ? decodeURIComponent(match[1]) : '';
        const method = match?.[2] ?? '';
        const reply = match ? answer(token, method, params) : botError(404, 'Not Found');
        requests.push({ token, method, params, status: reply.status, at: Date.now() });
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.body));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    webhooks,
    sent,
    files,
    chatActions,
    answeredCallbacks,
    violations,
    reply(next, times = 1) {
      for (let i = 0; i < times; i += 1) scripted.push(next);
    },
    setBot(token, bot) {
      if (bot) bots.set(token, bot);
      else bots.delete(token);
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/** What the fake serves for a file path: deterministic, so tests can compare bytes. */
export function fakeFileContent(filePath: string): Buffer {
  return Buffer.from(`contents of ${filePath}`, 'utf8');
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/** A file part of a multipart/form-data request. */
export class UploadedFile {
  constructor(
    readonly name: string,
    readonly contentType: string,
    readonly bytes: Buffer,
  ) {}
}

/** Parses multipart/form-data as a server does (fields as strings, files as `UploadedFile`). */
export async function parseForm(body: Buffer, contentType: string): Promise<Map<string, string | UploadedFile> | string> {
  try {
    const form = await new Request('http://form.local/', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) }).formData();
    const fields = new Map<string, string | UploadedFile>();
    for (const [name, value] of form.entries()) {
      fields.set(name, typeof value === 'string' ? value : new UploadedFile(value.name, value.type, Buffer.from(await value.arrayBuffer())));
    }
    return fields;
  } catch {
    return 'malformed multipart body';
  }
}
