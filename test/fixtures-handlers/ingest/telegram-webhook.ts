import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** Echoes the body as received, to show how the gateway encodes it. */
export async function handler(event: APIGatewayProxyEventV2) {
  return { statusCode: 202, body: JSON.stringify({ isBase64Encoded: event.isBase64Encoded, body: event.body, channelId: event.pathParameters?.channelId }) };
}
