/**
 * Which handler serves which route, queue and timer. A handler id names the module
 * `functions/<id>.ts`, which exports `handler`. The CDK stack makes one Lambda per id;
 * the local runtime imports the same modules and feeds them API Gateway- and SQS-shaped
 * events.
 */
export type HandlerId =
  | 'ingest/messenger-handshake'
  | 'ingest/messenger-webhook'
  | 'ingest/telegram-webhook'
  | 'files/telegram-file'
  | 'admin/api'
  | 'socket/authorizer'
  | 'socket/connect'
  | 'socket/disconnect'
  | 'socket/action'
  | 'routing/router'
  | 'routing/timer'
  | 'outbound/sender';

export interface HttpRoute {
  /** API Gateway HTTP API route key. */
  routeKey: string;
  handler: HandlerId;
  /** `jwt`: the API's JWT authorizer must pass (401 otherwise); claims reach the handler. */
  auth: 'none' | 'jwt';
}

export const httpRoutes: readonly HttpRoute[] = [
  { routeKey: 'GET /webhooks/messenger/{appId}', handler: 'ingest/messenger-handshake', auth: 'none' },
  { routeKey: 'POST /webhooks/messenger/{appId}', handler: 'ingest/messenger-webhook', auth: 'none' },
  { routeKey: 'POST /webhooks/telegram/{channelId}', handler: 'ingest/telegram-webhook', auth: 'none' },
  // agents' browsers open these links directly: an expiring HMAC in the query stands in for a token
  { routeKey: 'GET /files/telegram/{channelId}/{fileId}', handler: 'files/telegram-file', auth: 'none' },
  { routeKey: 'ANY /api/{proxy+}', handler: 'admin/api', auth: 'jwt' },
];

/** Client frames name their route in `action` (route selection `$request.body.action`). */
export const socketActions = ['setStatus', 'accept', 'send', 'close', 'transfer', 'runAction', 'sync', 'ping', 'requestThread', 'history', 'watch', 'unwatch'] as const;
export type SocketAction = (typeof socketActions)[number];

export const socketRoutes = {
  /** REQUEST authorizer on `$connect`; identity source `route.request.querystring.token`. */
  authorizer: 'socket/authorizer',
  connect: 'socket/connect',
  disconnect: 'socket/disconnect',
  /** Every action route and `$default` go to one function, which answers unknown actions with an error frame. */
  action: 'socket/action',
} as const satisfies Record<string, HandlerId>;

export const queueConsumers = {
  inbound: 'routing/router',
  outbound: 'outbound/sender',
  /** Delayed timer messages (accept, completion and "all agents busy" timeouts). */
  timer: 'routing/timer',
} as const satisfies Record<string, HandlerId>;

export function handlerEntry(id: HandlerId): string {
  return `functions/${id}.ts`;
}
