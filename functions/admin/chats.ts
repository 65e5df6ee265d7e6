import * as z from 'zod';
import { NotFound } from '../domain/errors';
import { listAnswer, listOf, pageQuery, pageRequest } from './pagination';
import { idSchema, route, type AdminDeps } from './route-table';
import { supervisorsGroup } from './groups';
import { surveyAnswerSchema, chatSchema as domainChat, chatView, customerSchema, messageSchema as domainMessage } from '../domain/model';

const chatStates = ['bot', 'waiting', 'offered', 'assigned', 'closed'] as const;

/** A chat as the management API shows it, derived from the domain's chat: each public field named here. */
export const chatSchema = z.object(domainChat.shape)
  .pick({ id: true, channelId: true, channelType: true, queueId: true, state: true, agentId: true, contactId: true, language: true, createdAt: true, lastMessageAt: true })
  .extend({
    customer: z.object(customerSchema.shape).pick({ id: true, name: true, avatarUrl: true }),
    survey: z.optional(surveyAnswerSchema).describe('The customer’s answer to the satisfaction survey, once answered.'),
    disposition: z.object({ id: z.string(), label: z.string() }).optional().describe('The disposition given when the chat was closed, as labelled then.'),
    tags: z.array(z.string()).optional().describe('The tags given when the chat was closed.'),
  });

/** A message as the management API shows it. */
const messageSchema = z.object(domainMessage.shape)
  .pick({ id: true, chatId: true, direction: true, text: true, attachments: true, payload: true, sentAt: true, agentId: true, error: true, refusedAttachments: true })
  .extend({ status: z.string() });

const chatsQuery = z.strictObject({
  state: z.enum(chatStates).optional(),
  queueId: idSchema.optional(),
  agentId: idSchema.optional(),
  ...pageQuery,
});

export const chatRoutes = [
  route({
    method: 'GET',
    path: '/api/chats',
    // supervisors read it too
    groups: [supervisorsGroup],
    tag: 'chats',
    summary:
      'List chats. With state: that state, oldest first. With agentId alone: the chats the agent holds now. Otherwise every state (waiting, offered, assigned, bot, closed). queueId and agentId filter.',
    query: chatsQuery,
    response: listOf(chatSchema),
    async handle({ query }, deps) {
      const page = pageRequest(query);
      const result = query.state
        ? await deps.admin.chatsInState(query.state, { queueId: query.queueId, agentId: query.agentId }, page)
        : query.agentId
          ? await deps.admin.chatsHeldBy(query.agentId, { queueId: query.queueId }, page)
          : await deps.admin.chats({ queueId: query.queueId }, page);
      return listAnswer(result.items.map(chatView), result);
    },
  }),
  route({
    method: 'GET',
    path: '/api/chats/{chatId}',
    // supervisors read it too
    groups: [supervisorsGroup],
    tag: 'chats',
    summary: 'Read a chat with its latest messages (up to 100, oldest first).',
    params: z.strictObject({ chatId: idSchema }),
    response: chatSchema.extend({ messages: z.array(messageSchema) }),
    errors: [404],
    async handle({ params }, deps) {
      const chat = await deps.chats.chat(params.chatId, false);
      if (!chat) throw new NotFound('Chat', params.chatId);
      return { ...chatView(chat), messages: await deps.fileLinks.presentAll(chat.channelId, await deps.chats.messages(chat.id, 100)) };
    },
  }),
];
