import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { parseForm, UploadedFile } from './fake-telegram';

/**
 * A Graph API stand-in on 127.0.0.1 for tests and the local runtime: Page lookups, the Send API,
 * profiles and the handover protocol, with Meta's error shapes. It checks every Send API request
 * against Meta's rules and records what broke them in `violations`.
 */

export interface FakePage {
  name: string;
  token: string;
}

export interface FakeProfile {
  first_name?: string;
  last_name?: string;
  profile_pic?: string;
  /** Answered only when asked for, and only when the app may read locales (`localeAllowed`). */
  locale?: string;
}

export interface FakeGraphOptions {
  /** Page id → name and the Page access token that unlocks it. */
  pages?: Record<string, FakePage>;
  /** PSID → profile; a PSID not listed answers Meta's "no profile" error. */
  profiles?: Record<string, FakeProfile>;
  /** The version path the fake serves under, as in GRAPH_API_URL. */
  version?: string;
  /** Whether the app has pages_user_locale: without it, asking a profile for `locale` is refused (#100), as Meta does. */
  localeAllowed?: boolean;
}

export interface RecordedGraphRequest {
  method: string;
  /** Path below the version, e.g. `/105123/messages`. */
  path: string;
  query: Record<string, string>;
  token: string | undefined;
  body: unknown;
  status: number;
}

export interface SentGraphMessage {
  pageId: string;
  recipientId: string;
  messagingType: string;
  tag?: string;
  text?: string;
  /** `url` for an attachment given by URL; an uploaded one (multipart `filedata`) has `file` instead. */
  attachment?: { type: string; url?: string; file?: { name: string; contentType: string; bytes: Buffer } };
  /** The Send API `quick_replies` as given (Meta shows them under the message until the customer taps one). */
  quickReplies?: { content_type: string; title?: string; payload?: string | number; image_url?: string }[];
  messageId: string;
}

export interface HandoverCall {
  pageId: string;
  action: 'pass' | 'take' | 'request';
  recipientId: string;
  targetAppId?: string;
  metadata?: string;
}

export interface ScriptedReply {
  status: number;
  body: unknown;
}

export interface FakeGraph {
  /** Base URL including the version, ready for GRAPH_API_URL. */
  url: string;
  requests: RecordedGraphRequest[];
  sent: SentGraphMessage[];
  handovers: HandoverCall[];
  /** Send API `sender_action` calls (typing_on, typing_off, mark_seen), in order. */
  senderActions: { pageId: string; recipientId: string; action: string; at: number }[];
  /** Send API requests that Meta would refuse, described; tests expect none. */
  violations: string[];
  /** Answer the next `times` calls (of any kind) with this reply instead of the normal one. */
  reply(next: ScriptedReply, times?: number): void;
  /** Add, change (token rotation) or remove (`undefined`) a Page. */
  setPage(pageId: string, page: FakePage | undefined): void;
  stop(): Promise<void>;
}

function metaError(status: number, code: number, message: string, subcode?: number, type = 'OAuthException'): ScriptedReply {
  return {
    status,
    body: { error: { message, type, code, ...(subcode !== undefined && { error_subcode: subcode }), fbtrace_id: 'AfakeTraceId01' } },
  };
}

/** Meta's error answers, as scripted replies. */
export const graphErrors = {
  tokenInvalid: metaError(400, 190, 'Error validating access token: The session has been invalidated.', 460),
  noProfile: metaError(400, 100, 'No profile available for this user.', 2018218),
  outsideWindow: metaError(400, 10, '(#10) This message is sent outside of allowed window.', 2018278),
  appRateLimited: metaError(400, 4, '(#4) Application request limit reached'),
  customRateLimited: metaError(400, 613, '(#613) Calls to this api have exceeded the rate limit.'),
  recipientUnavailable: metaError(400, 551, "This person isn't available right now.", 1545041),
  serverError: { status: 500, body: { error: { message: 'An unexpected error has occurred. Please retry your request later.', type: 'OAuthException', code: 2, is_transient: true, fbtrace_id: 'AfakeTraceId02' } } },
} satisfies Record<string, ScriptedReply>;

const messagingTypes = ['RESPONSE', 'UPDATE', 'MESSAGE_TAG'];

const sendRequestSchema = z.object({
  recipient: z.object({ id: z.string().min(1) }),
  messaging_type: z.string(),
  tag: z.string().optional(),
  message: z.object({
    text: z.string().optional(),
    attachment: z
      .object({ type: z.enum(['image', 'video', 'audio', 'file']), payload: z.looseObject({ url: z.string().url() }) })
      .optional(),
    quick_replies: z
      .array(
        z.looseObject({
          content_type: z.string(),
          title: z.string().optional(),
          payload: z.union([z.string(), z.number()]).optional(),
          image_url: z.string().optional(),
        }),
      )
      .optional(),
  }),
});

/** Meta's rules for `message.quick_replies`; each broken rule described. */
const quickReplyLimits = { count: 13, titleChars: 20, payloadChars: 1000 };
const quickReplyTypes = ['text', 'user_phone_number', 'user_email'];
function quickReplyProblems(quickReplies: NonNullable<z.infer<typeof sendRequestSchema>['message']['quick_replies']>): string[] {
  const problems: string[] = [];
  if (quickReplies.length === 0 || quickReplies.length > quickReplyLimits.count) problems.push(`send: quick_replies must hold 1-${quickReplyLimits.count} items, not ${quickReplies.length}`);
  quickReplies.forEach((q, i) => {
    const at = `send: quick_replies.${i}`;
    if (!quickReplyTypes.includes(q.content_type)) problems.push(`${at}.content_type ${q.content_type} is not one of ${quickReplyTypes.join(', ')}`);
    if (q.content_type !== 'text') return;
    // UTF-16 units, as the other length checks here: never kinder than Meta
    if (q.title === undefined || q.title.length === 0 || q.title.length > quickReplyLimits.titleChars) problems.push(`${at}.title must be 1-${quickReplyLimits.titleChars} characters`);
    const payload = q.payload === undefined ? '' : String(q.payload);
    if (payload.length === 0 || payload.length > quickReplyLimits.payloadChars) problems.push(`${at}.payload must be 1-${quickReplyLimits.payloadChars} characters`);
  });
  return problems;
}

const senderActionSchema = z.strictObject({ recipient: z.object({ id: z.string().min(1) }), sender_action: z.enum(['typing_on', 'typing_off', 'mark_seen']) });
const uploadRequestSchema = z.object({
  recipient: z.object({ id: z.string().min(1) }),
  messaging_type: z.enum(['RESPONSE', 'UPDATE', 'MESSAGE_TAG']),
  tag: z.string().optional(),
  message: z.strictObject({ attachment: z.object({ type: z.enum(['image', 'video', 'audio', 'file']), payload: z.looseObject({ is_reusable: z.boolean().optional() }) }) }),
});

const handoverRequestSchema = z.object({
  recipient: z.object({ id: z.string().min(1) }),
  target_app_id: z.union([z.string(), z.number()]).optional(),
  metadata: z.string().optional(),
});

export async function startFakeGraph(options: FakeGraphOptions = {}): Promise<FakeGraph> {
  const version = options.version ?? 'v23.0';
  const pages = new Map(Object.entries(options.pages ?? {}));
  const profiles = new Map(Object.entries(options.profiles ?? {}));
  const requests: RecordedGraphRequest[] = [];
  const sent: SentGraphMessage[] = [];
  const handovers: HandoverCall[] = [];
  const senderActions: FakeGraph['senderActions'] = [];
  const violations: string[] = [];
  const scripted: ScriptedReply[] = [];
  let nextMid = 1;

  const pageOfToken = (token: string | undefined) => [...pages.entries()].find(([, p]) => p.token === token);

  function answer(method: string, path: string, token: string | undefined, body: unknown, query: Record<string, string> = {}): ScriptedReply {
    const override = scripted.shift();
    if (override) return override;

    const segments = path.split('/').filter(Boolean);
    const owner = pageOfToken(token);
    if (!owner) return graphErrors.tokenInvalid;
    const [ownerId] = owner;
    const target = segments[0] === 'me' ? ownerId : segments[0];

    if (method === 'GET' && segments.length === 1 && target !== undefined) {
      const page = pages.get(target);
      if (page) return page.token === token ? { status: 200, body: { name: page.name, id: target } } : graphErrors.tokenInvalid;
      const profile = profiles.get(target);
      if (!profile) return graphErrors.noProfile;
      const fields = query['fields']?.split(',');
      if (fields?.includes('locale') && !options.localeAllowed) return metaError(400, 100, '(#100) Tried accessing nonexisting field (locale) on node type (User)', undefined, 'OAuthException');
      const { locale, ...rest } = profile;
      return { status: 200, body: { ...rest, ...(locale !== undefined && fields?.includes('locale') ? { locale } : {}), id: target } };
    }
    if (method === 'POST' && segments.length === 2 && target !== undefined) {
      // A Page's edges answer only to that Page's token.
      if (target !== ownerId) return graphErrors.tokenInvalid;
      if (segments[1] === 'messages') return send(target, body);
      const action = ({ pass_thread_control: 'pass', take_thread_control: 'take', request_thread_control: 'request' } as const)[segments[1] ?? ''];
      if (action) return handover(target, action, body);
    }
    return metaError(400, 100, `Unsupported ${method.toLowerCase()} request.`, 33, 'GraphMethodException');
  }

  function send(pageId: string, body: unknown): ScriptedReply {
    if (body instanceof Map) return upload(pageId, body as Map<string, unknown>);
    const action = senderActionSchema.safeParse(body);
    if (action.success) {
      senderActions.push({ pageId, recipientId: action.data.recipient.id, action: action.data.sender_action, at: Date.now() });
      return { status: 200, body: { recipient_id: action.data.recipient.id } };
    }
    if (typeof body === 'object' && body !== null && 'sender_action' in body) {
      violations.push('send: sender_action goes alone with recipient.id (typing_on, typing_off or mark_seen), no message');
      return metaError(400, 100, '(#100) Invalid parameter');
    }
    const parsed = sendRequestSchema.safeParse(body);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) violations.push(`send: ${issue.path.join('.')}: ${issue.message}`);
      return metaError(400, 100, '(#100) Invalid parameter', undefined, 'OAuthException');
    }
    const req = parsed.data;
    const problems: string[] = [];
    if (!messagingTypes.includes(req.messaging_type)) problems.push(`send: messaging_type ${req.messaging_type} is not one of ${messagingTypes.join(', ')}`);
    if (req.tag !== undefined && req.messaging_type !== 'MESSAGE_TAG') problems.push('send: tag given without messaging_type MESSAGE_TAG');
    if (req.tag === undefined && req.messaging_type === 'MESSAGE_TAG') problems.push('send: messaging_type MESSAGE_TAG without a tag');
    if ((req.message.text === undefined) === (req.message.attachment === undefined)) problems.push('send: message needs exactly one of text or attachment');
    if (req.message.text !== undefined && (req.message.text.length === 0 || req.message.text.length > 2000)) problems.push('send: text must be 1-2000 characters');
    if (req.message.quick_replies !== undefined) problems.push(...quickReplyProblems(req.message.quick_replies));
    if (problems.length > 0) {
      violations.push(...problems);
      return metaError(400, 100, '(#100) Invalid parameter', undefined, 'OAuthException');
    }
    const messageId = `m_fake_${String(nextMid++).padStart(6, '0')}`;
    sent.push({
      pageId,
      recipientId: req.recipient.id,
      messagingType: req.messaging_type,
      ...(req.tag !== undefined && { tag: req.tag }),
      ...(req.message.text !== undefined && { text: req.message.text }),
      ...(req.message.attachment && { attachment: { type: req.message.attachment.type, url: req.message.attachment.payload.url } }),
      ...(req.message.quick_replies && { quickReplies: req.message.quick_replies }),
      messageId,
    });
    return { status: 200, body: { recipient_id: req.recipient.id, message_id: messageId } };
  }

  /** The Send API's attachment upload: multipart with `recipient`, `messaging_type`, `message` (JSON) and `filedata`, at most 25 MB. */
  function upload(pageId: string, form: Map<string, unknown>): ScriptedReply {
    const json = (name: string): unknown => {
      const value = form.get(name);
      try {
        return typeof value === 'string' ? JSON.parse(value) : undefined;
      } catch {
        return undefined;
      }
    };
    const parsed = uploadRequestSchema.safeParse({ recipient: json('recipient'), message: json('message'), messaging_type: form.get('messaging_type'), tag: form.get('tag') ?? undefined });
    const file = form.get('filedata');
    const problems: string[] = parsed.success ? [] : parsed.error.issues.map((i) => `upload: ${i.path.join('.')}: ${i.message}`);
    if (!(file instanceof UploadedFile)) problems.push('upload: filedata must be a file part');
    if (problems.length > 0 || !parsed.success || !(file instanceof UploadedFile)) {
      violations.push(...problems);
      return metaError(400, 100, '(#100) Invalid parameter', undefined, 'OAuthException');
    }
    if (file.bytes.length > 25 * 1024 * 1024) return metaError(400, 100, '(#100) Upload attachment failure: file too large', 2018047, 'OAuthException');
    const type = parsed.data.message.attachment.type;
    if (type === 'image' && !file.contentType.startsWith('image/')) return metaError(400, 100, '(#100) Upload attachment failure.', 2018047, 'OAuthException');
    const messageId = `m_fake_${String(nextMid++).padStart(6, '0')}`;
    sent.push({
      pageId,
      recipientId: parsed.data.recipient.id,
      messagingType: parsed.data.messaging_type,
      ...(parsed.data.tag !== undefined && { tag: parsed.data.tag }),
      attachment: { type, file: { name: file.name, contentType: file.contentType, bytes: file.bytes } },
      messageId,
    });
    return { status: 200, body: { recipient_id: parsed.data.recipient.id, message_id: messageId, attachment_id: `a_${messageId}` } };
  }

  function handover(pageId: string, action: HandoverCall['action'], body: unknown): ScriptedReply {
    const parsed = handoverRequestSchema.safeParse(body);
    if (!parsed.success || (action === 'pass' && parsed.data.target_app_id === undefined)) {
      violations.push(`${action}_thread_control: needs recipient.id${action === 'pass' ? ' and target_app_id' : ''}`);
      return metaError(400, 100, '(#100) Invalid parameter');
    }
    const h = parsed.data;
    handovers.push({
      pageId,
      action,
      recipientId: h.recipient.id,
      ...(h.target_app_id !== undefined && { targetAppId: String(h.target_app_id) }),
      ...(h.metadata !== undefined && { metadata: h.metadata }),
    });
    return { status: 200, body: { success: true } };
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake-graph');
      const query = Object.fromEntries(url.searchParams.entries());
      const bearer = /^(?:Bearer|OAuth) (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const token = query['access_token'] ?? bearer;
      const bytes = Buffer.concat(chunks);
      const raw = bytes.toString('utf8');
      const contentType = req.headers['content-type'] ?? '';
      void (async () => {
        const body = contentType.startsWith('multipart/form-data') ? await parseForm(bytes, contentType) : raw.length > 0 ? parseJson(raw) : undefined;
        const prefix = `/${version}`;
        const path = url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : url.pathname;
        const reply = url.pathname.startsWith(`${prefix}/`)
          ? answer(req.method ?? 'GET', path, token, body, query)
          : metaError(400, 2500, 'Unknown path components', undefined, 'OAuthException');
        requests.push({ method: req.method ?? 'GET', path, query, token, body, status: reply.status });
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(reply.body));
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/${version}`,
    requests,
    sent,
    handovers,
    senderActions,
    violations,
    reply(next, times = 1) {
      for (let i = 0; i < times; i += 1) scripted.push(next);
    },
    setPage(pageId, page) {
      if (page) pages.set(pageId, page);
      else pages.delete(pageId);
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
