import * as z from 'zod';
import { AgentStillBusy, Conflict, NotFound } from '../domain/errors';
import { listAnswer, listOf, pageQuery, pageRequest } from './pagination';
import { idSchema, route } from './route-table';
import { supervisorsGroup } from './groups';
import { type AgentRecord } from '../domain/model';
import { agentView } from '../domain/routing';

export const agentSchema = z.object({
  id: z.string(),
  displayName: z.string(),
  groups: z.array(z.string()),
  simultaneousChats: z.number().int().optional(),
  status: z.enum(['active', 'inactive', 'offline']),
  load: z.number().int(),
  connected: z.boolean(),
  queues: z.array(z.string()),
  lastTakenAt: z.string().optional(),
  createdAt: z.string(),
});

const agentBody = z.strictObject({
  displayName: z.string().trim().min(1).max(200),
  groups: z.array(idSchema).max(50),
  simultaneousChats: z.number().int().min(0).max(100).optional().describe('Overrides the simultaneousChats setting for this agent.'),
});
const agentPath = z.strictObject({ agentId: idSchema });

function view(item: AgentRecord): z.input<typeof agentSchema> {
  const agent = agentView(item);
  return { ...agent, connected: agent.connections > 0, queues: item.queues };
}

export const agentRoutes = [
  route({
    method: 'PUT',
    path: '/api/agents/{agentId}',
    tag: 'agents',
    summary: 'Register or update an agent (agentId = the token subject); queues follow from users and groups.',
    params: agentPath,
    body: agentBody,
    response: agentSchema,
    errors: [409],
    async handle({ params, body }, deps) {
      return view(await deps.membership().saveAgent({ id: params.agentId, ...body }));
    },
  }),
  route({
    method: 'GET',
    path: '/api/agents',
    // supervisors read it too
    groups: [supervisorsGroup],
    tag: 'agents',
    summary: 'List agents with their live status, load and connection.',
    query: z.strictObject(pageQuery),
    response: listOf(agentSchema),
    async handle({ query }, deps) {
      const page = await deps.directory.agentItemsPage(pageRequest(query));
      return listAnswer(page.items.map(view), page);
    },
  }),
  route({
    method: 'GET',
    path: '/api/agents/{agentId}',
    tag: 'agents',
    summary: 'Read an agent with live status, load and connection.',
    params: agentPath,
    response: agentSchema,
    errors: [404],
    async handle({ params }, deps) {
      const item = await deps.directory.agentItem(params.agentId);
      if (!item) throw new NotFound('Agent', params.agentId);
      return view(item);
    },
  }),
  route({
    method: 'DELETE',
    path: '/api/agents/{agentId}',
    tag: 'agents',
    summary: 'Remove an agent who holds no chat.',
    params: agentPath,
    errors: [404, 409],
    async handle({ params }, deps) {
      const item = await deps.directory.agentItem(params.agentId);
      if (!item) throw new NotFound('Agent', params.agentId);
      const busy = () => new Conflict('agent_has_chats', `Agent ${params.agentId} holds chats; close or transfer them first.`);
      if (item.load > 0) throw busy();
      try {
        await deps.admin.deleteAgent(params.agentId);
      } catch (error) {
        if (error instanceof AgentStillBusy) throw busy();
        throw error;
      }
    },
  }),
];
