/**
 * The processes of the ingest benchmark, each started by bench/ingest.ts as a child of its own, as
 * Lambdas run apart in AWS:
 *
 *   api        the local runtime (HTTP API, WebSocket API, control planes, the real handlers) with no
 *              SQS pollers: nothing in this process consumes a queue. Prints its base URL and the
 *              environment its handlers see.
 *   consumers  the SQS event source mappings of the inbound, outbound and timer queues and their real
 *              handlers (router, sender, timer), with the environment the api process printed, so they
 *              use its table, queues, secrets and @connections endpoint.
 *   floor      a bare node:http webhook: checks X-Hub-Signature-256 and does one SendMessage to the
 *              inbound FIFO queue. Its messages carry the attribute `bench-floor`; the consumers
 *              acknowledge those without routing them (they are not envelopes the router knows).
 *
 * `node --import tsx bench/ingest-processes.ts <role>`; settings come in OMNICHAT_BENCH_* variables.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { z } from 'zod';
import { queues } from '../functions/shared/resources';
import { queueConsumers } from '../functions/shared/routes';
import { startEventSourceMapping } from '../local/event-source-mapping';
import { createInvoker, handlersFromDirectory } from '../local/handlers';
import { ensureQueues } from '../local/provision';
import { startRuntime } from '../local/runtime';
import { benchProcessReady as readyLine, projectRoot } from './support';

const floorAttribute = 'bench-floor';

const settings = z.object({
  OMNICHAT_BENCH_PREFIX: z.string().min(1),
  OMNICHAT_BENCH_DYNAMODB_ENDPOINT: z.string().url(),
  OMNICHAT_BENCH_SQS_ENDPOINT: z.string().url(),
  /** consumers: the handler environment the api process printed (JSON). */
  OMNICHAT_BENCH_HANDLER_ENV: z.string().optional(),
  /** floor: the Meta app secret and the inbound queue URL. */
  OMNICHAT_BENCH_APP_SECRET: z.string().optional(),
  OMNICHAT_BENCH_QUEUE_URL: z.string().optional(),
});

const region = 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const log = (line: string) => console.error(line);

async function api(config: z.infer<typeof settings>): Promise<() => Promise<void>> {
  const runtime = await startRuntime({
    rootDir: projectRoot,
    port: 0,
    inMemory: true,
    resourcePrefix: config.OMNICHAT_BENCH_PREFIX,
    dynamodbEndpoint: config.OMNICHAT_BENCH_DYNAMODB_ENDPOINT,
    sqsEndpoint: config.OMNICHAT_BENCH_SQS_ENDPOINT,
    // the queues are consumed in the consumers process
    pollersPerQueue: 0,
    log,
  });
  // What the handlers here see (startRuntime wrote it to process.env): the consumers get the same.
  const handlerEnv = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => key in runtime.handlerEnv || key.startsWith('AWS_') || key === 'POWERTOOLS_METRICS_NAMESPACE'),
  );
  console.log(`handler env ${JSON.stringify(handlerEnv)}`);
  console.log(`${readyLine} at ${runtime.baseUrl}`);
  return () => runtime.stop();
}

async function consumers(config: z.infer<typeof settings>): Promise<() => Promise<void>> {
  const handlerEnv = z.record(z.string(), z.string()).parse(JSON.parse(config.OMNICHAT_BENCH_HANDLER_ENV ?? '{}'));
  Object.assign(process.env, handlerEnv);
  const sqs = new SQSClient({ endpoint: config.OMNICHAT_BENCH_SQS_ENDPOINT, region, credentials });
  const provisioned = await ensureQueues(sqs, config.OMNICHAT_BENCH_PREFIX);
  const invoker = createInvoker(handlersFromDirectory(join(projectRoot, 'functions')));
  const mappings = (['inbound', 'outbound', 'timer'] as const).map((name) =>
    startEventSourceMapping({
      sqs,
      queueUrl: provisioned[name].url,
      queueArn: provisioned[name].arn,
      region,
      batchSize: queues.batchSize,
      pollers: 3,
      visibilityTimeoutSeconds: queues.consumerTimeoutSeconds,
      retryDelaySeconds: 2,
      log,
      invoke: async (event: SQSEvent) => {
        // the floor's messages are acknowledged here; everything else goes to the real consumer
        const records = event.Records.filter((r) => r.messageAttributes[floorAttribute] === undefined);
        if (records.length === 0) return { batchItemFailures: [] } satisfies SQSBatchResponse;
        return invoker.invoke(queueConsumers[name], { Records: records }, queues.consumerTimeoutSeconds * 1000);
      },
    }),
  );
  console.log(`${readyLine}`);
  return async () => {
    await Promise.all(mappings.map((m) => m.stop()));
    sqs.destroy();
  };
}

const signatureHeader = /^sha256=([0-9a-f]{64})$/i;
const senderOf = z.object({ entry: z.array(z.object({ messaging: z.array(z.object({ sender: z.object({ id: z.string() }) })).min(1) })).min(1) });

async function floor(config: z.infer<typeof settings>): Promise<() => Promise<void>> {
  const secret = config.OMNICHAT_BENCH_APP_SECRET ?? '';
  const queueUrl = config.OMNICHAT_BENCH_QUEUE_URL ?? '';
  const sqs = new SQSClient({ endpoint: config.OMNICHAT_BENCH_SQS_ENDPOINT, region, credentials });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const match = signatureHeader.exec(String(req.headers['x-hub-signature-256'] ?? ''));
        const expected = createHmac('sha256', secret).update(raw).digest();
        const received = Buffer.from(match?.[1] ?? '', 'hex');
        if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
          res.writeHead(401).end();
          return;
        }
        // one message group per conversation, as the product's webhook does
        const parsed = senderOf.safeParse(JSON.parse(raw.toString('utf8')));
        if (!parsed.success) {
          res.writeHead(400).end();
          return;
        }
        const body = raw.toString('utf8');
        await sqs.send(
          new SendMessageCommand({
            QueueUrl: queueUrl,
            MessageBody: body,
            MessageGroupId: parsed.data.entry[0]?.messaging[0]?.sender.id,
            MessageDeduplicationId: createHash('sha256').update(raw).digest('hex'),
            MessageAttributes: { [floorAttribute]: { DataType: 'String', StringValue: '1' } },
          }),
        );
        res.writeHead(200, { 'content-type': 'text/plain' }).end('EVENT_RECEIVED');
      })().catch(() => {
        if (!res.headersSent) res.writeHead(503).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  console.log(`${readyLine} at http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    sqs.destroy();
  };
}

const role = process.argv[2];
const roles = { api, consumers, floor } as const;
if (role === 'api' || role === 'consumers' || role === 'floor') {
  const config = settings.parse(process.env);
  const stop = await roles[role](config);
  let stopping = false;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    void stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // the benchmark that started this process is gone: stop too
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) shutdown();
  }, 500).unref();
} else if (role !== undefined) {
  console.error(`unknown role ${role}: api, consumers or floor`);
  process.exit(1);
}
