import * as z from 'zod';
import { type Queue, defaultServiceLevelSeconds, queueSchema } from '../domain/model';
import { Conflict, NotFound, ValidationFailed } from '../domain/errors';
import { listAnswer, listOf, pageQuery, pageRequest } from './pagination';
import { idSchema, route, type AdminDeps } from './route-table';
import { supervisorsGroup } from './groups';

/** A queue as the management API shows it: each public field named here, so a stored field is not public by accident. */
export const queueView = z.object(queueSchema.shape).pick({ id: true, name: true, routingRule: true, completionTimeoutSeconds: true, members: true, createdAt: true }).extend({
  serviceLevelSeconds: z.number().int().default(defaultServiceLevelSeconds),
  inactivityTimeoutSeconds: z.number().int().nullable().default(null),
  // waiting: max wait and its action, position updates (hours: GET /api/queues/{queueId}/hours)
  maxWaitSeconds: z.number().int().nullable().default(null),
  maxWaitAction: z.nullable(queueSchema.shape.maxWaitAction.def.innerType).default(null),
  positionUpdates: z.object({ everySeconds: z.number().int() }).nullable().default(null),
  dispositionRequired: z.boolean().default(false),
});

const fields = {
  name: z.string().trim().min(1).max(200),
  routingRule: z.enum(['all-agents', 'available-agent']),
  completionTimeoutSeconds: z.number().int().min(10).max(30 * 24 * 3600).nullable().describe('Seconds after the last agent message; null: never.'),
  members: z.strictObject({ users: z.array(idSchema).max(1000), groups: z.array(idSchema).max(100) }),
  serviceLevelSeconds: z.number().int().min(1).max(86_400).describe('Chats accepted within this many seconds of arriving count as answered within the service level (reports).'),
  inactivityTimeoutSeconds: z
    .number()
    .int()
    .min(60)
    .max(30 * 24 * 3600)
    .nullable()
    .describe('An assigned chat where neither the customer nor the agent wrote for this many seconds closes (reason `inactivity`); null: never.'),
  maxWaitSeconds: z.number().int().min(10).max(7 * 24 * 3600).nullable().describe('How long a chat may wait for an agent (counted while the queue is open); null: no limit.'),
  maxWaitAction: z
    .discriminatedUnion('type', [z.strictObject({ type: z.literal('overflow'), queueId: idSchema }), z.strictObject({ type: z.literal('close') })])
    .describe('On expiry: move the chat to another queue, or send `maxWaitExpired` and close it as abandoned.'),
  positionUpdates: z.strictObject({ everySeconds: z.number().int().min(60).max(86_400) }).nullable().describe('Tell a waiting customer their position in line this often; null: never.'),
  dispositionRequired: z.boolean().describe('Closing a chat of this queue needs a disposition (agents and supervisors alike).'),
};

const queueCreate = z.strictObject({
  name: fields.name,
  routingRule: fields.routingRule,
  completionTimeoutSeconds: fields.completionTimeoutSeconds.default(null),
  members: fields.members.default({ users: [], groups: [] }),
  serviceLevelSeconds: fields.serviceLevelSeconds.default(defaultServiceLevelSeconds),
  inactivityTimeoutSeconds: fields.inactivityTimeoutSeconds.default(null),
  maxWaitSeconds: fields.maxWaitSeconds.optional(),
  maxWaitAction: fields.maxWaitAction.optional(),
  positionUpdates: fields.positionUpdates.optional(),
  dispositionRequired: fields.dispositionRequired.default(false),
});
const queuePatch = z.strictObject({
  name: fields.name.optional(),
  routingRule: fields.routingRule.optional(),
  completionTimeoutSeconds: fields.completionTimeoutSeconds.optional(),
  members: fields.members.optional(),
  serviceLevelSeconds: fields.serviceLevelSeconds.optional(),
  inactivityTimeoutSeconds: fields.inactivityTimeoutSeconds.optional(),
  maxWaitSeconds: fields.maxWaitSeconds.optional(),
  maxWaitAction: fields.maxWaitAction.optional(),
  positionUpdates: fields.positionUpdates.optional(),
  dispositionRequired: fields.dispositionRequired.optional(),
});
const queuePath = z.strictObject({ queueId: idSchema });

/** A max wait needs an action, and an overflow action a queue that exists and is not this one. */
async function checkWaiting(deps: AdminDeps, queueId: string, q: Pick<Queue, 'maxWaitSeconds' | 'maxWaitAction'>): Promise<void> {
  if (q.maxWaitSeconds && !q.maxWaitAction) throw new ValidationFailed([{ field: 'maxWaitAction', message: 'A max wait needs an action (overflow or close).' }]);
  if (q.maxWaitAction?.type !== 'overflow') return;
  if (q.maxWaitAction.queueId === queueId) throw new ValidationFailed([{ field: 'maxWaitAction.queueId', message: 'A queue cannot overflow into itself.' }]);
  if (!(await deps.directory.queue(q.maxWaitAction.queueId))) throw new NotFound('Queue', q.maxWaitAction.queueId);
}

export async function existingQueue(deps: AdminDeps, queueId: string): Promise<Queue> {
  const queue = await deps.directory.queue(queueId);
  if (!queue) throw new NotFound('Queue', queueId);
  return queue;
}

export const queueRoutes = [
  route({
    method: 'POST',
    path: '/api/queues',
    tag: 'queues',
    summary: 'Create a chat queue; its members can take its chats at once.',
    body: queueCreate,
    response: queueView,
    async handle({ body }, deps) {
      const id = deps.newId();
      await checkWaiting(deps, id, body);
      const queue: Queue = { id, ...body, createdAt: deps.clock().toISOString() };
      await deps.membership().saveQueue(queue);
      return queue;
    },
  }),
  route({
    method: 'GET',
    path: '/api/queues',
    // supervisors read it too
    groups: [supervisorsGroup],
    tag: 'queues',
    summary: 'List chat queues, oldest first.',
    query: z.strictObject(pageQuery),
    response: listOf(queueView),
    async handle({ query }, deps) {
      const page = await deps.directory.queuesPage(pageRequest(query));
      return listAnswer(page.items, page);
    },
  }),
  route({
    method: 'GET',
    path: '/api/queues/{queueId}',
    tag: 'queues',
    summary: 'Read a chat queue.',
    params: queuePath,
    response: queueView,
    errors: [404],
    handle: ({ params }, deps) => existingQueue(deps, params.queueId),
  }),
  route({
    method: 'PATCH',
    path: '/api/queues/{queueId}',
    tag: 'queues',
    summary: 'Change a chat queue; membership and waiting chats follow at once.',
    params: queuePath,
    body: queuePatch,
    response: queueView,
    errors: [404],
    async handle({ params, body }, deps) {
      const before = await existingQueue(deps, params.queueId);
      await checkWaiting(deps, before.id, { ...before, ...body });
      const after: Queue = {
        ...before,
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.routingRule !== undefined ? { routingRule: body.routingRule } : {}),
        ...(body.completionTimeoutSeconds !== undefined ? { completionTimeoutSeconds: body.completionTimeoutSeconds } : {}),
        ...(body.members !== undefined ? { members: body.members } : {}),
        ...(body.serviceLevelSeconds !== undefined ? { serviceLevelSeconds: body.serviceLevelSeconds } : {}),
        ...(body.inactivityTimeoutSeconds !== undefined ? { inactivityTimeoutSeconds: body.inactivityTimeoutSeconds } : {}),
        ...(body.maxWaitSeconds !== undefined ? { maxWaitSeconds: body.maxWaitSeconds } : {}),
        ...(body.maxWaitAction !== undefined ? { maxWaitAction: body.maxWaitAction } : {}),
        ...(body.positionUpdates !== undefined ? { positionUpdates: body.positionUpdates } : {}),
        ...(body.dispositionRequired !== undefined ? { dispositionRequired: body.dispositionRequired } : {}),
      };
      await deps.membership().saveQueue(after);
      return after;
    },
  }),
  route({
    method: 'DELETE',
    path: '/api/queues/{queueId}',
    tag: 'queues',
    summary: 'Delete a chat queue that no channel uses and no chat waits in.',
    params: queuePath,
    errors: [404, 409],
    async handle({ params }, deps) {
      const queue = await existingQueue(deps, params.queueId);
      const users = (await deps.directory.listChannels()).filter((c) => c.queueId === queue.id);
      if (users.length > 0) {
        throw new Conflict('queue_in_use', `Queue ${queue.id} is linked to channels ${users.map((c) => c.id).join(', ')}; link them elsewhere first.`);
      }
      if (await deps.admin.queueHasWaitingChats(queue.id)) throw new Conflict('queue_has_chats', `Chats wait in queue ${queue.id}; transfer or close them first.`);
      // Emptying it first takes the queue off every agent through the one path that keeps the ready index right.
      await deps.membership().saveQueue({ ...queue, members: { users: [], groups: [] } });
      await deps.admin.deleteQueue(queue.id);
    },
  }),
];
