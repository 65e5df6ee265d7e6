import * as z from 'zod';
import { NotFound } from '../domain/errors';
import { listAnswer, listOf, pageQuery, pageRequest } from './pagination';
import { existingQueue } from './queues';
import { idSchema, route, type AdminDeps } from './route-table';
import { type ChatAction, chatActionSchema } from '../domain/model';

/** A chat action as the management API shows it. */
export const actionSchema = z.object(chatActionSchema.shape).pick({ id: true, caption: true, queueId: true, detailType: true, createdAt: true });

const caption = z.string().trim().min(1).max(100);
// EventBridge detail-types are free text up to 128 characters; the product's own are kept for lifecycle events.
const detailType = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._:/-]*$/, 'Letters, digits, spaces and . _ : / - only.')
  .refine((v) => !['ChatCreated', 'ChatAssigned', 'ChatClosed'].includes(v), 'This detail-type is the product’s own.');

const actionCreate = z.strictObject({ caption, queueId: idSchema, detailType });
const actionPatch = z.strictObject({ caption: caption.optional(), queueId: idSchema.optional(), detailType: detailType.optional() });
const actionPath = z.strictObject({ actionId: idSchema });

async function existingAction(deps: AdminDeps, id: string): Promise<ChatAction> {
  const action = await deps.admin.action(id);
  if (!action) throw new NotFound('Chat action', id);
  return action;
}

export const actionRoutes = [
  route({
    method: 'POST',
    path: '/api/actions',
    tag: 'actions',
    summary: 'Define a chat action: agents of the queue may run it, which publishes detailType on the bus.',
    body: actionCreate,
    response: actionSchema,
    errors: [404],
    async handle({ body }, deps) {
      await existingQueue(deps, body.queueId);
      const action: ChatAction = { id: deps.newId(), ...body, createdAt: deps.clock().toISOString() };
      await deps.admin.putAction(action, true);
      return action;
    },
  }),
  route({
    method: 'GET',
    path: '/api/actions',
    tag: 'actions',
    summary: 'List chat actions.',
    query: z.strictObject(pageQuery),
    response: listOf(actionSchema),
    async handle({ query }, deps) {
      const page = await deps.admin.actions(pageRequest(query));
      return listAnswer(page.items, page);
    },
  }),
  route({
    method: 'GET',
    path: '/api/actions/{actionId}',
    tag: 'actions',
    summary: 'Read a chat action.',
    params: actionPath,
    response: actionSchema,
    errors: [404],
    handle: ({ params }, deps) => existingAction(deps, params.actionId),
  }),
  route({
    method: 'PATCH',
    path: '/api/actions/{actionId}',
    tag: 'actions',
    summary: 'Change a chat action.',
    params: actionPath,
    body: actionPatch,
    response: actionSchema,
    errors: [404],
    async handle({ params, body }, deps) {
      const before = await existingAction(deps, params.actionId);
      if (body.queueId !== undefined) await existingQueue(deps, body.queueId);
      const after: ChatAction = {
        ...before,
        ...(body.caption !== undefined ? { caption: body.caption } : {}),
        ...(body.queueId !== undefined ? { queueId: body.queueId } : {}),
        ...(body.detailType !== undefined ? { detailType: body.detailType } : {}),
      };
      await deps.admin.putAction(after, false);
      return after;
    },
  }),
  route({
    method: 'DELETE',
    path: '/api/actions/{actionId}',
    tag: 'actions',
    summary: 'Delete a chat action.',
    params: actionPath,
    errors: [404],
    async handle({ params }, deps) {
      if (!(await deps.admin.deleteAction(params.actionId))) throw new NotFound('Chat action', params.actionId);
    },
  }),
];
