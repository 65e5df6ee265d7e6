import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { adminStore, agentLog, chatStore, clock, directory, dispatcher, eventBus, fileLinks, outboundQueue, routingStore, secrets, socketNotifier } from '../composition-root';
import { graphApi } from '../adapters/graph-api';
import { ThreadRequests } from '../services/handover';
import { ChatActions } from '../services/chat-actions';
import { AgentWorkspace } from '../services/agent-workspace';
import { logger } from '../shared/logger';
import { publishMetrics } from '../shared/observability';
import { AgentActions } from '../services/agent-actions';
import { frameHandler } from './frame-handler';

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

export const handler = middy(frameHandler({ actions, notifier })).use(injectLambdaContext(logger)).use(publishMetrics());
