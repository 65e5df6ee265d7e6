import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { record } from '../recorder';

export async function handler(event: APIGatewayProxyWebsocketEventV2) {
  await record('disconnect', { connectionId: event.requestContext.connectionId });
  return { statusCode: 200 };
}
