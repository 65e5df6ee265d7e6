import * as z from 'zod';
import { deadLetterSources, type DeadLetterItem } from '../adapters/dead-letters';
import { OmnichatError } from '../domain/errors';
import { listAnswer, listOf, pageQuery, pageRequest } from './pagination';
import { route, type AdminDeps } from './route-table';

const queueParam = z.enum(deadLetterSources).default('inbound').describe('Which queue: `inbound` (router) or `outbound` (sender). Default inbound.');

export const deadLetterSchema = z.object({
  id: z.string().describe('The SQS message id, as in the dead-letter queue.'),
  queue: z.enum(deadLetterSources),
  platform: z.string().nullable().describe('messenger or telegram (inbound), when the message names it.'),
  channelKey: z.string().nullable().describe('Messenger Page id or Telegram channel id (inbound).'),
  conversation: z.string().nullable().describe('The customer id on the platform (inbound) or the chat id (outbound).'),
  deliveryId: z.string().nullable().describe('The platform id of the event (Messenger mid, Telegram update_id), inbound.'),
  messageGroupId: z.string().nullable(),
  error: z.string().describe('What failed on the last attempt.'),
  firstSeenAt: z.string().describe('When the message first failed.'),
  lastFailedAt: z.string(),
  attempts: z.number().int().describe('Receives that failed (SQS receive count).'),
});

const redriveBody = z.strictObject({
  queue: queueParam,
  ids: z
    .array(z.string().min(1).max(128))
    .min(1)
    .max(100)
    .optional()
    .describe('Message ids to redrive (from the list); without it, every message of the dead-letter queue.'),
});

const redriveResult = z.object({
  redriven: z.array(z.string()).describe('Ids sent back to their source queue and removed from the dead-letter queue.'),
  notFound: z.array(z.string()).describe('Selected ids not in the dead-letter queue now (already redriven, or not yet moved there).'),
});

function view(item: DeadLetterItem): z.input<typeof deadLetterSchema> {
  return {
    id: item.messageId,
    queue: item.queue,
    platform: item.platform ?? null,
    channelKey: item.channelKey ?? null,
    conversation: item.conversation ?? item.chatId ?? null,
    deliveryId: item.deliveryId ?? null,
    messageGroupId: item.messageGroupId ?? null,
    error: item.error,
    firstSeenAt: item.firstSeenAt,
    lastFailedAt: item.lastFailedAt,
    attempts: item.attempts,
  };
}

function deadLettersOf(deps: AdminDeps): NonNullable<AdminDeps['deadLetters']> {
  if (!deps.deadLetters) throw new OmnichatError('The dead-letter queues are not wired to this API.', { code: 'not_configured', status: 503 });
  return deps.deadLetters;
}

export const deadLetterRoutes = [
  route({
    method: 'GET',
    path: '/api/dead-letters',
    tag: 'dead-letters',
    summary:
      'List messages the router (inbound) or the sender (outbound) could not process after every retry, first failed first, with the error of their last attempt.',
    query: z.strictObject({ queue: queueParam, ...pageQuery }),
    response: listOf(deadLetterSchema),
    errors: [503],
    async handle({ query }, deps) {
      const page = await deadLettersOf(deps).failures.list(query.queue, pageRequest(query));
      return listAnswer(page.items.map(view), page);
    },
  }),
  route({
    method: 'POST',
    path: '/api/dead-letters/redrive',
    tag: 'dead-letters',
    summary:
      'Send dead letters back to their source queue (all, or the given ids), in order per conversation. Each leaves the dead-letter queue only once re-sent; a message redriven twice is stored once.',
    status: 200,
    body: redriveBody,
    response: redriveResult,
    errors: [503],
    async handle({ body }, deps) {
      return deadLettersOf(deps).queues.redrive(body.queue, body.ids);
    },
  }),
];
