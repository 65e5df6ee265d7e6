import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayEventRequestContextV2, APIGatewayProxyEventV2WithRequestContext } from 'aws-lambda';
import { z } from 'zod';
import { verifyJwt } from '../functions/shared/auth';
import type { HttpRoute } from '../functions/shared/routes';
import { BodyTooLarge, readBody } from './aws-wire';
import { queryParameters, requestId, requestTime, singleValueHeaders } from './gateway-event';
import type { Invoker } from './handlers';

/** API Gateway's payload limit; handlers enforce their own smaller limits. */
const maxBodyBytes = 10 * 1024 * 1024;
/** HTTP API's integration timeout. */
const integrationTimeoutMs = 30_000;

/** What API Gateway's JWT authorizer puts in `requestContext.authorizer`. */
export interface JwtAuthorizerContext {
  jwt: { claims: Record<string, string>; scopes: string[] };
}

interface CompiledRoute {
  route: HttpRoute;
  method: string;
  pattern: RegExp;
  params: string[];
  /** Literal segments first, greedy last: API Gateway picks the most specific match. */
  specificity: number;
}

export function compileRoutes(routes: readonly HttpRoute[]): CompiledRoute[] {
  return routes.map((route) => {
    const [method = 'ANY', path = '/'] = route.routeKey.split(' ');
    const params: string[] = [];
    let specificity = method === 'ANY' ? 0 : 1;
    const source = path
      .split('/')
      .map((segment) => {
        const greedy = /^\{(\w+)\+\}$/.exec(segment);
        if (greedy?.[1]) {
          params.push(greedy[1]);
          return '(.+)';
        }
        const param = /^\{(\w+)\}$/.exec(segment);
        if (param?.[1]) {
          params.push(param[1]);
          specificity += 10;
          return '([^/]+)';
        }
        specificity += 100;
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    return { route, method, pattern: new RegExp(`^${source}$`), params, specificity };
  });
}

function decodesAsUri(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

export function matchRoute(routes: CompiledRoute[], method: string, path: string) {
  let best: { compiled: CompiledRoute; pathParameters: Record<string, string> } | undefined;
  for (const compiled of routes) {
    if (compiled.method !== 'ANY' && compiled.method !== method) continue;
    const match = compiled.pattern.exec(path);
    if (!match) continue;
    if (best && best.compiled.specificity >= compiled.specificity) continue;
    const pathParameters = Object.fromEntries(compiled.params.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]));
    best = { compiled, pathParameters };
  }
  return best;
}

const textual = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded|graphql)|application\/[\w.+-]+\+(json|xml))/i;

/** Claims as API Gateway's JWT authorizer hands them to handlers: every value a string, arrays as `[a b]`. */
export function apiGatewayClaims(payload: Readonly<Record<string, unknown>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(payload).map(([name, value]) => [
      name,
      Array.isArray(value) ? `[${value.map(String).join(' ')}]` : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value),
    ]),
  );
}

const structuredResult = z.object({
  statusCode: z.number().int(),
  headers: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  multiValueHeaders: z.record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()]))).optional(),
  cookies: z.array(z.string()).optional(),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
});

/** Serves the HTTP API's routes: builds payload 2.0 events, runs the JWT authorizer, maps results back. */
export function createHttpApi(options: { routes: readonly HttpRoute[]; invoker: Invoker; log(line: string): void }) {
  const routes = compileRoutes(options.routes);
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const method = req.method ?? 'GET';
    const id = requestId();
    res.setHeader('apigw-requestid', id);
    // API Gateway refuses a path whose percent escapes do not decode (e.g. `%E0%A4%A`) before routing.
    if (!decodesAsUri(url.pathname)) return plain(res, 400, { message: 'Bad Request' });
    const matched = matchRoute(routes, method, url.pathname);
    if (!matched) return plain(res, 404, { message: 'Not Found' });
    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) return plain(res, 413, { message: 'Request Entity Too Large' });
      throw error;
    }
    const { route } = matched.compiled;
    let authorizer: JwtAuthorizerContext | undefined;
    if (route.auth === 'jwt') {
      const header = req.headers.authorization ?? '';
      const token = header.replace(/^Bearer\s+/i, '').trim();
      if (!token) return plain(res, 401, { message: 'Unauthorized' });
      try {
        const payload = await verifyJwt(token);
        const scope = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
        authorizer = { jwt: { claims: apiGatewayClaims(payload), scopes: scope } };
      } catch {
        return plain(res, 401, { message: 'Unauthorized' });
      }
    }
    const now = Date.now();
    const contentType = req.headers['content-type'] ?? '';
    const binary = body.length > 0 && !textual.test(contentType);
    const cookieHeader = req.headers.cookie;
    const event: APIGatewayProxyEventV2WithRequestContext<APIGatewayEventRequestContextV2 & { authorizer?: JwtAuthorizerContext }> = {
      version: '2.0',
      routeKey: route.routeKey,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      ...(cookieHeader ? { cookies: cookieHeader.split(';').map((c) => c.trim()) } : {}),
      headers: singleValueHeaders(req.headers, ['cookie']),
      ...(queryParameters(url.searchParams) ? { queryStringParameters: queryParameters(url.searchParams) } : {}),
      ...(Object.keys(matched.pathParameters).length > 0 ? { pathParameters: matched.pathParameters } : {}),
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: req.headers.host ?? '127.0.0.1',
        domainPrefix: (req.headers.host ?? '127').split('.')[0] ?? '127',
        http: {
          method,
          path: url.pathname,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          userAgent: req.headers['user-agent'] ?? '',
        },
        requestId: id,
        routeKey: route.routeKey,
        stage: '$default',
        time: requestTime(now),
        timeEpoch: now,
        ...(authorizer ? { authorizer } : {}),
      },
      ...(body.length > 0 ? { body: binary ? body.toString('base64') : body.toString('utf8') } : {}),
      isBase64Encoded: binary,
    };
    let result: unknown;
    try {
      result = await options.invoker.invoke(route.handler, event, integrationTimeoutMs);
    } catch (error) {
      options.log(`${route.handler} failed on ${method} ${url.pathname}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return plain(res, 500, { message: 'Internal Server Error' });
    }
    respond(res, result);
  };
}

/** Maps a payload 2.0 result: a structured `{ statusCode, ... }` or any other value sent as JSON with 200. */
function respond(res: ServerResponse, result: unknown): void {
  const hasStatus = typeof result === 'object' && result !== null && 'statusCode' in result;
  const structured = structuredResult.safeParse(result);
  // API Gateway answers 500 when a handler returns a malformed structured response.
  if (hasStatus && !structured.success) return plain(res, 500, { message: 'Internal Server Error' });
  if (!structured.success) {
    const text = typeof result === 'string' ? result : result === undefined ? '' : JSON.stringify(result);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(text);
    return;
  }
  const r = structured.data;
  for (const [name, value] of Object.entries(r.multiValueHeaders ?? {})) res.setHeader(name, value.map(String));
  for (const [name, value] of Object.entries(r.headers ?? {})) res.setHeader(name, String(value));
  if (r.cookies?.length) res.setHeader('set-cookie', r.cookies);
  res.statusCode = r.statusCode;
  res.end(r.body === undefined ? '' : Buffer.from(r.body, r.isBase64Encoded ? 'base64' : 'utf8'));
}

export function plain(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
