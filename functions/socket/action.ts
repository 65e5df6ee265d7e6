import middy from '@middy/core';
import * as z from 'zod';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { adminStore, agentLog, chatStore, clock, directory, dispatcher, eventBus, fileLinks, outboundQueue, routingStore, secrets, socketNotifier } from '../adapters/wiring';
import { graphApi } from '../adapters/graph-api';
import { ThreadRequests } from '../routing/handover';
import { ChatActions } from '../routing/chat-actions';
import { AgentWorkspace } from './agent-workspace';
import { detailsFromIssues } from '../shared/errors';
import { logger } from '../shared/logger';
import { publishMetrics } from '../shared/observability';
import { AgentActions } from './agent-actions';
import { agentOf, clientFrameSchema, type SocketEvent } from './frames';

const notifier = socketNotifier();
const actions = new AgentActions({
  dispatcher: dispatcher(),
  chatActions: new ChatActions({ actions: adminStore(), chats: chatStore(), directory: directory(), events: eventBus() }),
  chats: chatStore(),
  store: routingStore(),
  log: agentLog(),
  outbound: outboundQueue(),
  notifier,
  clock,
  directory: directory(),
  threads: new ThreadRequests({ chats: chatStore(), store: routingStore(), directory: directory(), graph: graphApi, secrets: secrets() }),
  workspace: new AgentWorkspace({
    admin: adminStore(),
    settings: () => directory().settings(),
    queues: () => directory().listQueues(),
    agents: () => directory().listAgentItems(),
  }),
  fileLinks: fileLinks(),
});

/** Every client frame: validate, act, answer on the same connection; a bad frame gets an error frame, never a dropped socket. */
async function onFrame(event: SocketEvent): Promise<{ statusCode: number }> {
  const agentId = agentOf(event);
  const connectionId = event.requestContext.connectionId;
  let body: unknown;
  try {
    body = JSON.parse(event.body ?? '');
  } catch {
    await notifier.reply(agentId, connectionId, { type: 'error', code: 'bad_frame', message: 'Frames must be JSON objects.' });
    return { statusCode: 200 };
  }
  const frame = clientFrameSchema.safeParse(body);
  if (!frame.success) {
    const requestId = z.object({ requestId: z.string() }).safeParse(body).data?.requestId;
    await notifier.reply(agentId, connectionId, {
      type: 'error',
      code: 'bad_frame',
      message: 'The frame is not a valid action.',
      details: detailsFromIssues(frame.error.issues),
      ...(requestId ? { requestId } : {}),
    });
    return { statusCode: 200 };
  }
  const reply = await actions.handle(agentId, frame.data);
  if (reply) await notifier.reply(agentId, connectionId, reply);
  return { statusCode: 200 };
}

export const handler = middy(onFrame).use(injectLambdaContext(logger)).use(publishMetrics());
