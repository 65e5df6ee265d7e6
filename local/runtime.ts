import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import type { Env } from '../functions/shared/env';
import { queues, secretsPrefixDefault } from '../functions/shared/resources';
import { httpRoutes, queueConsumers } from '../functions/shared/routes';
import { closeServer, startControlPlane } from './control-plane';
import { loadDevTokens, tokenRequest } from './dev-tokens';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { startEventSourceMapping, type EventSourceMapping } from './event-source-mapping';
import { createInvoker, handlersFromDirectory, type HandlerLoader } from './handlers';
import { createHttpApi, plain } from './http-api';
import { ensureQueues, ensureTable } from './provision';
import { createWebSocketApi } from './websocket-api';
import { readBody } from './aws-wire';
import { consoleFiles } from './static';
import { startS3Gateway } from './s3-gateway';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

export interface RuntimeOptions {
  /** Project root; `.omnichat/` and `functions/` are resolved from it. Default: the working directory. */
  rootDir?: string;
  /** Public HTTP/WebSocket port on 127.0.0.1; 0 picks a free one. Default 3000. */
  port?: number;
  /** Keep everything in memory instead of `.omnichat/`. */
  inMemory?: boolean;
  /** Where persisted state lives. Default `<rootDir>/.omnichat`. */
  dataDir?: string;
  /** Prefix of the table and queue names, so runtimes can share one DynamoDB Local and SQS emulator. */
  resourcePrefix?: string;
  /** Use this DynamoDB instead of spawning DynamoDB Local. */
  dynamodbEndpoint?: string;
  /** Use this SQS endpoint instead of starting fauxqs in-process. */
  sqsEndpoint?: string;
  /** Directory holding `<handler id>.ts` modules. Default `<rootDir>/functions`. */
  handlersDir?: string;
  /**
   * Overrides how handler modules are loaded (wins over handlersDir). Needed when running in-process
   * under Jest, whose CommonJS transform cannot `import()` a file URL; pass `sqsEndpoint` there too.
   */
  loadHandler?: HandlerLoader;
  /** Concurrent pollers per queue. Default 3. */
  pollersPerQueue?: number;
  /** Seconds before a failed SQS record is visible again. Default 2. */
  retryDelaySeconds?: number;
  /** WebSocket idle timeout and maximum connection age in ms; 0 (default) = off. */
  socketIdleTimeoutMs?: number;
  socketMaxConnectionMs?: number;
  /** Source of GRAPH_API_URL / TELEGRAM_API_URL. Default process.env. */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** More HTTP routes, answered before the API (the demo's sandbox); resolves true when it answered. */
  extraRoutes?: (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;
  /** GRAPH_API_URL from the runtime's own base URL (the demo answers the Graph API itself). */
  graphApiUrl?: (baseUrl: string) => string;
}

export interface Runtime {
  baseUrl: string;
  wsUrl: string;
  /** Where the emulated AWS services answer (also served at GET /dev/endpoints). */
  endpoints: { dynamodb: string; sqs: string; secretsManager: string; eventBridge: string; s3: string };
  /** Pid of the DynamoDB Local java process this runtime spawned, if any. */
  dynamodbPid?: number;
  /** The environment the handlers see. */
  handlerEnv: Env;
  stop(): Promise<void>;
}

const region = 'us-east-1';
const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Starts the whole backend on this machine: DynamoDB Local, the SQS emulator, emulated control planes,
 * SQS event source mappings, the HTTP API and the WebSocket API, all running the real handler modules.
 * Handlers read the same environment variables as in AWS; it is written to process.env before any
 * handler module loads (they load on their first event, like a cold start).
 */
export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  const rootDir = resolve(options.rootDir ?? process.cwd());
  const dataDir = options.inMemory ? undefined : resolve(options.dataDir ?? join(rootDir, '.omnichat'));
  const prefix = options.resourcePrefix ?? '';
  const log = options.log ?? ((line: string) => console.error(line));
  const source = options.env ?? process.env;
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse().splice(0)) {
      await cleanup().catch((error: unknown) => log(`Stopping failed: ${String(error)}`));
    }
  };

  try {
    let dynamodb: DynamoDbLocal | undefined;
    let dynamodbEndpoint = options.dynamodbEndpoint;
    if (!dynamodbEndpoint) {
      dynamodb = await startDynamoDbLocal({ dataDir: dataDir && join(dataDir, 'dynamodb') });
      const started = dynamodb;
      cleanups.push(() => started.stop());
      dynamodbEndpoint = dynamodb.endpoint;
    }

    let sqsEndpoint = options.sqsEndpoint;
    if (!sqsEndpoint) {
      // Queued messages (pending timers among them) persist in SQLite under the data directory, like
      // SQS keeps them; in memory only with OMNICHAT_IN_MEMORY.
      const { startFauxqs } = await import('fauxqs');
      const fauxqs = await startFauxqs({ port: 0, logger: false, host: 'localhost', ...(dataDir ? { dataDir: join(dataDir, 'sqs') } : {}) });
      cleanups.push(() => fauxqs.stop());
      sqsEndpoint = fauxqs.address;
    }

    // The attachment bucket lives in the same emulator (fauxqs emulates S3 too), behind a gateway
    // that checks presigned URLs as S3 does (fauxqs checks no signature; see local/s3-gateway.ts).
    let consoleOrigin = '';
    const s3Gateway = await startS3Gateway({ upstream: sqsEndpoint, credentials: { [localCredentials.accessKeyId]: localCredentials.secretAccessKey }, allowedOrigins: () => [consoleOrigin], log });
    cleanups.push(() => s3Gateway.stop());
    const attachmentsBucket = `${prefix}omnichat-attachments`.toLowerCase().replace(/_/g, '-');
    const s3 = new S3Client({ endpoint: sqsEndpoint, region, credentials: localCredentials, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: attachmentsBucket }));
    s3.destroy();

    const invoker = createInvoker(options.loadHandler ?? handlersFromDirectory(options.handlersDir ?? join(rootDir, 'functions')));
    const sqs = new SQSClient({ endpoint: sqsEndpoint, region, credentials: localCredentials });
    const ddb = new DynamoDBClient({ endpoint: dynamodbEndpoint, region, credentials: localCredentials });
    cleanups.push(async () => {
      sqs.destroy();
      ddb.destroy();
    });

    const tableName = `${prefix}omnichat`;
    await ensureTable(ddb, tableName);
    const provisioned = await ensureQueues(sqs, prefix);

    const controlPlane = await startControlPlane({ region, dataDir, log });
    cleanups.push(() => controlPlane.stop());

    const sockets = createWebSocketApi({
      invoker,
      log,
      idleTimeoutMs: options.socketIdleTimeoutMs,
      maxConnectionMs: options.socketMaxConnectionMs,
    });
    const httpApi = createHttpApi({ routes: httpRoutes, invoker, log });
    const serveConsole = consoleFiles(rootDir, () => [s3Gateway.endpoint]);
    let devTokens: Awaited<ReturnType<typeof loadDevTokens>> | undefined;
    let endpoints: Runtime['endpoints'] | undefined;

    const server = createServer((req, res) => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const management = /^(?:\/[^/@]+)?\/@connections\/([^/]+)$/.exec(url.pathname);
        if (management?.[1]) return sockets.manage(req, res, decodeURIComponent(management[1]));
        if (url.pathname === '/dev/jwks.json' && req.method === 'GET' && devTokens) return plain(res, 200, devTokens.jwks);
        if (url.pathname === '/dev/events' && req.method === 'GET') return plain(res, 200, { events: controlPlane.events.events() });
        if (url.pathname === '/dev/endpoints' && req.method === 'GET') {
          // Local only, for tests and benchmarks on this machine: a page served from another host name
          // (DNS rebinding) is refused, and the answer says what it is; it holds addresses, never secrets.
          if (!/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i.test(req.headers.host ?? '')) return plain(res, 403, { message: 'Forbidden' });
          res.setHeader('cache-control', 'no-store');
          return plain(res, 200, { local: true, note: 'Local runtime only: the emulated AWS endpoints on this machine. Not part of any deployment.', ...endpoints });
        }
        if (url.pathname === '/dev/token' && req.method === 'POST' && devTokens) {
          let input: unknown;
          try {
            input = JSON.parse((await readBody(req, 64 * 1024)).toString('utf8'));
          } catch {
            return plain(res, 400, { error: { code: 'validation_failed', message: 'Body must be JSON', details: [] } });
          }
          const parsed = tokenRequest.safeParse(input);
          if (!parsed.success) {
            const details = parsed.error.issues.map((i) => ({ field: i.path.join('.'), message: i.message }));
            return plain(res, 400, { error: { code: 'validation_failed', message: 'Invalid token request', details } });
          }
          return plain(res, 200, { token: await devTokens.issue(parsed.data) });
        }
        if (await serveConsole(req, res, url)) return;
        if (options.extraRoutes && (await options.extraRoutes(req, res, url))) return;
        return httpApi(req, res, url);
      })().catch((error: unknown) => {
        log(`Request ${req.method} ${req.url} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        if (!res.headersSent) plain(res, 500, { message: 'Internal Server Error' });
        else res.destroy();
      });
    });
    server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== '/ws') {
        socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
        return;
      }
      sockets.upgrade(req, socket, head, url).catch((error: unknown) => {
        log(`WebSocket upgrade failed: ${String(error)}`);
        socket.destroy();
      });
    });
    const port = options.port ?? 3000;
    await new Promise<void>((resolvePromise, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolvePromise());
    });
    cleanups.push(async () => {
      await sockets.close();
      await closeServer(server);
    });
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    consoleOrigin = baseUrl;

    const handlerEnv: Env = {
      TABLE_NAME: tableName,
      INBOUND_QUEUE_URL: provisioned.inbound.url,
      OUTBOUND_QUEUE_URL: provisioned.outbound.url,
      INBOUND_DLQ_URL: provisioned.inbound.dlq.url,
      OUTBOUND_DLQ_URL: provisioned.outbound.dlq.url,
      SOCKET_CALLBACK_URL: baseUrl,
      EVENT_BUS_NAME: `${prefix}omnichat`,
      TIMER_QUEUE_URL: provisioned.timer.url,
      SECRETS_PREFIX: secretsPrefixDefault,
      GRAPH_API_URL: options.graphApiUrl?.(baseUrl) ?? (source.GRAPH_API_URL || 'https://graph.facebook.com/v23.0'),
      TELEGRAM_API_URL: source.TELEGRAM_API_URL || 'https://api.telegram.org',
      JWT_ISSUER: `${baseUrl}/dev`,
      JWKS_URI: `${baseUrl}/dev/jwks.json`,
      JWT_AUDIENCE: 'omnichat-local',
      PUBLIC_API_URL: baseUrl,
      ATTACHMENTS_BUCKET: attachmentsBucket,
    };
    Object.assign(process.env, handlerEnv, {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
      AWS_ENDPOINT_URL_SQS: sqsEndpoint,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: controlPlane.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: controlPlane.endpoint,
      AWS_ENDPOINT_URL_S3: s3Gateway.endpoint,
      AWS_EC2_METADATA_DISABLED: 'true',
      // business metrics are written as embedded-metric log lines, as in Lambda
      POWERTOOLS_METRICS_NAMESPACE: source.POWERTOOLS_METRICS_NAMESPACE || 'Omnichat/local',
      // Handlers share this process and run concurrently: Powertools scopes its state per invocation.
      AWS_LAMBDA_MAX_CONCURRENCY: '1000',
    });
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    endpoints = {
      dynamodb: dynamodbEndpoint,
      sqs: sqsEndpoint,
      secretsManager: controlPlane.endpoint,
      eventBridge: controlPlane.endpoint,
      s3: s3Gateway.endpoint,
    };
    devTokens = await loadDevTokens(dataDir && join(dataDir, 'keys.json'), handlerEnv.JWT_ISSUER);

    const mappings: EventSourceMapping[] = (['inbound', 'outbound', 'timer'] as const).map((name) =>
      startEventSourceMapping({
        sqs,
        queueUrl: provisioned[name].url,
        queueArn: provisioned[name].arn,
        region,
        batchSize: queues.batchSize,
        pollers: options.pollersPerQueue ?? 3,
        visibilityTimeoutSeconds: queues.consumerTimeoutSeconds,
        retryDelaySeconds: options.retryDelaySeconds ?? 2,
        invoke: (event: SQSEvent) => invoker.invoke(queueConsumers[name], event, queues.consumerTimeoutSeconds * 1000),
        log,
      }),
    );
    // Pollers stop before the servers and emulators they talk to.
    cleanups.push(async () => {
      await Promise.all(mappings.map((m) => m.stop()));
    });

    return {
      baseUrl,
      wsUrl: `${baseUrl.replace(/^http/, 'ws')}/ws`,
      endpoints,
      dynamodbPid: dynamodb?.pid,
      handlerEnv,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
