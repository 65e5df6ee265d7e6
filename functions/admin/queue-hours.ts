import * as z from 'zod';
import { queueHoursSchema, storedQueueHoursSchema } from '../domain/hours';
import { NotFound, ValidationFailed } from '../domain/errors';
import { existingQueue } from './queues';
import { idSchema, route } from './route-table';
import { supervisorsGroup } from './groups';

const queuePath = z.strictObject({ queueId: idSchema });

/** The hours as answered: what was stored, with `overflowQueueId` always present. */
const hoursView = z.object(storedQueueHoursSchema.shape).extend({ overflowQueueId: z.string().nullable().default(null) }).nullable();

export const queueHoursRoutes = [
  route({
    method: 'GET',
    path: '/api/queues/{queueId}/hours',
    groups: [supervisorsGroup],
    tag: 'queues',
    summary: 'Read a queue’s opening hours; null when it has none (always open).',
    params: queuePath,
    response: hoursView,
    errors: [404],
    async handle({ params }, deps) {
      return (await existingQueue(deps, params.queueId)).hours ?? null;
    },
  }),
  route({
    method: 'PUT',
    path: '/api/queues/{queueId}/hours',
    tag: 'queues',
    summary:
      'Set a queue’s opening hours: an IANA time zone, weekly intervals (close at or before open: past midnight), dated closures, and an optional overflow queue for chats arriving while it is closed. Chats waiting are routed again at once.',
    params: queuePath,
    body: queueHoursSchema,
    response: hoursView,
    errors: [404],
    async handle({ params, body }, deps) {
      const queue = await existingQueue(deps, params.queueId);
      const overflow = body.overflowQueueId ?? null;
      if (overflow === queue.id) throw new ValidationFailed([{ field: 'overflowQueueId', message: 'A queue cannot overflow into itself.' }]);
      if (overflow && !(await deps.directory.queue(overflow))) throw new NotFound('Queue', overflow);
      const hours = { timeZone: body.timeZone, weekly: body.weekly, closures: body.closures, overflowQueueId: overflow };
      await deps.membership().saveQueue({ ...(await existingQueue(deps, params.queueId)), hours });
      return hours;
    },
  }),
  route({
    method: 'DELETE',
    path: '/api/queues/{queueId}/hours',
    tag: 'queues',
    summary: 'Remove a queue’s opening hours: it is always open again, and its waiting chats are routed at once.',
    params: queuePath,
    errors: [404],
    async handle({ params }, deps) {
      const { hours: _gone, ...queue } = await existingQueue(deps, params.queueId);
      await deps.membership().saveQueue(queue);
    },
  }),
];
