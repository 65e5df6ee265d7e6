import * as z from 'zod/mini';
import { isTimeout, parseJson, redact, redactedCause } from './platform-http';
import { InternalError } from '../domain/errors';
import { GraphApiError, type MessengerPlatform, type MessengerProfile, type SendMessageInput } from '../domain/platforms';

export { GraphApiError };
export type { MessengerProfile, SendMessageInput };

/** Meta's error body: `{ error: { message, type, code, error_subcode, fbtrace_id } }`. */
const graphErrorBodySchema = z.object({
  error: z.looseObject({
    message: z.optional(z.string()),
    type: z.optional(z.string()),
    code: z.optional(z.number()),
    error_subcode: z.optional(z.number()),
    fbtrace_id: z.optional(z.string()),
    is_transient: z.optional(z.boolean()),
  }),
});

const pageSchema = z.looseObject({ id: z.string(), name: z.string() });
const sendResultSchema = z.looseObject({ recipient_id: z.string(), message_id: z.string() });
const profileSchema = z.looseObject({
  id: z.string(),
  first_name: z.optional(z.string()),
  last_name: z.optional(z.string()),
  profile_pic: z.optional(z.string()),
  locale: z.optional(z.string()),
});
const profileFields = 'first_name,last_name,profile_pic';
const successSchema = z.looseObject({ success: z.boolean() });

export interface GraphApiOptions {
  /** e.g. `https://graph.facebook.com/v23.0`; a path in it is kept. */
  baseUrl: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/** The few Graph API calls Omnichat makes, with a Page access token per call. */
export class GraphApi implements MessengerPlatform {
  private readonly baseUrl: string;
  /** Meta refused `locale` for this app once: profiles are asked without it from then on (per container). */
  private localeRefused = false;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(options: GraphApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async getPage(pageId: string, token: string): Promise<{ id: string; name: string }> {
    const page = await this.call('getPage', 'GET', `/${encodeURIComponent(pageId)}`, token, pageSchema, { query: { fields: 'name,id' } });
    return { id: page.id, name: page.name };
  }

  async sendMessage(pageId: string, token: string, input: SendMessageInput): Promise<{ messageId: string; recipientId: string }> {
    if ((input.text === undefined) === (input.attachment === undefined)) {
      throw new InternalError('sendMessage needs exactly one of text or attachment');
    }
    if ((input.messagingType === 'MESSAGE_TAG') !== (input.tag !== undefined)) {
      throw new InternalError('sendMessage takes a tag exactly when messagingType is MESSAGE_TAG');
    }
    const message =
      input.attachment !== undefined
        ? { attachment: { type: input.attachment.type, payload: { url: input.attachment.url, is_reusable: true } } }
        : { text: input.text, ...(input.quickReplies?.length ? { quick_replies: input.quickReplies.map((q) => ({ content_type: 'text', title: q.title, payload: q.payload })) } : {}) };
    const body = {
      recipient: { id: input.recipientId },
      messaging_type: input.messagingType,
      message,
      ...(input.tag !== undefined && { tag: input.tag }),
    };
    const result = await this.call('sendMessage', 'POST', `/${encodeURIComponent(pageId)}/messages`, token, sendResultSchema, { body });
    return { messageId: result.message_id, recipientId: result.recipient_id };
  }

  /**
   * Sends a file as an attachment by uploading its bytes (Send API multipart: `recipient`,
   * `messaging_type`, `message` with the attachment's type, and `filedata`), up to 25 MB. Uploading
   * works whether or not Meta could fetch the bucket's URL.
   */
  async sendAttachmentUpload(
    pageId: string,
    token: string,
    input: Omit<SendMessageInput, 'text' | 'attachment' | 'quickReplies'> & { type: 'image' | 'video' | 'audio' | 'file'; file: { body: Uint8Array; contentType: string; name: string } },
  ): Promise<{ messageId: string; recipientId: string }> {
    if ((input.messagingType === 'MESSAGE_TAG') !== (input.tag !== undefined)) {
      throw new InternalError('sendAttachmentUpload takes a tag exactly when messagingType is MESSAGE_TAG');
    }
    const form = new FormData();
    form.set('recipient', JSON.stringify({ id: input.recipientId }));
    form.set('messaging_type', input.messagingType);
    if (input.tag !== undefined) form.set('tag', input.tag);
    form.set('message', JSON.stringify({ attachment: { type: input.type, payload: { is_reusable: false } } }));
    form.set('filedata', new Blob([input.file.body as Uint8Array<ArrayBuffer>], { type: input.file.contentType }), input.file.name);
    const result = await this.call('sendAttachmentUpload', 'POST', `/${encodeURIComponent(pageId)}/messages`, token, sendResultSchema, { form });
    return { messageId: result.message_id, recipientId: result.recipient_id };
  }

  /** `typing_on` (shown up to 20 s or until the next message) or `mark_seen` (the customer's messages show as read). */
  async senderAction(pageId: string, token: string, input: { recipientId: string; action: 'typing_on' | 'typing_off' | 'mark_seen' }): Promise<void> {
    const body = { recipient: { id: input.recipientId }, sender_action: input.action };
    await this.call('senderAction', 'POST', `/${encodeURIComponent(pageId)}/messages`, token, z.looseObject({ recipient_id: z.string() }), { body });
  }

  async getProfile(psid: string, token: string): Promise<MessengerProfile> {
    const ask = (fields: string) => this.call('getProfile', 'GET', `/${encodeURIComponent(psid)}`, token, profileSchema, { query: { fields } });
    let p: z.infer<typeof profileSchema>;
    try {
      // locale needs the app's pages_user_locale permission; without it Meta refuses the field (#100), so ask again without it
      p = this.localeRefused ? await ask(profileFields) : await ask(`${profileFields},locale`);
    } catch (error) {
      if (this.localeRefused || !(error instanceof GraphApiError) || error.graphCode !== 100 || error.isNoProfile) throw error;
      p = await ask(profileFields);
      this.localeRefused = true;
    }
    return {
      id: p.id,
      ...(p.first_name !== undefined && { firstName: p.first_name }),
      ...(p.last_name !== undefined && { lastName: p.last_name }),
      ...(p.profile_pic !== undefined && { profilePic: p.profile_pic }),
      ...(p.locale !== undefined && { locale: p.locale }),
    };
  }

  /** Hands the thread to another app (e.g. back to the primary receiver when a chat closes). */
  async passThreadControl(pageId: string, token: string, input: { recipientId: string; targetAppId: string; metadata?: string }): Promise<void> {
    await this.threadControl('passThreadControl', pageId, token, 'pass_thread_control', {
      recipient: { id: input.recipientId },
      target_app_id: input.targetAppId,
      ...(input.metadata !== undefined && { metadata: input.metadata }),
    });
  }

  /** Takes the thread from its owner (only the primary receiver may). */
  async takeThreadControl(pageId: string, token: string, input: { recipientId: string; metadata?: string }): Promise<void> {
    await this.threadControl('takeThreadControl', pageId, token, 'take_thread_control', {
      recipient: { id: input.recipientId },
      ...(input.metadata !== undefined && { metadata: input.metadata }),
    });
  }

  /** Asks the primary receiver to pass the thread to this app. */
  async requestThreadControl(pageId: string, token: string, input: { recipientId: string; metadata?: string }): Promise<void> {
    await this.threadControl('requestThreadControl', pageId, token, 'request_thread_control', {
      recipient: { id: input.recipientId },
      ...(input.metadata !== undefined && { metadata: input.metadata }),
    });
  }

  private async threadControl(operation: string, pageId: string, token: string, edge: string, body: object): Promise<void> {
    const result = await this.call(operation, 'POST', `/${encodeURIComponent(pageId)}/${edge}`, token, successSchema, { body });
    if (!result.success) throw new GraphApiError(`Graph API ${operation} was refused`, { operation, status: 200 });
  }

  private async call<S extends z.ZodMiniType>(
    operation: string,
    method: 'GET' | 'POST',
    path: string,
    token: string,
    schema: S,
    options: { query?: Record<string, string>; body?: object; form?: FormData },
  ): Promise<z.output<S>> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
    // Meta documents the Page token as the `access_token` query parameter.
    url.searchParams.set('access_token', token);

    let status: number;
    let text: string;
    try {
      const response = await this.fetchFn(url, {
        method,
        headers: options.body ? { 'content-type': 'application/json' } : {},
        ...(options.body && { body: JSON.stringify(options.body) }),
        // a file: multipart/form-data, fetch writes the boundary; an upload of 25 MB may take longer
        ...(options.form && { body: options.form }),
        signal: AbortSignal.timeout(options.form ? Math.max(this.timeoutMs, 25_000) : this.timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (cause) {
      const scrubbed = redactedCause(cause, token);
      const reason = isTimeout(cause) ? 'timed out' : scrubbed.message;
      throw new GraphApiError(`Graph API ${operation} got no answer (${reason})`, { operation, network: true }, { cause: scrubbed });
    }

    const json = parseJson(text);
    if (status < 200 || status >= 300) {
      const parsed = graphErrorBodySchema.safeParse(json);
      if (!parsed.success) {
        throw new GraphApiError(`Graph API ${operation} failed with HTTP ${status}`, { operation, status });
      }
      const e = parsed.data.error;
      const label = [e.code, e.error_subcode].filter((n) => n !== undefined).join('/');
      throw new GraphApiError(
        `Graph API ${operation} failed with HTTP ${status}${label ? ` (${label})` : ''}: ${redact(e.message ?? 'no message', token)}`,
        { operation, status, code: e.code, subcode: e.error_subcode, type: e.type, fbtraceId: e.fbtrace_id, transient: e.is_transient },
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new GraphApiError(`Graph API ${operation} answered HTTP ${status} with an unexpected body`, { operation, status }, { cause: parsed.error });
    }
    return parsed.data;
  }
}

