import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { dispatcher } from '../composition-root';
import { logger } from '../shared/logger';
import { publishMetrics } from '../shared/observability';
import { connectionErrors } from './errors';
import type { SocketEvent } from './frames';

const routing = dispatcher();

/** A connection closed; the agent's last one makes them offline. */
async function disconnect(event: SocketEvent): Promise<{ statusCode: number }> {
  await routing.disconnected(event.requestContext.connectionId);
  return { statusCode: 200 };
}

export const handler = middy(disconnect).use(injectLambdaContext(logger)).use(connectionErrors()).use(publishMetrics());
