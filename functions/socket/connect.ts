import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { dispatcher } from '../composition-root';
import { logger } from '../shared/logger';
import { publishMetrics } from '../shared/observability';
import { connectionErrors } from './errors';
import { agentOf, type SocketEvent } from './frames';

const routing = dispatcher();

/** A registered agent's connection opens: the agent is online and may be offered chats. */
async function connect(event: SocketEvent): Promise<{ statusCode: number }> {
  const agentId = agentOf(event);
  const known = await routing.connected(agentId, event.requestContext.connectionId);
  if (!known) logger.warn('connection refused: not a registered agent', { agentId });
  return { statusCode: known ? 200 : 403 };
}

export const handler = middy(connect).use(injectLambdaContext(logger)).use(connectionErrors()).use(publishMetrics());
