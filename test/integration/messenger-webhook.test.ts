import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { signMetaBody } from '../../functions/domain/signature';
import { messengerText } from '../support/webhooks';
import { createTestQueues, createTestTable, sqs, sqsEndpoint, startAwsControlPlane, useLocalAwsEnv } from '../support/aws';

/** The webhook function itself, on DynamoDB Local, the SQS emulator and the emulated Secrets Manager. */
const appSecret = 'webhook-test-secret';
const raw = readFileSync(resolve(__dirname, '../fixtures/messenger/batch-two-pages.json'), 'utf8');

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const controlPlanes: { stop(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(controlPlanes.map((c) => c.stop()));
});

async function loadWebhook(env: Record<string, string>): Promise<Handler> {
  const controlPlane = await startAwsControlPlane();
  controlPlanes.push(controlPlane);
  useLocalAwsEnv({ ...env, SECRETS_PREFIX: 'test', POWERTOOLS_LOG_LEVEL: 'SILENT' }, controlPlane);
  await new SecretsManagerClient({}).send(new CreateSecretCommand({ Name: 'test/messenger-app/4242', SecretString: appSecret }));
  let handler: Handler | undefined;
  await jest.isolateModulesAsync(async () => {
    const { DynamoDirectory } = await import('../../functions/adapters/dynamodb/directory');
    const { table } = await import('../../functions/composition-root');
    await new DynamoDirectory(table()).createMessengerApp({ appId: '4242', verifyToken: 'vt', createdAt: '2026-01-01T00:00:00.000Z' });
    handler = (await import('../../functions/ingest/messenger-webhook')).handler as unknown as Handler;
  });
  return handler!;
}

function webhookEvent(body: string, signature: string | undefined, base64 = false): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /webhooks/messenger/{appId}',
    rawPath: '/webhooks/messenger/4242',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...(signature ? { 'x-hub-signature-256': signature } : {}) },
    pathParameters: { appId: '4242' },
    body: base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
    requestContext: {} as APIGatewayProxyEventV2['requestContext'],
  };
}

const context = { functionName: 'messenger-webhook', awsRequestId: 'test' } as Context;

describe('Messenger webhook function', () => {
  it('enqueues every event of every Page, one FIFO message group per conversation, from a base64 body', async () => {
    // given
    const queues = await createTestQueues();
    const handler = await loadWebhook({ TABLE_NAME: await createTestTable(), INBOUND_QUEUE_URL: queues.inbound.url });
    // when
    const result = await handler(webhookEvent(raw, signMetaBody(raw, appSecret), true), context);
    // then
    expect(result).toMatchObject({ statusCode: 200, body: 'EVENT_RECEIVED' });
    const received = await sqs().send(
      new ReceiveMessageCommand({ QueueUrl: queues.inbound.url, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['MessageGroupId'], WaitTimeSeconds: 1 }),
    );
    const groups = (received.Messages ?? []).map((m) => m.Attributes?.MessageGroupId).sort();
    expect(groups).toEqual(['messenger:105123456789012:7215551234567890', 'messenger:208765432109876:6103339876543210']);
  });

  it('answers 503 when the queue does not take the events, so Meta retries', async () => {
    const handler = await loadWebhook({ TABLE_NAME: await createTestTable(), INBOUND_QUEUE_URL: `${sqsEndpoint()}/000000000000/missing.fifo` });
    const result = await handler(webhookEvent(raw, signMetaBody(raw, appSecret)), context);
    expect(result.statusCode).toBe(503);
    expect(JSON.parse(result.body ?? '{}')).toMatchObject({ error: { code: 'enqueue_failed' } });
  });

  it('refuses a body signed with another secret before anything is enqueued', async () => {
    const queues = await createTestQueues();
    const handler = await loadWebhook({ TABLE_NAME: await createTestTable(), INBOUND_QUEUE_URL: queues.inbound.url });
    const result = await handler(webhookEvent(raw, signMetaBody(raw, 'not-the-secret')), context);
    expect(result.statusCode).toBe(401);
    const received = await sqs().send(new ReceiveMessageCommand({ QueueUrl: queues.inbound.url, WaitTimeSeconds: 1 }));
    expect(received.Messages ?? []).toEqual([]);
  });

  it('replaces U+FFFE and U+FFFF with U+FFFD in what it enqueues, keeping every emoji', async () => {
    const queues = await createTestQueues();
    const handler = await loadWebhook({ TABLE_NAME: await createTestTable(), INBOUND_QUEUE_URL: queues.inbound.url });
    const text = 'Olá 😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳 \uFFFE\uFFFF end';
    const body = JSON.stringify(messengerText({ pageId: '105123456789012', psid: '7215551234567890', text }));
    const result = await handler(webhookEvent(body, signMetaBody(body, appSecret)), context);
    expect(result.statusCode).toBe(200);
    const received = await sqs().send(new ReceiveMessageCommand({ QueueUrl: queues.inbound.url, WaitTimeSeconds: 1 }));
    expect(JSON.parse(received.Messages?.[0]?.Body ?? '{}').event.text).toBe('Olá 😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳 \uFFFD\uFFFD end');
  });

  it('enqueues ten events whose envelopes exceed 1 MiB together in batches SQS takes, all of them', async () => {
    const queues = await createTestQueues();
    const handler = await loadWebhook({ TABLE_NAME: await createTestTable(), INBOUND_QUEUE_URL: queues.inbound.url });
    const now = Date.now();
    const events = Array.from({ length: 10 }, (_, i) => ({
      sender: { id: `72155512345678${String(i).padStart(2, '0')}` },
      recipient: { id: '105123456789012' },
      timestamp: now,
      message: { mid: `m_${String(i)}_${'x'.repeat(240)}`, text: '' },
    }));
    const skeleton = Buffer.byteLength(JSON.stringify({ object: 'page', entry: [{ id: '105123456789012', time: now, messaging: events }] }));
    const each = Math.floor((1024 * 1024 - skeleton) / 10);
    for (const event of events) event.message.text = '😀'.repeat(Math.floor(each / 4));
    const body = JSON.stringify({ object: 'page', entry: [{ id: '105123456789012', time: now, messaging: events }] });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(1024 * 1024);
    // a slow queue may make the webhook answer 503 within its deadline; Meta then delivers again
    let result = await handler(webhookEvent(body, signMetaBody(body, appSecret)), context);
    for (let retry = 0; retry < 3 && result.statusCode === 503; retry++) result = await handler(webhookEvent(body, signMetaBody(body, appSecret)), context);
    expect(result.statusCode).toBe(200);
    const bodies: string[] = [];
    // every event once, however many deliveries it took (the queue deduplicates them)
    for (let i = 0; i < 6; i++) {
      const received = await sqs().send(new ReceiveMessageCommand({ QueueUrl: queues.inbound.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      bodies.push(...(received.Messages ?? []).map((m) => m.Body ?? ''));
    }
    expect(bodies).toHaveLength(10);
    expect(bodies.reduce((sum, b) => sum + Buffer.byteLength(b), 0)).toBeGreaterThan(1024 * 1024);
  });

  it('takes a body signed with an app secret an admin just rotated, while the old one is still cached', async () => {
    const queues = await createTestQueues();
    const handler = await loadWebhook({ TABLE_NAME: await createTestTable(), INBOUND_QUEUE_URL: queues.inbound.url });
    const first = await handler(webhookEvent(raw, signMetaBody(raw, appSecret)), context);
    expect({ status: first.statusCode, body: first.body }).toEqual({ status: 200, body: 'EVENT_RECEIVED' });
    // when the secret is rotated (PATCH /api/messenger-apps/{appId} writes Secrets Manager)
    await new SecretsManagerClient({}).send(new PutSecretValueCommand({ SecretId: 'test/messenger-app/4242', SecretString: 'rotated-secret-🔑' }));
    // then the new signature is taken at once, and the old secret no longer is
    expect((await handler(webhookEvent(raw, signMetaBody(raw, 'rotated-secret-🔑')), context)).statusCode).toBe(200);
    expect((await handler(webhookEvent(raw, signMetaBody(raw, appSecret)), context)).statusCode).toBe(401);
    // and a stream of forged signatures reads the secret again at most once in 30 s
    for (let i = 0; i < 5; i++) expect((await handler(webhookEvent(raw, signMetaBody(raw, `forged-${i}`)), context)).statusCode).toBe(401);
  });

  it('answers 404 for an app id no admin could register, before any lookup', async () => {
    const handler = await loadWebhook({ TABLE_NAME: await createTestTable(), INBOUND_QUEUE_URL: `${sqsEndpoint()}/000000000000/missing.fifo` });
    const event = { ...webhookEvent(raw, signMetaBody(raw, appSecret)), pathParameters: { appId: '4'.repeat(5000) } };
    const result = await handler(event, context);
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body ?? '{}')).toMatchObject({ error: { code: 'not_found' } });
  });
});
