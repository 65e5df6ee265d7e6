/**
 * An HTTP stand-in in front of DynamoDB Local or the SQS emulator that fails like AWS does.
 *
 *   const proxy = await startFaultProxy({ target: dynamodbEndpoint, service: 'dynamodb' });
 *   proxy.stall();               // every request from now on hangs (no byte answered) until release()
 *   proxy.release();             // held requests go through, new ones too
 *   proxy.faultRate = 0.05;      // 5% of data-plane calls fail: throttling, 5xx, timeouts, resets
 *   proxy.counts                 // { requests, faults: { throttle, serverError, timeoutBefore, timeoutAfter, resetAfter } }
 *   await proxy.stop();
 *
 * Faults use the AWS JSON protocol's wire shape (status, `x-amzn-ErrorType`, `__type` body, and for
 * SQS `x-amzn-query-error`), so the SDK classifies and retries them as it would in AWS.
 * "timeout-after" and "reset-after" forward the request first (it takes effect) and lose the answer:
 * the caller cannot tell whether its write happened, as with a real network fault.
 * The Host header is passed on unchanged, so queue URLs the emulator builds point at the proxy.
 * Calls that create or describe tables and queues are never faulted (start-up is not under test).
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export type FaultKind = 'throttle' | 'serverError' | 'timeoutBefore' | 'timeoutAfter' | 'resetAfter';
const kinds: FaultKind[] = ['throttle', 'serverError', 'timeoutBefore', 'timeoutAfter', 'resetAfter'];

export interface FaultProxyOptions {
  target: string;
  service: 'dynamodb' | 'sqs';
  /** Share of data-plane calls that fail (0..1). Default 0. */
  faultRate?: number;
  /** How long a "timed out" request is held before its socket is destroyed (the client normally gives up first). */
  hangMs?: number;
  /** Random source, for reproducible runs. */
  random?: () => number;
}

export interface FaultProxy {
  url: string;
  faultRate: number;
  counts: { requests: number; faults: Record<FaultKind, number> };
  /** Holds every request from now on until release(). */
  stall(): void;
  release(): void;
  stop(): Promise<void>;
}

const neverFaulted = /^(CreateTable|DescribeTable|ListTables|UpdateTimeToLive|DescribeTimeToLive|CreateQueue|GetQueueUrl|GetQueueAttributes|SetQueueAttributes|ListQueues)$/;

function operationOf(req: IncomingMessage, body: Buffer): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop() ?? target;
  return /(?:^|&)Action=([^&]+)/.exec(body.toString('utf8'))?.[1] ?? 'unknown';
}

function awsError(res: ServerResponse, service: 'dynamodb' | 'sqs', status: number, type: string, message: string, fault: 'Sender' | 'Receiver'): void {
  const requestId = randomUUID();
  const prefix = service === 'dynamodb' ? (type === 'ThrottlingException' ? 'com.amazon.coral.availability' : 'com.amazonaws.dynamodb.v20120810') : 'com.amazonaws.sqs';
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': requestId,
    'x-amzn-errortype': `${type}:`,
    ...(service === 'sqs' ? { 'x-amzn-query-error': `${type === 'ThrottlingException' ? 'RequestThrottled' : type};${fault}` } : {}),
  });
  res.end(JSON.stringify({ __type: `${prefix}#${type}`, message }));
}

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  const random = options.random ?? Math.random;
  const hangMs = options.hangMs ?? 10_000;
  let held: Array<() => void> | undefined;
  const open = new Set<import('node:net').Socket>();

  const forward = (req: IncomingMessage, body: Buffer, onAnswer: (status: number, headers: IncomingMessage['headers'], answer: Buffer) => void, onError: () => void) => {
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => onAnswer(answer.statusCode ?? 502, answer.headers, Buffer.concat(chunks)));
        answer.on('error', onError);
      },
    );
    upstream.on('error', onError);
    upstream.end(body);
  };

  const hang = (res: ServerResponse) => {
    const timer = setTimeout(() => res.destroy(), hangMs);
    res.on('close', () => clearTimeout(timer));
  };

  const proxy: FaultProxy = {
    url: '',
    faultRate: options.faultRate ?? 0,
    counts: { requests: 0, faults: { throttle: 0, serverError: 0, timeoutBefore: 0, timeoutAfter: 0, resetAfter: 0 } },
    stall: () => {
      held ??= [];
    },
    release: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const go of waiting) go();
    },
    stop: async () => {
      proxy.release();
      for (const socket of open) socket.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const handle = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    if (held) {
      held.push(() => handle(req, res, body));
      return;
    }
    proxy.counts.requests += 1;
    const operation = operationOf(req, body);
    const fault = !neverFaulted.test(operation) && random() < proxy.faultRate ? kinds[Math.floor(random() * kinds.length)] : undefined;
    if (fault) proxy.counts.faults[fault] += 1;
    switch (fault) {
      case 'throttle':
        return options.service === 'dynamodb' && random() < 0.5
          ? awsError(res, 'dynamodb', 400, 'ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.', 'Sender')
          : awsError(res, options.service, 400, 'ThrottlingException', 'Rate of requests exceeds the allowed throughput.', 'Sender');
      case 'serverError':
        return options.service === 'dynamodb'
          ? awsError(res, 'dynamodb', 500, 'InternalServerError', 'Internal server error', 'Receiver')
          : awsError(res, 'sqs', 500, 'InternalError', 'We encountered an internal error. Please try again.', 'Receiver');
      case 'timeoutBefore':
        return hang(res);
      case 'timeoutAfter':
        return forward(req, body, () => hang(res), () => res.destroy());
      case 'resetAfter':
        return forward(req, body, () => res.destroy(), () => res.destroy());
      default:
        return forward(
          req,
          body,
          (status, headers, answer) => {
            if (res.destroyed) return;
            const { 'transfer-encoding': _te, connection: _c, ...rest } = headers;
            res.writeHead(status, { ...rest, 'content-length': String(answer.length) });
            res.end(answer);
          },
          () => res.destroy(),
        );
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks)));
  });
  server.on('connection', (socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
