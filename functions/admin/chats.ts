import * as z from 'zod';
import { NotFound } from '../domain/errors';
import { listAnswer, listOf, pageQuery, pageRequest } from './pagination';
import { idSchema, route, type AdminDeps } from './route-table';
import { chatView } from '../domain/model';

const chatStates = ['bot', 'waiting', 'offered', 'assigned', 'closed'] as const;

export const chatSchema = z.object({
  id: z.string(),
  channelId: z.string(),
  channelType: z.enum(['messenger', 'telegram']),
  queueId: z.string().nullable(),
  state: z.enum(chatStates),
  agentId: z.string().nullable(),
  customer: z.object({ id: z.string(), name: z.string(), avatarUrl: z.string().optional() }),
  contactId: z.string().nullable(),
  language: z.string().nullable(),
  createdAt: z.string(),
  lastMessageAt: z.string(),
  survey: z.object({ rating: z.number(), comment: z.string().optional(), answeredAt: z.string() }).optional().describe('The customer’s answer to the satisfaction survey, once answered.'),
});

const messageSchema = z.object({
  id: z.string(),
  chatId: z.string(),
  direction: z.enum(['in', 'out']),
  text: z.string().optional(),
  attachments: z.array(z.object({ type: z.string(), url: z.string(), name: z.string().optional() })).optional(),
  payload: z.string().optional(),
  sentAt: z.string(),
  status: z.string(),
  agentId: z.string().optional(),
  error: z.string().optional(),
});

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
