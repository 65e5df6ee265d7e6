import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';

/** Echoes the API Gateway event it was given. */
export async function handler(event: APIGatewayProxyEventV2WithJWTAuthorizer) {
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      routeKey: event.routeKey,
      rawPath: event.rawPath,
      pathParameters: event.pathParameters,
      queryStringParameters: event.queryStringParameters,
      claims: event.requestContext.authorizer.jwt.claims,
      isBase64Encoded: event.isBase64Encoded,
      body: event.body,
      tableName: process.env.TABLE_NAME,
    }),
  };
}
