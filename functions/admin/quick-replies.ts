import * as z from 'zod';
import { NotFound } from '../domain/errors';
import { listAnswer, listOf, pageQuery, pageRequest } from './pagination';
import { existingQueue } from './queues';
import { idSchema, route } from './route-table';
import { agentsGroup, supervisorsGroup } from './groups';
import { mustBeAdmin, quickRepliesForChat } from './wrap-up';
import { type QuickReply, quickReplySchema as domainQuickReply } from '../domain/model';

/** A quick reply as the management API shows it. */
export const quickReplySchema = z.object(domainQuickReply.shape).pick({ id: true, language: true, text: true, queueId: true, createdAt: true });

const quickReplyCreate = z.strictObject({
  language: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'A language tag such as en or pt-BR.'),
  text: z.string().trim().min(1).max(2000),
  queueId: idSchema.optional().describe('Only for agents of this queue; absent: for everyone.'),
});

export const quickReplyRoutes = [
  route({
    method: 'POST',
    path: '/api/quick-replies',
    tag: 'quick-replies',
    summary: 'Add a quick-reply template for a language (and optionally one queue).',
    body: quickReplyCreate,
    response: quickReplySchema,
    errors: [404],
    async handle({ body }, deps) {
      if (body.queueId !== undefined) await existingQueue(deps, body.queueId);
      const reply: QuickReply = { id: deps.newId(), language: body.language, text: body.text, queueId: body.queueId ?? null, createdAt: deps.clock().toISOString() };
      await deps.admin.createQuickReply(reply);
      return reply;
    },
  }),
  route({
    method: 'GET',
    path: '/api/quick-replies',
    tag: 'quick-replies',
    // agents and supervisors read those of a chat (chatId)
    groups: [agentsGroup, supervisorsGroup],
    summary:
      "List quick-reply templates (admins). With chatId: those for the chat's queue and language (else the defaultLanguage setting, else en), each with `rendered`: {customerFirstName} and {agentName} filled in for the chat and the caller (agents: chats assigned to them).",
    query: z.strictObject({ ...pageQuery, chatId: idSchema.optional() }),
    response: listOf(quickReplySchema.extend({ rendered: z.string().optional().describe('With chatId: the text with its placeholders filled in.') })),
    errors: [403, 404, 503],
    async handle({ query, caller }, deps) {
      if (query.chatId !== undefined) return quickRepliesForChat(deps, caller, query.chatId);
      mustBeAdmin(caller);
      const page = await deps.admin.quickReplies(pageRequest(query));
      return listAnswer(page.items, page);
    },
  }),
  route({
    method: 'DELETE',
    path: '/api/quick-replies/{quickReplyId}',
    tag: 'quick-replies',
    summary: 'Delete a quick-reply template.',
    params: z.strictObject({ quickReplyId: idSchema }),
    errors: [404],
    async handle({ params }, deps) {
      if (!(await deps.admin.deleteQuickReply(params.quickReplyId))) throw new NotFound('Quick reply', params.quickReplyId);
    },
  }),
];
