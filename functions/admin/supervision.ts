import * as z from 'zod';
import { OmnichatError } from '../domain/errors';
import { chatView } from '../domain/model';
import { agentView } from '../domain/routing';
import { agentSchema } from './agents';
import { chatSchema } from './chats';
import { supervisorsGroup } from './groups';
import { idSchema, route, type AdminDeps } from './route-table';
import { closeTags } from './wrap-up';

const liveSchema = z.object({
  generatedAt: z.string(),
  queues: z.array(
    z.object({
      queueId: z.string(),
      name: z.string(),
      waiting: z.number().int().describe('Chats in the queue not yet offered to anyone.'),
      oldestWaitSeconds: z.number().int().nullable().describe('Age of the oldest chat in the queue not yet taken (waiting or offered); null when none.'),
      offersPending: z.number().int().describe('Chats of the queue offered and not yet accepted.'),
      agents: z.object({ active: z.number().int(), inactive: z.number().int(), offline: z.number().int() }),
      load: z.number().int().describe("Chats offered to or held by the queue's agents (in any queue)."),
      capacity: z.number().int().describe("What the queue's active agents can hold at once."),
      open: z.boolean().describe('Within its opening hours now (always true for a queue without hours).'),
    }),
  ),
  agents: z.array(
    z.object({
      agentId: z.string(),
      displayName: z.string(),
      status: z.enum(['active', 'inactive', 'offline']),
      load: z.number().int(),
      capacity: z.number().int(),
      chatsHeld: z.number().int(),
      statusSince: z.string().nullable().describe('When the status last changed; null if not since this was kept.'),
      queues: z.array(z.string()),
    }),
  ),
});

const chatPath = z.strictObject({ chatId: idSchema });

const reassignBody = z
  .strictObject({
    agentId: idSchema.optional(),
    queueId: idSchema.optional(),
    force: z.boolean().optional().describe('With agentId: assign straight away, even beyond the agent’s capacity or while inactive (the agent must be connected).'),
  })
  .refine((b) => (b.agentId === undefined) !== (b.queueId === undefined), { message: 'Give exactly one of agentId or queueId.', path: ['agentId'] })
  .refine((b) => b.force === undefined || b.agentId !== undefined, { message: 'force goes with agentId.', path: ['force'] });

const closeBody = z
  .strictObject({
    reason: z.string().max(500).optional().describe('A note for the ChatClosed event; the agent sees reason `supervisor`.'),
    dispositionId: idSchema.optional().describe("A disposition for every queue or the chat's queue; required when the queue says dispositionRequired."),
    tags: closeTags.optional().describe('Up to 10 tags, each 1–50 characters once trimmed; duplicates are kept once.'),
  })
  .optional();

function supervision(deps: AdminDeps) {
  if (!deps.supervision) throw new OmnichatError('Supervision is not wired to this API.', { code: 'not_configured', status: 503 });
  return deps.supervision();
}

export const supervisionRoutes = [
  route({
    method: 'GET',
    path: '/api/live',
    tag: 'supervision',
    groups: [supervisorsGroup],
    summary: 'Queues and agents now: per queue chats waiting, the oldest wait, offers pending, agents by status, load and capacity; per agent status, load, chats held and since when. Read from what routing keeps, no scan of chats.',
    response: liveSchema,
    async handle(_input, deps) {
      return supervision(deps).live();
    },
  }),
  route({
    method: 'POST',
    path: '/api/chats/{chatId}/reassign',
    tag: 'supervision',
    groups: [supervisorsGroup],
    status: 200,
    summary:
      'Move a waiting, offered or assigned chat to a named agent (offered to them; straight to them with force) or to another queue. Whoever held it sees it withdrawn (offerWithdrawn / chatClosed, reason transfer). 409 chat_closed, chat_with_bot, agent_unavailable, busy.',
    params: chatPath,
    body: reassignBody,
    response: z.object({ chat: chatSchema }),
    errors: [404, 409, 503],
    async handle({ params, body, caller }, deps) {
      const chat = await supervision(deps).reassign(params.chatId, body, caller.sub);
      return { chat: chatView(chat) };
    },
  }),
  route({
    method: 'POST',
    path: '/api/chats/{chatId}/close',
    tag: 'supervision',
    groups: [supervisorsGroup],
    status: 200,
    summary:
      'Close any open chat, optionally with a disposition and tags; its agent gets chatClosed with reason supervisor. 400 disposition_required, unknown_disposition; 409 chat_closed.',
    params: chatPath,
    body: closeBody,
    response: z.object({ chat: chatSchema }),
    errors: [404, 409, 503],
    async handle({ params, body }, deps) {
      const before = await deps.chats.chat(params.chatId);
      // the wrap-up is checked against the chat's queue before anything changes (400 disposition_required, unknown_disposition)
      const wrapUp = before && before.state !== 'closed' && deps.wrapUp ? await deps.wrapUp().forClose(before, { dispositionId: body?.dispositionId, tags: body?.tags }) : undefined;
      const chat = await supervision(deps).close(params.chatId, body?.reason, wrapUp);
      return { chat: chatView(chat) };
    },
  }),
  route({
    method: 'PUT',
    path: '/api/agents/{agentId}/status',
    tag: 'supervision',
    groups: [supervisorsGroup],
    summary: 'Set whether an agent takes chats; the agent gets statusChanged with reason supervisor.',
    params: z.strictObject({ agentId: idSchema }),
    body: z.strictObject({ status: z.enum(['active', 'inactive']) }),
    response: z.object({ agent: agentSchema }),
    errors: [404, 503],
    async handle({ params, body }, deps) {
      const agent = await supervision(deps).setStatus(params.agentId, body.status);
      const view = agentView(agent);
      return { agent: { ...view, connected: view.connections > 0, queues: agent.queues } };
    },
  }),
];
