import { request } from 'node:http';
import { chmodSync, mkdtempSync, rmSync, statSync, symlinkSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException as SecretNotFound,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { queues } from '../../functions/shared/resources';
import { verifyToken } from '../../functions/shared/auth';
import { startAwsControlPlane } from '../support/aws';
import { eventually, nodeBinary, spawnLocalRuntime, startLocalRuntime, type LocalRuntime } from '../support/runtime';

const handlersDir = join(__dirname, '..', 'fixtures-handlers');
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const region = 'us-east-1';
const endpointsSchema = z.object({ sqs: z.string(), secretsManager: z.string() });
const timerDelivery = z.object({ body: z.string(), eventSourceARN: z.string(), firedAt: z.number() });

/** The timer queue of a runtime started with this resource prefix, through the runtime's SQS endpoint. */
async function timerQueueOf(local: LocalRuntime, prefix: string): Promise<{ sqs: SQSClient; url: string }> {
  const sqs = new SQSClient({ endpoint: (await endpointsOf(local)).sqs, region, credentials });
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: `${prefix}${queues.timer.name}` }));
  return { sqs, url: `${(await endpointsOf(local)).sqs}${new URL(QueueUrl ?? '').pathname}` };
}

async function timerDeliveries(local: LocalRuntime) {
  return (await local.events('timer')).map((e) => timerDelivery.parse(e.detail));
}

async function endpointsOf(local: LocalRuntime) {
  return endpointsSchema.parse((await local.api('GET', '/dev/endpoints')).body);
}

describe('local runtime with the test handlers', () => {
  const prefix = `e${Date.now().toString(36)}-`;
  let local: LocalRuntime;

  beforeAll(async () => {
    local = await startLocalRuntime({ env: { OMNICHAT_HANDLERS_DIR: handlersDir, OMNICHAT_RESOURCE_PREFIX: prefix } });
  });
  afterAll(async () => {
    await local?.stop();
  });

  it('serves /dev/endpoints only to this machine by name, saying it is local', async () => {
    const body = (await local.api('GET', '/dev/endpoints')).body as { local?: boolean };
    expect(body.local).toBe(true);
    const status = await new Promise<number>((resolveStatus, reject) => {
      const url = new URL('/dev/endpoints', local.baseUrl);
      request({ host: url.hostname, port: url.port, path: url.pathname, headers: { host: 'attacker.example:80' } }, (res) => {
        res.resume();
        resolveStatus(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(403);
  });

  it('prints exactly one ready line naming its base URL', () => {
    // then
    const readyLines = local.output().split('\n').filter((line) => line.includes('ready'));
    expect(readyLines).toEqual([expect.stringContaining(local.baseUrl)]);
  });

  it('issues dev tokens that the shared token verifier accepts', async () => {
    // given
    process.env.JWT_ISSUER = `${local.baseUrl}/dev`;
    process.env.JWKS_URI = `${local.baseUrl}/dev/jwks.json`;
    process.env.JWT_AUDIENCE = 'omnichat-local';
    // when
    const token = await local.token('alice', ['chat-admins', 'agents'], 'Alice');
    // then
    await expect(verifyToken(token)).resolves.toEqual({ sub: 'alice', name: 'Alice', groups: ['chat-admins', 'agents'] });
  });

  it('refuses a token request without a subject and names the field', async () => {
    // when
    const response = await local.api('POST', '/dev/token', { groups: ['agents'] });
    // then
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { details: [expect.objectContaining({ field: 'sub' })] } });
  });

  it('issues a token of the lifetime asked for, which the API refuses once it has expired', async () => {
    // given a token asked to live eight seconds
    const issued = await local.api('POST', '/dev/token', { sub: 'admin', groups: ['chat-admins'], expiresInSeconds: 8 });
    const { token } = z.object({ token: z.string() }).parse(issued.body);
    const { iat, exp } = z.object({ iat: z.number(), exp: z.number() }).parse(JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')));
    expect(exp - iat).toBe(8);

    // then it works now and not after it expired
    expect((await local.api('GET', '/api/settings', undefined, token)).status).toBe(200);
    await new Promise((r) => setTimeout(r, (exp + 1) * 1000 - Date.now()));
    expect((await local.api('GET', '/api/settings', undefined, token)).status).toBe(401);

    // and lifetimes beyond twelve hours or under a second are refused, naming the field
    for (const expiresInSeconds of [0, 43_201, 1.5]) {
      const refused = await local.api('POST', '/dev/token', { sub: 'admin', expiresInSeconds });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ error: { details: [expect.objectContaining({ field: 'expiresInSeconds' })] } });
    }
  }, 30_000);

  it('answers 401 on the management API without a valid token and passes API Gateway-shaped claims with one', async () => {
    // given
    const token = await local.token('admin', ['chat-admins', 'agents']);
    // when
    const missing = await local.api('GET', '/api/settings');
    const forged = await local.api('GET', '/api/settings', undefined, `${token.slice(0, -4)}AAAA`);
    const allowed = await local.api('GET', '/api/queues/q1?x=1&x=2', undefined, token);
    // then
    expect(missing).toMatchObject({ status: 401, body: { message: 'Unauthorized' } });
    expect(forged.status).toBe(401);
    expect(allowed.status).toBe(200);
    expect(allowed.body).toMatchObject({
      routeKey: 'ANY /api/{proxy+}',
      pathParameters: { proxy: 'queues/q1' },
      queryStringParameters: { x: '1,2' },
      claims: { sub: 'admin', 'cognito:groups': '[chat-admins agents]', client_id: 'omnichat-local' },
      tableName: `${prefix}omnichat`,
    });
  });

  it('base64-encodes a binary webhook body like API Gateway', async () => {
    // when
    const response = await fetch(`${local.baseUrl}/webhooks/telegram/c1`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: 'raw bytes',
    });
    // then
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ isBase64Encoded: true, body: Buffer.from('raw bytes').toString('base64'), channelId: 'c1' });
  });

  it('refuses the agent socket for a bad token or a token of no agents, supervisors or admins group, and accepts an agent', async () => {
    // given
    const customer = await local.token('root', ['customers']);
    const agentToken = await local.token('bob', ['agents'], 'Bob');
    // when / then
    await expect(local.connectAgent('not-a-jwt')).rejects.toMatchObject({ status: 401 });
    await expect(local.connectAgent(customer)).rejects.toMatchObject({ status: 403 });
    const agent = await local.connectAgent(agentToken);
    agent.send({ action: 'ping', requestId: 'r1' });
    const echo = await agent.next('echo');
    expect(echo).toMatchObject({ routeKey: 'ping', authorizer: { agentId: 'bob', name: 'Bob', groups: 'agents' } });
    agent.send({ action: 'dance' });
    await expect(agent.next('echo')).resolves.toMatchObject({ routeKey: '$default' });
    await agent.close();
  });

  it('refuses the upgrade when the connect route answers non-2xx', async () => {
    // given
    const token = await local.token('refused', ['agents']);
    // when / then
    await expect(local.connectAgent(token)).rejects.toMatchObject({ status: 403 });
  });

  it('delivers @connections posts to the socket, describes it, and answers 410 for unknown connections', async () => {
    // given
    const agent = await local.connectAgent(await local.token('carol', ['agents']));
    agent.send({ action: 'sync' });
    const { connectionId } = z.object({ connectionId: z.string() }).parse(await agent.next('echo'));
    // when
    const posted = await fetch(`${local.baseUrl}/@connections/${encodeURIComponent(connectionId)}`, {
      method: 'POST',
      body: JSON.stringify({ type: 'pong' }),
    });
    const described = await fetch(`${local.baseUrl}/@connections/${encodeURIComponent(connectionId)}`);
    const unknown = await fetch(`${local.baseUrl}/@connections/nobody`, { method: 'POST', body: '{}' });
    // then
    expect(posted.status).toBe(200);
    await expect(agent.next('pong')).resolves.toEqual({ type: 'pong' });
    expect(await described.json()).toMatchObject({ connectedAt: expect.any(String), identity: { sourceIp: expect.any(String) } });
    expect(unknown.status).toBe(410);
    expect(unknown.headers.get('x-amzn-errortype')).toBe('GoneException');
    await agent.close();
  });

  it('closes the connection with 1009 when a client message is over 128 KB, as API Gateway does', async () => {
    // given
    const agent = await local.connectAgent(await local.token('dave', ['agents']));
    const closed = new Promise<number>((resolve) => agent.socket.once('close', (code) => resolve(code)));
    // when
    agent.send({ action: 'send', text: 'x'.repeat(128 * 1024) });
    // then
    expect(await closed).toBe(1009);
    expect(agent.frames).toEqual([]);
  });

  it('runs $disconnect when an agent leaves', async () => {
    // given
    const agent = await local.connectAgent(await local.token('erin', ['agents']));
    agent.send({ action: 'ping' });
    const { connectionId } = z.object({ connectionId: z.string() }).parse(await agent.next('echo'));
    // when
    await agent.close();
    // then
    await eventually(async () => (await local.events('disconnect')).find((e) => JSON.stringify(e.detail).includes(connectionId)));
  });

  it('stores and returns secrets through the real Secrets Manager client', async () => {
    // given
    const client = new SecretsManagerClient({ endpoint: (await endpointsOf(local)).secretsManager, region, credentials });
    // when
    await client.send(new CreateSecretCommand({ Name: 'omnichat/test/one', SecretString: 's3cret' }));
    const read = await client.send(new GetSecretValueCommand({ SecretId: 'omnichat/test/one' }));
    // then
    expect(read.SecretString).toBe('s3cret');
    await expect(client.send(new CreateSecretCommand({ Name: 'omnichat/test/one', SecretString: 'x' }))).rejects.toBeInstanceOf(ResourceExistsException);
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'omnichat/test/none' }))).rejects.toBeInstanceOf(SecretNotFound);
  });

  it('hands an SQS message to its consumer within moments and redelivers a reported batch item failure', async () => {
    // given
    const sqs = new SQSClient({ endpoint: (await endpointsOf(local)).sqs, region, credentials });
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: `${prefix}omnichat-inbound.fifo` }));
    // when
    const sentAt = Date.now();
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'fast', MessageGroupId: 'g1', MessageDeduplicationId: 'fast' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'fail-first', MessageGroupId: 'g2', MessageDeduplicationId: 'ff' }));
    // then
    const deliveries = z.array(z.object({ body: z.string(), receiveCount: z.string(), groupId: z.string(), eventSource: z.string(), handledAt: z.number() }));
    const fast = await eventually(async () => deliveries.parse((await local.events('inbound')).map((e) => e.detail)).find((d) => d.body === 'fast'));
    expect(fast).toMatchObject({ receiveCount: '1', groupId: 'g1', eventSource: 'aws:sqs' });
    expect(fast.handledAt - sentAt).toBeLessThan(500);
    const retried = await eventually(async () => {
      const seen = deliveries.parse((await local.events('inbound')).map((e) => e.detail)).filter((d) => d.body === 'fail-first');
      return seen.length >= 2 ? seen : undefined;
    });
    expect(retried.map((d) => d.receiveCount)).toEqual(['1', '2']);
  });

  it('polls the timer queue like Lambda: a delayed timer message reaches the timer handler when its delay runs out, never before', async () => {
    // given
    const { sqs, url } = await timerQueueOf(local, prefix);
    // when
    const sentAt = Date.now();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"timer":"😀 in two seconds"}', DelaySeconds: 2 }));
    // then
    const fired = await eventually(async () => (await timerDeliveries(local)).find((d) => d.body === '{"timer":"😀 in two seconds"}'));
    expect(fired.eventSourceARN).toMatch(new RegExp(`:${prefix}${queues.timer.name}$`));
    expect(fired.firedAt - sentAt).toBeGreaterThanOrEqual(2_000);
    expect(fired.firedAt - sentAt).toBeLessThan(3_000);
  });

  it('refuses a timer message delayed beyond the 900 s SQS allows, as SQS does', async () => {
    const { sqs, url } = await timerQueueOf(local, prefix);
    await expect(sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'too late', DelaySeconds: 901 }))).rejects.toMatchObject({
      message: expect.stringContaining('DelaySeconds must be >= 0 and <= 900'),
    });
  });
});

describe('local runtime lifecycle', () => {
  it('keeps secrets and pending timers across a restart in persisted mode, with secret files private', async () => {
    // given
    const dataDir = mkdtempSync(join(tmpdir(), 'omnichat-data-'));
    // its own SQS emulator, so the queued timer has to survive the emulator's restart
    const env = {
      OMNICHAT_IN_MEMORY: '0',
      OMNICHAT_DATA_DIR: dataDir,
      OMNICHAT_HANDLERS_DIR: handlersDir,
      OMNICHAT_RESOURCE_PREFIX: `p${Date.now().toString(36)}-`,
      OMNICHAT_SQS_ENDPOINT: undefined,
    };
    const first = await startLocalRuntime({ env });
    const endpoints = await endpointsOf(first);
    await new SecretsManagerClient({ endpoint: endpoints.secretsManager, region, credentials }).send(
      new CreateSecretCommand({ Name: 'omnichat/kept', SecretString: 'still here' }),
    );
    const timerQueue = await timerQueueOf(first, env.OMNICHAT_RESOURCE_PREFIX);
    await timerQueue.sqs.send(new SendMessageCommand({ QueueUrl: timerQueue.url, MessageBody: '{"kind":"survivor"}', DelaySeconds: 3 }));
    // when
    expect(await first.stop()).toBe(0);
    const second = await startLocalRuntime({ env });
    try {
      // then
      const secret = await new SecretsManagerClient({ endpoint: (await endpointsOf(second)).secretsManager, region, credentials }).send(
        new GetSecretValueCommand({ SecretId: 'omnichat/kept' }),
      );
      expect(secret.SecretString).toBe('still here');
      const fired = await eventually(async () => (await timerDeliveries(second)).at(0));
      expect(fired.body).toBe('{"kind":"survivor"}');
      expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, 'keys.json')).mode & 0o777).toBe(0o600);
    } finally {
      await second.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
    // two start-ups of the runtime, each with its own SQS emulator
  }, 60_000);

  it('stops cleanly on SIGTERM and leaves no DynamoDB Local process behind', async () => {
    // given: a runtime that starts its own DynamoDB Local
    const local = await startLocalRuntime({ env: { OMNICHAT_DYNAMODB_ENDPOINT: undefined } });
    const pid = Number(/DynamoDB Local running as pid (\d+)/.exec(local.output())?.[1]);
    expect(() => process.kill(pid, 0)).not.toThrow();
    // when
    const code = await local.stop();
    // then
    expect(code).toBe(0);
    expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });

  it('explains in one line how to install Java when java is missing', async () => {
    // given: a PATH with node but no java
    const bin = mkdtempSync(join(tmpdir(), 'omnichat-nojava-'));
    symlinkSync(realpathSync(nodeBinary), join(bin, 'node'));
    chmodSync(bin, 0o755);
    // when
    const started = spawnLocalRuntime({ env: { PATH: bin, OMNICHAT_DYNAMODB_ENDPOINT: undefined } });
    const code = await started.exited;
    rmSync(bin, { recursive: true, force: true });
    // then
    expect(code).toBe(1);
    const javaLines = started.output().split('\n').filter((line) => /java/i.test(line));
    expect(javaLines).toEqual([expect.stringContaining('sudo apt-get install -y openjdk-17-jre-headless')]);
  });
});

describe('emulated AWS control planes', () => {
  it('rotates a secret with PutSecretValue and refuses reads once it is scheduled for deletion, like Secrets Manager', async () => {
    // given
    const controlPlane = await startAwsControlPlane();
    const client = new SecretsManagerClient({ endpoint: controlPlane.endpoint, region, credentials });
    try {
      await client.send(new CreateSecretCommand({ Name: 'omnichat/rotating', SecretString: 'v1' }));
      // when
      await client.send(new PutSecretValueCommand({ SecretId: 'omnichat/rotating', SecretString: 'v2' }));
      const current = await client.send(new GetSecretValueCommand({ SecretId: 'omnichat/rotating' }));
      const previous = await client.send(new GetSecretValueCommand({ SecretId: 'omnichat/rotating', VersionStage: 'AWSPREVIOUS' }));
      await client.send(new DeleteSecretCommand({ SecretId: current.ARN }));
      // then
      expect([current.SecretString, previous.SecretString]).toEqual(['v2', 'v1']);
      await expect(client.send(new DescribeSecretCommand({ SecretId: 'omnichat/rotating' }))).resolves.toMatchObject({ DeletedDate: expect.any(Date) });
      await expect(client.send(new GetSecretValueCommand({ SecretId: 'omnichat/rotating' }))).rejects.toBeInstanceOf(InvalidRequestException);
    } finally {
      await controlPlane.stop();
    }
  });
});
