import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { record } from '../recorder';

/** Accepts every connection the authorizer let through, except agents named `refused`. */
export async function handler(event: APIGatewayProxyWebsocketEventV2 & { requestContext: { authorizer?: Record<string, unknown> } }) {
  await record('connect', { connectionId: event.requestContext.connectionId, authorizer: event.requestContext.authorizer });
  return { statusCode: event.requestContext.authorizer?.agentId === 'refused' ? 403 : 200 };
}
