import * as z from 'zod';
import { Forbidden, OmnichatError } from '../domain/errors';
import { maxDispositionLabelLength, maxHistoryLimit, maxTagLength, maxTags } from '../domain/wrap-up';
import { agentsGroup, supervisorsGroup } from './groups';
import { listAnswer, listOf, pageQuery, pageRequest } from './pagination';
import { idSchema, route, type AdminDeps } from './route-table';
import type { WrapUpService } from '../services/wrap-up';
import { quickReplySchema as domainQuickReply } from '../domain/model';

/** As `quick-replies.ts` shows one (defined here too: that module uses this one). */
const quickReplySchema = z.object(domainQuickReply.shape).pick({ id: true, language: true, text: true, queueId: true, createdAt: true });

const codePoints = (s: string): number => [...s].length;

/** A close's tags: up to 10, each 1–50 code points once trimmed (😀 is one). */
export const closeTags = z
  .array(
    z
      .string()
      .trim()
      .min(1)
      .refine((t) => codePoints(t) <= maxTagLength, `At most ${maxTagLength} characters.`),
  )
  .max(maxTags);

export const dispositionView = z.object({ id: z.string(), label: z.string(), queueId: z.string().nullable(), createdAt: z.string() });

export const noteView = z.object({ id: z.string(), chatId: z.string(), authorId: z.string(), authorName: z.string(), text: z.string(), createdAt: z.string() });

const survey = z.object({ rating: z.number().int(), comment: z.string().optional(), answeredAt: z.string() });
export const historyEntryView = z.object({
  id: z.string(),
  channelId: z.string(),
  channelType: z.enum(['messenger', 'telegram']),
  queueId: z.string().nullable(),
  state: z.enum(['bot', 'waiting', 'offered', 'assigned', 'closed']),
  createdAt: z.string(),
  closedAt: z.string().optional(),
  disposition: z.object({ id: z.string(), label: z.string() }).optional(),
  tags: z.array(z.string()).optional(),
  survey: survey.optional(),
  lastMessage: z.object({ direction: z.enum(['in', 'out']), text: z.string().optional(), sentAt: z.string() }).optional(),
});

export function wrapUpOf(deps: AdminDeps): WrapUpService {
  if (!deps.wrapUp) throw new OmnichatError('Wrap-up is not wired to this API.', { code: 'not_configured', status: 503 });
  return deps.wrapUp();
}

const asker = (caller: { sub: string; groups: string[] }) => ({ id: caller.sub, groups: caller.groups });
const chatPath = z.strictObject({ chatId: idSchema });
const readers = [supervisorsGroup, agentsGroup] as const;

export const wrapUpRoutes = [
  route({
    method: 'POST',
    path: '/api/dispositions',
    tag: 'dispositions',
    groups: [supervisorsGroup],
    summary: 'Add a disposition agents choose when they close a chat: for every queue, or for one queue.',
    body: z.strictObject({
      label: z.string().trim().min(1).max(maxDispositionLabelLength),
      queueId: idSchema.nullable().optional().describe('Only for chats of this queue; absent or null: every queue.'),
    }),
    response: dispositionView,
    errors: [404, 503],
    handle: ({ body }, deps) => wrapUpOf(deps).createDisposition(body.label, body.queueId ?? null),
  }),
  route({
    method: 'GET',
    path: '/api/dispositions',
    tag: 'dispositions',
    groups: readers,
    summary: "Dispositions, oldest first. With queueId: those for every queue and that queue's. Without: all of them (agents: those for every queue).",
    query: z.strictObject({ queueId: idSchema.optional() }),
    response: z.object({ items: z.array(dispositionView) }),
    errors: [503],
    async handle({ query, caller }, deps) {
      return { items: await wrapUpOf(deps).dispositions(asker(caller), query.queueId) };
    },
  }),
  route({
    method: 'DELETE',
    path: '/api/dispositions/{dispositionId}',
    tag: 'dispositions',
    groups: [supervisorsGroup],
    summary: 'Delete a disposition; chats closed with it keep its id and label.',
    params: z.strictObject({ dispositionId: idSchema }),
    errors: [404, 503],
    async handle({ params }, deps) {
      await wrapUpOf(deps).deleteDisposition(params.dispositionId);
    },
  }),
  route({
    method: 'GET',
    path: '/api/chats/{chatId}/notes',
    tag: 'chats',
    groups: readers,
    summary: 'Private notes on a chat, oldest first (agents: chats assigned to them). Never sent to the customer.',
    params: chatPath,
    query: z.strictObject(pageQuery),
    response: listOf(noteView),
    errors: [404, 503],
    async handle({ params, query, caller }, deps) {
      const page = await wrapUpOf(deps).notes(asker(caller), params.chatId, pageRequest(query));
      return listAnswer(page.items, page);
    },
  }),
  route({
    method: 'GET',
    path: '/api/chats/{chatId}/history',
    tag: 'chats',
    groups: readers,
    summary:
      "The customer's other chats, newest first: the same customer on the chat's channel, and with a linked contact every customer linked to it on every channel (agents: chats assigned to them).",
    params: chatPath,
    query: z.strictObject({
      limit: z.coerce.number().int().min(1).max(maxHistoryLimit).default(20).describe(`Chats per page (1-${maxHistoryLimit}, default 20).`),
      nextToken: z.string().min(1).max(400).optional().describe('The `nextToken` of the previous page.'),
    }),
    response: z.object({ items: z.array(historyEntryView), nextToken: z.string().optional() }),
    errors: [404, 503],
    async handle({ params, query, caller }, deps) {
      return wrapUpOf(deps).history(asker(caller), params.chatId, { limit: query.limit, ...(query.nextToken ? { nextToken: query.nextToken } : {}) });
    },
  }),
  route({
    method: 'PATCH',
    path: '/api/quick-replies/{quickReplyId}',
    tag: 'quick-replies',
    summary: 'Change a quick-reply template: its language, text or queue (null: every queue).',
    params: z.strictObject({ quickReplyId: idSchema }),
    body: z.strictObject({
      language: z
        .string()
        .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'A language tag such as en or pt-BR.')
        .optional(),
      text: z.string().trim().min(1).max(2000).optional(),
      queueId: idSchema.nullable().optional(),
    }),
    response: quickReplySchema,
    errors: [404, 503],
    handle: ({ params, body }, deps) => wrapUpOf(deps).updateQuickReply(params.quickReplyId, body),
  }),
];

/** `GET /api/quick-replies?chatId=`: the quick replies for one chat, rendered for it and the caller. */
export async function quickRepliesForChat(deps: AdminDeps, caller: { sub: string; groups: string[] }, chatId: string) {
  return { items: await wrapUpOf(deps).quickRepliesForChat(asker(caller), chatId) };
}

/** Only admins list every quick reply; agents and supervisors ask for a chat's. */
export function mustBeAdmin(caller: { groups: string[] }): void {
  if (!caller.groups.includes('chat-admins')) throw new Forbidden();
}
