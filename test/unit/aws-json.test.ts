import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  AwsJsonClient,
  AwsServiceError,
  awsEndpoint,
  backoffMillis,
  dynamodbService,
  errorTypeOf,
  secretsManagerService,
  sqsService,
} from '../../functions/adapters/aws-json';
import { webhookBudget } from '../../functions/adapters/client-budget';
import { fetchSecretSource } from '../../functions/adapters/fetch-secrets';
import { FetchInboundQueue } from '../../functions/adapters/fetch-inbound-queue';
import { EnqueueFailed } from '../../functions/adapters/inbound-entries';
import { SecretCache } from '../../functions/adapters/secret-cache';
import type { InboundEnvelope } from '../../functions/domain/inbound';

/**
 * The webhooks' AWS client over fetch, against a local HTTP server that answers as AWS does, fails,
 * throttles or stalls.
 */

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Answer = (seen: Seen, res: ServerResponse) => void;

let server: Server;
let endpoint: string;
let seen: Seen[] = [];
let answers: Answer[] = [];

const ok =
  (body: unknown): Answer =>
  (_s, res) => {
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end(JSON.stringify(body));
  };
const awsError =
  (status: number, type: string, message = 'it failed', header?: string): Answer =>
  (_s, res) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', ...(header ? { 'x-amzn-errortype': header } : {}) }).end(JSON.stringify({ __type: type, message }));
  };
const stall: Answer = () => undefined;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(s);
      (answers.shift() ?? ok({}))(s, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen = [];
  answers = [];
});

const env = () => ({
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  AWS_SESSION_TOKEN: 'IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJH+session',
  AWS_ENDPOINT_URL_DYNAMODB: endpoint,
  AWS_ENDPOINT_URL_SQS: endpoint,
  AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
});
function bytesOf(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** SHA-256 for the SDK's signer, from node:crypto. */
class NodeSha256 {
  private hash: Hash | Hmac;
  private readonly secret?: string | Uint8Array;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret = secret === undefined ? undefined : bytesOf(secret);
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

const client = (service = dynamodbService, budget = webhookBudget) => new AwsJsonClient(service, { budget, env: env(), random: () => 1 });

describe('endpoints as the AWS SDK resolves them', () => {
  const base = { AWS_REGION: 'eu-west-1' };
  it('uses the regional endpoint when nothing is configured', () => {
    expect(awsEndpoint(dynamodbService, base)).toBe('https://dynamodb.eu-west-1.amazonaws.com');
    expect(awsEndpoint(sqsService, base)).toBe('https://sqs.eu-west-1.amazonaws.com');
    expect(awsEndpoint(secretsManagerService, base)).toBe('https://secretsmanager.eu-west-1.amazonaws.com');
    expect(awsEndpoint(sqsService, { AWS_REGION: 'cn-north-1' })).toBe('https://sqs.cn-north-1.amazonaws.com.cn');
  });
  it('prefers AWS_ENDPOINT_URL_<SERVICE> over AWS_ENDPOINT_URL, and ignores both when told to', () => {
    const configured = { ...base, AWS_ENDPOINT_URL: 'http://all:1', AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://secrets:2', AWS_ENDPOINT_URL_SQS: 'http://sqs:3' };
    expect(awsEndpoint(secretsManagerService, configured)).toBe('http://secrets:2');
    expect(awsEndpoint(sqsService, configured)).toBe('http://sqs:3');
    expect(awsEndpoint(dynamodbService, configured)).toBe('http://all:1');
    expect(awsEndpoint(dynamodbService, { ...configured, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' })).toBe('https://dynamodb.eu-west-1.amazonaws.com');
  });
  it('refuses what it does not implement rather than ignoring it', () => {
    expect(() => awsEndpoint(dynamodbService, {})).toThrow('AWS_REGION is not set');
    expect(() => awsEndpoint(dynamodbService, { ...base, AWS_USE_FIPS_ENDPOINT: 'true' })).toThrow('AWS_USE_FIPS_ENDPOINT');
  });
});

describe('signed AWS JSON requests', () => {
  it('posts the JSON with the target, content type and a SigV4 signature the SDK signer agrees with', async () => {
    answers.push(ok({ Item: { pk: { S: 'a' } } }));
    const out = await client().call('GetItem', { TableName: 't', Key: { pk: { S: 'Olá 😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳' } } });
    expect(out).toEqual({ Item: { pk: { S: 'a' } } });
    const [request] = seen;
    expect(request).toMatchObject({ method: 'POST', url: '/' });
    expect(request!.headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
    expect(request!.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(request!.headers['x-amz-security-token']).toBe(env().AWS_SESSION_TOKEN);
    expect(JSON.parse(request!.body)).toEqual({ TableName: 't', Key: { pk: { S: 'Olá 😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳' } } });
    const authorization = String(request!.headers.authorization);
    const date = String(request!.headers['x-amz-date']);
    expect(authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${date.slice(0, 8)}/eu-west-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=[0-9a-f]{64}$`));
    // the SDK's own signer, given the same request and time, computes the same signature
    const signer = new SignatureV4({
      service: 'dynamodb',
      region: 'eu-west-1',
      credentials: { accessKeyId: env().AWS_ACCESS_KEY_ID, secretAccessKey: env().AWS_SECRET_ACCESS_KEY, sessionToken: env().AWS_SESSION_TOKEN },
      sha256: NodeSha256,
      applyChecksum: false,
    });
    const url = new URL(endpoint);
    const signed = await signer.sign(
      {
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        port: Number(url.port),
        path: '/',
        headers: { host: url.host, 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem', 'x-amz-date': date, 'x-amz-security-token': env().AWS_SESSION_TOKEN },
        body: request!.body,
      },
      { signingDate: new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`) },
    );
    expect(authorization.split('Signature=')[1]).toBe(String(signed.headers.authorization).split('Signature=')[1]);
  });

  it('speaks JSON 1.1 with the secretsmanager target prefix to Secrets Manager, 1.0 with AmazonSQS to SQS', async () => {
    await client(secretsManagerService).call('GetSecretValue', { SecretId: 'x' });
    await client(sqsService).call('SendMessageBatch', { QueueUrl: 'q', Entries: [] });
    expect(seen.map((s) => [s.headers['x-amz-target'], s.headers['content-type'], /\/(\w+)\/aws4_request/.exec(String(s.headers.authorization))?.[1]])).toEqual([
      ['secretsmanager.GetSecretValue', 'application/x-amz-json-1.1', 'secretsmanager'],
      ['AmazonSQS.SendMessageBatch', 'application/x-amz-json-1.0', 'sqs'],
    ]);
  });

  it('refuses to sign without credentials', async () => {
    const bare = new AwsJsonClient(dynamodbService, { budget: webhookBudget, env: { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: endpoint } });
    await expect(bare.call('GetItem', {})).rejects.toThrow('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set');
    expect(seen).toHaveLength(0);
  });
});

describe('errors and retries within the webhook budget', () => {
  it('names the error by its AWS type, as the SDK does', () => {
    expect(errorTypeOf(null, { __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException' })).toBe('ResourceNotFoundException');
    expect(errorTypeOf('ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/', {})).toBe('ValidationException');
    expect(errorTypeOf(null, { code: 'AWS.SimpleQueueService.NonExistentQueue,Sender' })).toBe('AWS.SimpleQueueService.NonExistentQueue');
    expect(errorTypeOf(null, {})).toBe('UnknownError');
  });

  it('does not retry a client error, and says what AWS said', async () => {
    answers.push(awsError(400, 'com.amazonaws.dynamodb.v20120810#ValidationException', 'One or more parameter values were invalid'));
    const error = await client().call('GetItem', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ name: 'ValidationException', type: 'ValidationException', status: 400, message: 'GetItem: One or more parameter values were invalid' });
    expect(seen).toHaveLength(1);
  });

  it.each([
    ['a 500', awsError(500, 'InternalServerError')],
    ['a 503 without a body', (_s: Seen, res: ServerResponse) => void res.writeHead(503).end()],
    ['throttling', awsError(400, 'com.amazonaws.dynamodb.v20120810#ThrottlingException')],
    ['exceeded throughput', awsError(400, 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException')],
    ['a throttled SQS request', awsError(400, 'com.amazonaws.sqs#RequestThrottled')],
    ['a 429', awsError(429, 'TooManyRequests')],
  ])('retries %s once, and succeeds when the second attempt does', async (_what, failure) => {
    answers.push(failure, ok({ Item: {} }));
    expect(await client().call('GetItem', {})).toEqual({ Item: {} });
    expect(seen).toHaveLength(2);
  });

  it('gives up after the budget\'s attempts with the last error', async () => {
    answers.push(awsError(500, 'InternalServerError', 'first'), awsError(500, 'InternalServerError', 'second'), ok({}));
    await expect(client().call('GetItem', {})).rejects.toMatchObject({ name: 'InternalServerError', status: 500, message: 'GetItem: second' });
    expect(seen).toHaveLength(2);
  });

  it('gives up on a stalled answer after the request timeout of each attempt, well inside the webhook deadline', async () => {
    answers.push(stall, stall, stall);
    const started = Date.now();
    const error = await client().call('GetItem', {}).catch((e: unknown) => e as Error);
    const millis = Date.now() - started;
    expect(error).toMatchObject({ name: 'TimeoutError', message: `GetItem: no answer within ${webhookBudget.requestTimeoutMs} ms` });
    expect(seen).toHaveLength(2);
    // two attempts of 1 s and a backoff of at most 100 ms
    expect(millis).toBeGreaterThanOrEqual(2 * webhookBudget.requestTimeoutMs - 50);
    expect(millis).toBeLessThan(2_500);
  });

  it('retries a refused connection as a networking error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = new AwsJsonClient(sqsService, { budget: webhookBudget, env: { ...env(), AWS_ENDPOINT_URL_SQS: `http://127.0.0.1:${port}` }, random: () => 0 });
    await expect(refused.call('SendMessageBatch', {})).rejects.toMatchObject({ name: 'NetworkingError' });
  });

  it('backs off with full jitter, longer when throttled', () => {
    expect(backoffMillis(1, false, () => 1)).toBe(100);
    expect(backoffMillis(1, true, () => 1)).toBe(500);
    expect(backoffMillis(2, false, () => 0.5)).toBe(100);
    expect(backoffMillis(1, true, () => 0)).toBe(0);
  });
});

describe('Secrets Manager reads over fetch', () => {
  it('gives the secret string, nothing for a missing secret, and fails on anything else', async () => {
    const source = fetchSecretSource(client(secretsManagerService));
    answers.push(ok({ Name: 'p/x', SecretString: 'sëcret 🔑' }));
    expect(await source('p/x')).toBe('sëcret 🔑');
    answers.push(awsError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret."));
    expect(await source('p/missing')).toBeUndefined();
    answers.push(awsError(400, 'AccessDeniedException', 'no'));
    await expect(source('p/denied')).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(seen.map((s) => JSON.parse(s.body))).toEqual([{ SecretId: 'p/x' }, { SecretId: 'p/missing' }, { SecretId: 'p/denied' }]);
  });

  it('caches, and reads a rotated secret again at most once in 30 s', async () => {
    let now = 0;
    let value = 'old';
    let reads = 0;
    const secrets = new SecretCache(async () => ((reads += 1), value), 'p', () => now);
    expect(await secrets.get('p/a')).toBe('old');
    value = 'new';
    expect(await secrets.get('p/a')).toBe('old');
    expect(await secrets.reread('p/a')).toBe('new');
    expect(await secrets.reread('p/a')).toBeUndefined();
    now += 30_000;
    expect(await secrets.reread('p/a')).toBe('new');
    expect(reads).toBe(3);
    now += 5 * 60_000 + 1;
    await secrets.get('p/a');
    expect(reads).toBe(4);
  });
});

describe('the inbound queue over fetch', () => {
  const envelope = (text: string): InboundEnvelope =>
    ({
      channelType: 'telegram',
      channelKey: 'c1',
      conversationKey: '42',
      receivedAt: '2026-01-01T00:00:00.000Z',
      event: { kind: 'text', platformMessageId: `m-${createHash('sha1').update(text).digest('hex')}`, sentAt: '2026-01-01T00:00:00.000Z', text },
    }) as unknown as InboundEnvelope;

  it('sends one SendMessageBatch of FIFO entries, and a refused entry becomes EnqueueFailed', async () => {
    const queue = new FetchInboundQueue(client(sqsService), 'https://sqs.eu-west-1.amazonaws.com/1/inbound.fifo');
    answers.push(ok({ Successful: [{ Id: '0' }], Failed: [] }));
    await queue.enqueue([envelope('😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳')]);
    const sent = JSON.parse(seen[0]!.body) as { QueueUrl: string; Entries: Array<Record<string, string>> };
    expect(sent.QueueUrl).toBe('https://sqs.eu-west-1.amazonaws.com/1/inbound.fifo');
    expect(sent.Entries).toEqual([{ Id: '0', MessageBody: expect.stringContaining('😀 👍🏽 🇵🇹 👨‍👩‍👧 𝕳'), MessageGroupId: 'telegram:c1:42', MessageDeduplicationId: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    answers.push(ok({ Successful: [], Failed: [{ Id: '0', Code: 'InvalidMessageContents', SenderFault: true }] }));
    await expect(queue.enqueue([envelope('x')])).rejects.toThrow(new EnqueueFailed('The inbound queue refused 1 event(s): InvalidMessageContents'));
  });

  it('turns a failed call into EnqueueFailed with the AWS error as its cause', async () => {
    const queue = new FetchInboundQueue(client(sqsService), 'https://sqs.eu-west-1.amazonaws.com/1/missing.fifo');
    answers.push(awsError(400, 'com.amazonaws.sqs#QueueDoesNotExist', 'The specified queue does not exist.'));
    const error = await queue.enqueue([envelope('x')]).catch((e: unknown) => e as EnqueueFailed);
    expect(error).toBeInstanceOf(EnqueueFailed);
    expect(error).toMatchObject({ code: 'enqueue_failed', status: 503, cause: { name: 'QueueDoesNotExist' } });
  });
});
