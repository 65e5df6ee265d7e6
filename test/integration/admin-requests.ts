/** API Gateway payload 2.0 events for the management API, as the JWT authorizer leaves them. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';

export function adminEvent(method: string, pathAndQuery: string, body?: unknown, groups: string[] | null = ['chat-admins']): APIGatewayProxyEventV2 {
  const url = new URL(pathAndQuery, 'http://local');
  const query = Object.fromEntries(url.searchParams.entries());
  return {
    version: '2.0',
    routeKey: 'ANY /api/{proxy+}',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: {},
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '1',
      apiId: 'a',
      domainName: 'x',
      domainPrefix: 'x',
      http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'r',
      routeKey: 'ANY /api/{proxy+}',
      stage: '$default',
      time: '',
      timeEpoch: 0,
      ...(groups ? { authorizer: { jwt: { claims: { sub: 'admin-1', 'cognito:groups': `[${groups.join(' ')}]` }, scopes: [] } } } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}

export const errorAnswer = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.array(z.object({ field: z.string(), message: z.string() })).optional() }) });
