import * as z from 'zod';
import { indexKeys, keys } from '../adapters/dynamodb/keys';
import { NotFound } from '../shared/errors';
import { decodeNextToken, listAnswer, listOf, pageQuery, type PagedIndex } from './pagination';
import { idSchema, route, type AdminDeps } from './route-table';
import { type RoutedChat, chatView } from '../domain/model';
import { type Page, type PageRequest } from '../domain/ports';

const chatStates = ['bot', 'waiting', 'offered', 'assigned', 'closed'] as const;
/** Without `state`, lists walk the states in this order: chats needing attention first, closed ones last. */
const listingOrder = ['waiting', 'offered', 'assigned', 'bot', 'closed'] as const;

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

/**
 * Chats of every state, one state's byKind partition after another. The token is the key of
 * the last chat answered, whose `kindPk` names the state to go on from.
 */
async function chatsOfAllStates(deps: AdminDeps, filter: { queueId?: string; agentId?: string }, page: PageRequest): Promise<Page<RoutedChat>> {
  const items: RoutedChat[] = [];
  const from = typeof page.startKey?.kindPk === 'string' ? page.startKey.kindPk.replace(/^CHATS#/, '') : undefined;
  let stateIndex = Math.max(0, listingOrder.findIndex((s) => s === from));
  let startKey = page.startKey;
  while (items.length < page.limit && stateIndex < listingOrder.length) {
    const state = listingOrder[stateIndex] ?? 'closed';
    const part = await deps.admin.chatsInState(state, filter, { limit: page.limit - items.length, startKey });
    items.push(...part.items);
    if (part.lastKey) startKey = part.lastKey;
    else {
      stateIndex += 1;
      startKey = undefined;
    }
  }
  if (stateIndex >= listingOrder.length) return { items };
  if (startKey) return { items, lastKey: startKey };
  const last = items.at(-1);
  return last ? { items, lastKey: { ...keys.chat(last.id), kindPk: indexKeys.kind(`CHATS#${last.state}`), kindSk: `${last.createdAt}#${last.id}` } } : { items };
}

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
      const paged: PagedIndex = query.state
        ? { index: 'byKind', partitions: [indexKeys.kind(`CHATS#${query.state}`)] }
        : query.agentId
          ? { index: 'byAgent', partitions: [indexKeys.byAgent(query.agentId)], sortKeyPrefix: 'CHAT#' }
          : { index: 'byKind', partitions: listingOrder.map((s) => indexKeys.kind(`CHATS#${s}`)) };
      const page: PageRequest = { limit: query.limit, startKey: decodeNextToken(query.nextToken, paged) };
      const result = query.state
        ? await deps.admin.chatsInState(query.state, { queueId: query.queueId, agentId: query.agentId }, page)
        : query.agentId
          ? await deps.admin.chatsHeldBy(query.agentId, { queueId: query.queueId }, page)
          : await chatsOfAllStates(deps, { queueId: query.queueId }, page);
      return listAnswer(result.items.map(chatView), result.lastKey);
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
