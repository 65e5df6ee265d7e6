import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { Unauthorized } from '../domain/errors';
import { verifyToken } from '../shared/auth';

/** Groups whose tokens open the agent socket: agents, and supervisors (admins count) who watch chats; each must be a registered agent too. */
const socketGroups = ['agents', 'supervisors', 'chat-admins'];

/**
 * `$connect` REQUEST authorizer: the token comes in `?token=`. A missing or bad token throws
 * `Unauthorized` (message exactly "Unauthorized") (API Gateway answers 401); a valid token without the agents, supervisors or chat-admins group gets Deny (403).
 * The context reaches every route of the connection as `requestContext.authorizer`.
 */
export async function handler(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const token = event.queryStringParameters?.token;
  // API Gateway answers 401 only for exactly this message; anything else thrown becomes a 500
  if (!token) throw new Unauthorized('Unauthorized');
  const caller = await verifyToken(token).catch((rejected: unknown) => {
    throw new Unauthorized('Unauthorized', rejected);
  });
  const allowed = caller.groups.some((g) => socketGroups.includes(g));
  return {
    principalId: caller.sub,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: allowed ? 'Allow' : 'Deny', Resource: event.methodArn }],
    },
    // Authorizer context values must be strings, numbers or booleans.
    context: { agentId: caller.sub, name: caller.name ?? '', groups: caller.groups.join(',') },
  };
}
