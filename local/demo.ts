import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as z from 'zod';
import { signMetaBody } from '../functions/domain/signature';
import { readBody } from './aws-wire';

/**
 * `npm run demo`: the local runtime with a sandbox Messenger Page. The runtime itself answers the
 * Page's Graph API under `/sandbox/graph/v23.0` (handlers reach it through GRAPH_API_URL) and, at
 * `/sandbox/simulate`, signs a customer's message with the app secret, as Meta does, and posts it to
 * the webhook; the secret never reaches the simulator page.
 */
export const demo = {
  appId: '100000000000001',
  pageId: '200000000000001',
  pageName: 'Omnichat Demo Page',
  graphVersion: 'v23.0',
  agents: [
    { id: 'alice', name: 'Alice Agent', groups: ['agents'] },
    { id: 'bob', name: 'Bob Agent', groups: ['agents'] },
  ],
  quickReplies: ['Hi! Thanks for writing, how can I help?', 'Let me check that for you, one moment.', 'Is there anything else I can help you with?'],
} as const;

/** A line of the sandbox conversation, as the simulator shows it. */
export interface SandboxLine {
  psid: string;
  from: 'customer' | 'page';
  text: string;
  at: string;
  /** A customer's line: `sending` until the webhook answers, `sent` on 200, `failed` otherwise. */
  status?: 'sending' | 'sent' | 'failed';
  /** The webhook's status (0: it could not be reached) when the line failed. */
  webhookStatus?: number;
  /** A file the Page sent by upload (Send API multipart `filedata`): its type, name and size as Meta received them. */
  attachment?: { type: string; name: string; contentType: string; size: number };
}

export interface DemoLinks {
  agents: { id: string; name: string; url: string }[];
  simulator: string;
}

const simulateBody = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('message'),
    psid: z.string().regex(/^\d{5,20}$/),
    name: z.string().trim().min(1).max(80),
    text: z.string().trim().min(1).max(2000),
    // the customer's Messenger locale (pt_BR), answered as Meta does when the app may read it
    locale: z.string().regex(/^[a-z]{2,3}_[A-Z]{2}$/).optional(),
  }),
  z.object({ kind: z.literal('read'), psid: z.string().regex(/^\d{5,20}$/), name: z.string().max(80).optional() }),
]);
const sendBody = z.object({
  recipient: z.object({ id: z.string() }),
  message: z.object({ text: z.string().optional(), attachment: z.object({ type: z.string(), payload: z.looseObject({ url: z.string() }) }).optional() }),
});

const senderActionBody = z.object({ recipient: z.object({ id: z.string() }), sender_action: z.enum(['typing_on', 'typing_off', 'mark_seen']) });
const uploadRecipient = z.object({ id: z.string() });
const uploadMessage = z.object({ attachment: z.object({ type: z.enum(['image', 'video', 'audio', 'file']) }) });

export class DemoSandbox {
  /** Everything the customers wrote and the Page sent, oldest first. */
  readonly lines: SandboxLine[] = [];
  /** Called whenever the Send API takes a message (benchmarks time replies with it). */
  onSend: (line: SandboxLine) => void = () => {};
  private readonly appSecret = randomBytes(24).toString('hex');
  private readonly pageToken = `EAAD-demo-${randomBytes(12).toString('hex')}`;
  private readonly profiles = new Map<string, string>();
  private readonly locales = new Map<string, string>();
  /** The sender actions the Page sent (`typing_on`, `mark_seen`), oldest first. */
  readonly senderActions: { psid: string; action: string; at: string }[] = [];
  private baseUrl = '';
  private nextMid = 1;

  /** Where the webhooks are posted (the runtime's own address). */
  useBaseUrl(baseUrl: string): void {
    this.baseUrl = baseUrl;
  }

  graphApiUrl(baseUrl: string): string {
    return `${baseUrl}/sandbox/graph/${demo.graphVersion}`;
  }

  /** The sandbox's HTTP routes; true when the request was one of them. */
  readonly routes = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const graphPrefix = `/sandbox/graph/${demo.graphVersion}/`;
    if (url.pathname.startsWith(graphPrefix)) {
      const token = url.searchParams.get('access_token') ?? /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      const contentType = req.headers['content-type'] ?? '';
      if (req.method === 'POST' && contentType.startsWith('multipart/form-data')) {
        // a file the Page uploads (Send API multipart, up to 25 MB as Meta takes)
        const raw = await readBody(req, 26 * 1024 * 1024);
        const form = await new Response(new Uint8Array(raw), { headers: { 'content-type': contentType } }).formData().catch(() => undefined);
        const [status, answer] = form ? this.upload(url.pathname.slice(graphPrefix.length).split('/'), token, form) : [400, metaError(100, '(#100) Invalid parameter')];
        json(res, status, answer);
        return true;
      }
      const body = req.method === 'POST' ? parseJson((await readBody(req, 1024 * 1024)).toString('utf8')) : undefined;
      const [status, answer] = this.graph(req.method ?? 'GET', url.pathname.slice(graphPrefix.length).split('/'), token, body);
      json(res, status, answer);
      return true;
    }
    if (url.pathname === '/sandbox/simulate' && req.method === 'POST') {
      const parsed = simulateBody.safeParse(parseJson((await readBody(req, 64 * 1024)).toString('utf8')));
      if (!parsed.success) json(res, 400, { error: { code: 'validation_failed', message: 'Invalid simulation', details: parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message })) } });
      else {
        // 200 whatever the webhook said: the sandbox did its part; `delivered` tells the simulator whether the webhook kept it
        const webhookStatus = await this.simulate(parsed.data);
        json(res, 200, { webhookStatus, delivered: webhookStatus === 200 });
      }
      return true;
    }
    if (url.pathname === '/sandbox/conversation' && req.method === 'GET') {
      const psid = url.searchParams.get('psid') ?? '';
      json(res, 200, { pageName: demo.pageName, messages: this.lines.filter((l) => l.psid === psid), senderActions: this.senderActions.filter((a) => a.psid === psid) });
      return true;
    }
    return false;
  };

  /** Meta's side of the Graph API calls the handlers make: Page and profile lookups, the Send API, thread control. */
  private graph(method: string, path: string[], token: string | undefined, body: unknown): [number, unknown] {
    if (token !== this.pageToken) return [400, metaError(190, 'Error validating access token: The session has been invalidated.')];
    const [id, edge] = path;
    if (method === 'GET' && id && !edge) {
      if (id === demo.pageId) return [200, { id, name: demo.pageName }];
      const name = this.profiles.get(id);
      if (!name) return [400, metaError(100, 'No profile available for this user.')];
      const [first, ...rest] = name.split(' ');
      const locale = this.locales.get(id);
      return [200, { id, first_name: first, ...(rest.length ? { last_name: rest.join(' ') } : {}), ...(locale ? { locale } : {}) }];
    }
    if (method === 'POST' && id === demo.pageId && edge === 'messages') {
      const action = senderActionBody.safeParse(body);
      if (action.success) {
        this.senderActions.push({ psid: action.data.recipient.id, action: action.data.sender_action, at: new Date().toISOString() });
        return [200, { recipient_id: action.data.recipient.id }];
      }
      const send = sendBody.safeParse(body);
      if (!send.success) return [400, metaError(100, '(#100) Invalid parameter')];
      const text = send.data.message.text ?? `[${send.data.message.attachment?.type ?? 'attachment'}] ${send.data.message.attachment?.payload.url ?? ''}`;
      const line: SandboxLine = { psid: send.data.recipient.id, from: 'page', text, at: new Date().toISOString() };
      this.lines.push(line);
      this.onSend(line);
      return [200, { recipient_id: send.data.recipient.id, message_id: `m_sandbox_page_${this.nextMid++}` }];
    }
    if (method === 'POST' && id === demo.pageId && edge?.endsWith('_thread_control')) return [200, { success: true }];
    return [400, metaError(2500, 'Unknown path components')];
  }

  /** A file the Page uploads to a customer (`recipient`, `message.attachment.type` and `filedata`, as the Send API takes them). */
  private upload(path: string[], token: string | undefined, form: FormData): [number, unknown] {
    if (token !== this.pageToken) return [400, metaError(190, 'Error validating access token: The session has been invalidated.')];
    const [id, edge] = path;
    if (id !== demo.pageId || edge !== 'messages') return [400, metaError(2500, 'Unknown path components')];
    const recipient = uploadRecipient.safeParse(parseJson(String(form.get('recipient') ?? '')));
    const message = uploadMessage.safeParse(parseJson(String(form.get('message') ?? '')));
    const file = form.get('filedata');
    if (!recipient.success || !message.success || !(file instanceof File)) return [400, metaError(100, '(#100) Invalid parameter')];
    const type = message.data.attachment.type;
    const line: SandboxLine = {
      psid: recipient.data.id,
      from: 'page',
      text: `[${type}] ${file.name}`,
      at: new Date().toISOString(),
      attachment: { type, name: file.name, contentType: file.type, size: file.size },
    };
    this.lines.push(line);
    this.onSend(line);
    return [200, { recipient_id: recipient.data.id, message_id: `m_sandbox_page_${this.nextMid++}`, attachment_id: String(this.nextMid) }];
  }

  /** Posts what the customer did to the webhook, signed with the app secret; the webhook's status. */
  async simulate(input: z.infer<typeof simulateBody>): Promise<number> {
    if (input.name) this.profiles.set(input.psid, input.name);
    if (input.kind === 'message' && input.locale) this.locales.set(input.psid, input.locale);
    const timestamp = Date.now();
    const event =
      input.kind === 'message'
        ? { message: { mid: `m_sandbox_customer_${this.nextMid++}`, text: input.text } }
        : { read: { watermark: timestamp } };
    const raw = JSON.stringify({
      object: 'page',
      entry: [{ id: demo.pageId, time: timestamp, messaging: [{ sender: { id: input.psid }, recipient: { id: demo.pageId }, timestamp, ...event }] }],
    });
    const line: SandboxLine | undefined =
      input.kind === 'message' ? { psid: input.psid, from: 'customer', text: input.text, at: new Date(timestamp).toISOString(), status: 'sending' } : undefined;
    if (line) this.lines.push(line);
    let status = 0;
    try {
      const res = await fetch(`${this.baseUrl}/webhooks/messenger/${demo.appId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signMetaBody(raw, this.appSecret) },
        body: raw,
      });
      await res.arrayBuffer();
      status = res.status;
    } catch {
      // the webhook could not be reached: the line failed, status 0
    }
    if (line) Object.assign(line, status === 200 ? { status: 'sent' } : { status: 'failed', webhookStatus: status });
    return status;
  }

  /**
   * Sets the demo up through the management API, as an admin would: the Meta app, the Page's channel,
   * a queue with both agents, quick replies, a chat action and the notification sound.
   */
  async seed(baseUrl: string): Promise<DemoLinks> {
    this.useBaseUrl(baseUrl);
    const token = async (sub: string, groups: readonly string[], name?: string) => {
      const res = await fetch(`${baseUrl}/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub, groups, name }) });
      return z.object({ token: z.string() }).parse(await res.json()).token;
    };
    const admin = await token('demo-admin', ['chat-admins'], 'Demo Admin');
    const call = async (method: string, path: string, body: unknown) => {
      const res = await fetch(`${baseUrl}${path}`, { method, headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` }, body: JSON.stringify(body) });
      const answer: unknown = await res.json().catch(() => undefined);
      if (!res.ok) throw new Error(`Demo setup: ${method} ${path} answered ${res.status}: ${JSON.stringify(answer)}`);
      return z.looseObject({ id: z.string().optional() }).parse(answer ?? {});
    };
    await call('PATCH', '/api/settings', { notificationSoundUrl: `${baseUrl}/console/chime.wav`, acceptTimeoutSeconds: 120 });
    await call('POST', '/api/messenger-apps', { appId: demo.appId, appSecret: this.appSecret });
    const queue = await call('POST', '/api/queues', {
      name: 'Demo support',
      routingRule: 'available-agent',
      completionTimeoutSeconds: null,
      members: { users: demo.agents.map((a) => a.id), groups: [] },
    });
    const channel = await call('POST', '/api/channels', { type: 'messenger', appId: demo.appId, pageId: demo.pageId, pageAccessToken: this.pageToken });
    await call('PATCH', `/api/channels/${channel.id}`, { queueId: queue.id, active: true, language: 'en' });
    for (const text of demo.quickReplies) await call('POST', '/api/quick-replies', { language: 'en', text });
    await call('POST', '/api/actions', { caption: 'Create ticket', queueId: queue.id, detailType: 'TicketRequested' });
    const agents = [];
    for (const agent of demo.agents) {
      await call('PUT', `/api/agents/${agent.id}`, { displayName: agent.name, groups: ['agents'] });
      agents.push({ id: agent.id, name: agent.name, url: `${baseUrl}/console/#token=${await token(agent.id, agent.groups, agent.name)}` });
    }
    return { agents, simulator: `${baseUrl}/simulator` };
  }
}

function metaError(code: number, message: string) {
  return { error: { message, type: 'OAuthException', code, fbtrace_id: 'AsandboxTrace' } };
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
