import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { z } from 'zod';
import { socketActions, socketRoutes } from '../functions/shared/routes';
import { BodyTooLarge, readBody } from './aws-wire';
import { multiValueHeaders, multiValueQueryParameters, queryParameters, requestId, requestTime, singleValueHeaders } from './gateway-event';
import type { Invoker } from './handlers';

/** API Gateway's WebSocket message limit. */
const maxFrameBytes = 128 * 1024;
const stage = 'local';
const apiId = 'local';

const authorizerResult = z.object({
  principalId: z.string(),
  policyDocument: z.object({ Statement: z.array(z.object({ Effect: z.string() })).min(1) }),
  context: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});
const statusResult = z.object({ statusCode: z.number().int() }).loose();
const frameAction = z.object({ action: z.string() }).loose();

interface Connection {
  id: string;
  socket: WebSocket;
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string;
  authorizer: Record<string, unknown>;
  domainName: string;
  idleTimer?: NodeJS.Timeout;
  lifetimeTimer?: NodeJS.Timeout;
}

export interface WebSocketApiOptions {
  invoker: Invoker;
  log(line: string): void;
  /** Close connections idle this long (API Gateway: 10 minutes); 0 = never. */
  idleTimeoutMs?: number;
  /** Close connections older than this (API Gateway: 2 hours); 0 = never. */
  maxConnectionMs?: number;
}

/**
 * The agent WebSocket API: `$connect` through the REQUEST authorizer and the connect route,
 * route selection on `$request.body.action`, `$disconnect`, and the `@connections` management endpoint.
 */
export function createWebSocketApi(options: WebSocketApiOptions) {
  const connections = new Map<string, Connection>();
  const disconnecting = new Set<Promise<unknown>>();
  // As API Gateway does, a client message over 128 KB closes the connection with 1009 (Message Too Big).
  const server = new WebSocketServer({ noServer: true, maxPayload: maxFrameBytes });

  const refuse = (socket: Duplex, status: number, message: string) => {
    const body = JSON.stringify({ message });
    socket.end(`HTTP/1.1 ${status} ${message}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  };

  const baseContext = (connection: Pick<Connection, 'id' | 'connectedAt' | 'sourceIp' | 'userAgent' | 'domainName'>, routeKey: string, eventType: string) => {
    const now = Date.now();
    return {
      routeKey,
      eventType,
      extendedRequestId: requestId(),
      requestTime: requestTime(now),
      messageDirection: 'IN',
      stage,
      connectedAt: connection.connectedAt,
      requestTimeEpoch: now,
      identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
      requestId: requestId(),
      domainName: connection.domainName,
      connectionId: connection.id,
      apiId,
    };
  };

  async function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    const pending = {
      id: randomBytes(12).toString('base64url'),
      connectedAt: Date.now(),
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      userAgent: req.headers['user-agent'] ?? '',
      domainName: req.headers.host ?? '127.0.0.1',
    };
    const request = {
      headers: singleValueHeaders(req.headers),
      multiValueHeaders: multiValueHeaders(req.headers),
      queryStringParameters: queryParameters(url.searchParams) ?? null,
      multiValueQueryStringParameters: multiValueQueryParameters(url.searchParams) ?? null,
    };
    let decision: z.infer<typeof authorizerResult>;
    try {
      const result = await options.invoker.invoke(socketRoutes.authorizer, {
        type: 'REQUEST',
        methodArn: `arn:aws:execute-api:us-east-1:000000000000:${apiId}/${stage}/$connect`,
        ...request,
        pathParameters: {},
        stageVariables: {},
        requestContext: baseContext(pending, '$connect', 'CONNECT'),
      }, 10_000);
      const parsed = authorizerResult.safeParse(result);
      if (!parsed.success) throw new Error('authorizer returned no valid policy', { cause: parsed.error });
      decision = parsed.data;
    } catch (error) {
      if (error instanceof Error && error.message === 'Unauthorized') return refuse(socket, 401, 'Unauthorized');
      options.log(`$connect authorizer failed: ${describe(error)}`);
      return refuse(socket, 500, 'Internal Server Error');
    }
    if (decision.policyDocument.Statement.some((s) => s.Effect !== 'Allow')) return refuse(socket, 403, 'Forbidden');
    const authorizer = { ...decision.context, principalId: decision.principalId, integrationLatency: 0 };
    try {
      const result = await options.invoker.invoke(socketRoutes.connect, {
        ...request,
        requestContext: { ...baseContext(pending, '$connect', 'CONNECT'), authorizer },
        isBase64Encoded: false,
      });
      const status = statusResult.safeParse(result);
      if (status.success && (status.data.statusCode < 200 || status.data.statusCode > 299)) {
        return refuse(socket, status.data.statusCode, 'Forbidden');
      }
    } catch (error) {
      options.log(`$connect failed: ${describe(error)}`);
      return refuse(socket, 500, 'Internal Server Error');
    }
    server.handleUpgrade(req, socket, head, (ws) => {
      const connection: Connection = { ...pending, socket: ws, lastActiveAt: Date.now(), authorizer };
      connections.set(connection.id, connection);
      armTimers(connection);
      ws.on('message', (data, isBinary) => onFrame(connection, data, isBinary));
      // an oversized message: ws has closed the socket with 1009 already
      ws.on('error', (error) => options.log(`connection ${connection.id}: ${error.message}`));
      ws.on('close', (code, reason) => {
        clearTimeout(connection.idleTimer);
        clearTimeout(connection.lifetimeTimer);
        connections.delete(connection.id);
        const done = options.invoker
          .invoke(socketRoutes.disconnect, {
            headers: request.headers,
            multiValueHeaders: request.multiValueHeaders,
            requestContext: {
              ...baseContext(connection, '$disconnect', 'DISCONNECT'),
              disconnectStatusCode: code,
              disconnectReason: reason.toString(),
              authorizer,
            },
            isBase64Encoded: false,
          })
          .catch((error: unknown) => options.log(`$disconnect failed: ${describe(error)}`));
        disconnecting.add(done);
        void done.finally(() => disconnecting.delete(done));
      });
    });
  }

  function armTimers(connection: Connection): void {
    if (options.idleTimeoutMs) {
      clearTimeout(connection.idleTimer);
      connection.idleTimer = setTimeout(() => connection.socket.close(1001, 'Going away'), options.idleTimeoutMs);
    }
    if (options.maxConnectionMs && !connection.lifetimeTimer) {
      connection.lifetimeTimer = setTimeout(() => connection.socket.close(1001, 'Going away'), options.maxConnectionMs);
    }
  }

  function onFrame(connection: Connection, data: RawData, isBinary: boolean): void {
    connection.lastActiveAt = Date.now();
    armTimers(connection);
    // larger messages never get here: the socket closes with 1009 (maxPayload), as API Gateway's does
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
    const body = isBinary ? bytes.toString('base64') : bytes.toString('utf8');
    let routeKey = '$default';
    if (!isBinary) {
      try {
        const parsed = frameAction.safeParse(JSON.parse(body));
        if (parsed.success && socketActions.some((a) => a === parsed.data.action)) routeKey = parsed.data.action;
      } catch {
        // Not JSON: route selection falls back to $default, as in API Gateway.
      }
    }
    const context = { ...baseContext(connection, routeKey, 'MESSAGE'), messageId: requestId(), authorizer: connection.authorizer };
    options.invoker.invoke(socketRoutes.action, { requestContext: context, body, isBase64Encoded: isBinary }).catch((error: unknown) => {
      options.log(`${routeKey} failed: ${describe(error)}`);
      if (connection.socket.readyState === connection.socket.OPEN) {
        connection.socket.send(JSON.stringify({ message: 'Internal server error', connectionId: connection.id, requestId: context.requestId }));
      }
    });
  }

  /** `POST|GET|DELETE /@connections/{id}` as ApiGatewayManagementApiClient sends them. */
  async function manage(req: IncomingMessage, res: ServerResponse, connectionId: string): Promise<void> {
    const connection = connections.get(connectionId);
    const answer = (status: number, body?: unknown, errorType?: string) => {
      if (errorType) res.setHeader('x-amzn-errortype', errorType);
      const text = body === undefined ? '' : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    };
    let data: Buffer;
    try {
      data = await readBody(req, 16 * maxFrameBytes);
    } catch (error) {
      if (error instanceof BodyTooLarge) return answer(413, { message: 'Message too long' }, 'PayloadTooLargeException');
      throw error;
    }
    if (!connection || connection.socket.readyState !== connection.socket.OPEN) return answer(410, { message: 'Gone' }, 'GoneException');
    switch (req.method) {
      case 'POST':
        if (data.length > maxFrameBytes) return answer(413, { message: 'Message too long' }, 'PayloadTooLargeException');
        connection.socket.send(data.toString('utf8'));
        return answer(200);
      case 'GET':
        return answer(200, {
          connectedAt: new Date(connection.connectedAt).toISOString(),
          identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
          lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
        });
      case 'DELETE':
        connection.socket.close(1000, 'Closed by the backend');
        return answer(204);
      default:
        return answer(405, { message: `${req.method} not allowed` }, 'ForbiddenException');
    }
  }

  return {
    upgrade,
    manage,
    /** Closes every socket and waits (bounded) for their `$disconnect` handlers. */
    async close(): Promise<void> {
      const closed = [...connections.values()].map(
        (c) => new Promise<void>((resolve) => {
          c.socket.once('close', () => resolve());
          c.socket.close(1001, 'Going away');
        }),
      );
      const bounded = (all: Promise<unknown>[]) =>
        Promise.race([Promise.allSettled(all), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      await bounded(closed);
      for (const client of server.clients) client.terminate();
      await bounded([...disconnecting]);
      server.close();
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
