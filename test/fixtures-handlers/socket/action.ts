import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';

const connections = new ApiGatewayManagementApiClient({ endpoint: process.env.SOCKET_CALLBACK_URL });

/** Answers every frame through the @connections endpoint with what it received. */
export async function handler(event: APIGatewayProxyWebsocketEventV2 & { requestContext: { authorizer?: Record<string, unknown> } }) {
  const { connectionId, routeKey, authorizer } = event.requestContext;
  await connections.send(
    new PostToConnectionCommand({
      ConnectionId: connectionId,
      Data: JSON.stringify({ type: 'echo', routeKey, connectionId, authorizer, body: event.body }),
    }),
  );
  return { statusCode: 200 };
}
