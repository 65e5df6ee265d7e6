import { publishMetrics } from '../shared/observability';
import middy from '@middy/core';
import * as z from 'zod';
import { groupsFromClaims } from '../shared/auth';
import { Forbidden, NotFound, OmnichatError, Unauthorized, ValidationFailed } from '../domain/errors';
import { csv, httpErrors, json, rawBody, wantsCsv, type HttpEvent, type HttpResult } from '../shared/http';
import { reportRoutes, surveyRoutes } from './reports';
import { logger } from '../shared/logger';
import { actionRoutes } from './actions';
import { agentRoutes } from './agents';
import { channelRoutes } from './channels';
import { chatRoutes } from './chats';
import { contactRoutes } from './contacts';
import { deadLetterRoutes } from './dead-letters';
import { messengerAppRoutes } from './messenger-apps';
import { openApiDocument } from './openapi';
import { queueRoutes } from './queues';
import { queueHoursRoutes } from './queue-hours';
import { quickReplyRoutes } from './quick-replies';
import { route, type AdminDeps, type AdminRoute } from './route-table';
import { settingsRoutes } from './settings';
import { supervisionRoutes } from './supervision';
import { wrapUpRoutes } from './wrap-up';

export const adminGroup = 'chat-admins';

const resourceRoutes: AdminRoute[] = [
  ...settingsRoutes,
  ...agentRoutes,
  ...queueRoutes,
  ...queueHoursRoutes,
  ...messengerAppRoutes,
  ...channelRoutes,
  ...actionRoutes,
  ...quickReplyRoutes,
  ...contactRoutes,
  ...chatRoutes,
  ...deadLetterRoutes,
  ...supervisionRoutes,
  ...reportRoutes,
  ...surveyRoutes,
  ...wrapUpRoutes,
];

let document: Record<string, unknown> | undefined;

/** Every operation of the management API, the OpenAPI document included. */
export const adminRoutes: readonly AdminRoute[] = [
  ...resourceRoutes,
  route({
    method: 'GET',
    path: '/api/openapi.json',
    tag: 'openapi',
    summary: 'This API described as OpenAPI 3.1.',
    response: z.record(z.string(), z.unknown()),
    handle: async () => (document ??= openApiDocument(adminRoutes)),
  }),
];

interface CompiledRoute {
  route: AdminRoute;
  pattern: RegExp;
  names: string[];
}

const compiled: CompiledRoute[] = adminRoutes.map((r) => {
  const names: string[] = [];
  const source = r.path.replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route: r, pattern: new RegExp(`^${source}/?$`), names };
});

class MethodNotAllowed extends OmnichatError {
  constructor(method: string, path: string) {
    super(`${method} is not supported on ${path}.`, { code: 'method_not_allowed', status: 405 });
  }
}

// API Gateway's JWT authorizer has checked the token; a request without claims never passed it.
const authorizedEvent = z.object({
  requestContext: z.object({ authorizer: z.object({ jwt: z.object({ claims: z.record(z.string(), z.unknown()) }) }).optional() }),
});

function callerOf(event: HttpEvent): { sub: string; groups: string[] } {
  const claims = authorizedEvent.safeParse(event).data?.requestContext.authorizer?.jwt.claims;
  if (!claims) throw new Unauthorized();
  const groups = groupsFromClaims(claims);
  return { sub: typeof claims.sub === 'string' ? claims.sub : 'unknown', groups };
}

/** chat-admins may call every route; other groups only the routes that name them. */
function mayCall(caller: { groups: string[] }, matched: AdminRoute): boolean {
  return caller.groups.includes(adminGroup) || (matched.groups ?? []).some((g) => caller.groups.includes(g));
}

function match(method: string, path: string): { route: AdminRoute; params: Record<string, string> } {
  let pathMatched = false;
  for (const c of compiled) {
    const found = c.pattern.exec(path);
    if (!found) continue;
    pathMatched = true;
    if (c.route.method !== method) continue;
    const params: Record<string, string> = {};
    for (const [i, name] of c.names.entries()) {
      try {
        params[name] = decodeURIComponent(found[i + 1] ?? '');
      } catch {
        throw new ValidationFailed([{ field: name, message: 'Not a valid URL path segment.' }]);
      }
    }
    return { route: c.route, params };
  }
  if (pathMatched) throw new MethodNotAllowed(method, path);
  throw new NotFound('Route', `${method} ${path}`);
}

function bodyOf(event: HttpEvent): unknown {
  if (event.body === undefined || event.body === '') return undefined;
  try {
    return JSON.parse(rawBody(event).toString('utf8'));
  } catch {
    throw new ValidationFailed([{ field: '(body)', message: 'The body is not valid JSON.' }]);
  }
}

function queryOf(event: HttpEvent): Record<string, string> {
  return Object.fromEntries(Object.entries(event.queryStringParameters ?? {}).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Auth, route, parse, run, answer: the whole management API over the given adapters. */
export function adminApi(deps: AdminDeps): (event: HttpEvent) => Promise<HttpResult> {
  return async (event) => {
    const caller = callerOf(event);
    const method = event.requestContext.http.method.toUpperCase();
    if (!caller.groups.includes(adminGroup) && !adminRoutes.some((r) => r.groups?.some((g) => caller.groups.includes(g)))) throw new Forbidden();
    const { route: matched, params } = match(method, event.rawPath);
    if (!mayCall(caller, matched)) throw new Forbidden();
    const result = await matched.run({ params, query: queryOf(event), body: bodyOf(event), caller }, deps);
    logger.info('admin request', { method, route: matched.path, status: matched.status, caller: caller.sub });
    if (matched.status === 204) return { statusCode: 204, body: '' };
    return matched.csv && wantsCsv(event.headers) ? csv(matched.status, matched.csv(result)) : json(matched.status, result);
  };
}

/** The Lambda handler over the given adapters: errors are mapped to HTTP answers once, here. */
export function adminHandler(deps: AdminDeps) {
  return middy(adminApi(deps)).use(httpErrors()).use(publishMetrics());
}
