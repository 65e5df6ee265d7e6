import { createHash } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod/mini';
import { AwsJsonClient, dynamodbService, secretsManagerService, sqsService } from '../../functions/adapters/aws-json';
import { webhookBudget } from '../../functions/adapters/client-budget';
import { FetchTable } from '../../functions/adapters/dynamodb/fetch-table';
import { FetchInboundQueue } from '../../functions/adapters/fetch-inbound-queue';
import { fetchSecretSource } from '../../functions/adapters/fetch-secrets';
import { EnqueueFailed } from '../../functions/adapters/inbound-entries';
import { queueBodyOf, type InboundEnvelope } from '../../functions/domain/inbound';
import { hardEmoji } from '../support/webhooks';
import { createTestQueues, createTestTable, dynamodb, sqs, sqsEndpoint, startAwsControlPlane, useLocalAwsEnv } from '../support/aws';
import type { ControlPlane } from '../../local/control-plane';

/**
 * The webhooks' AWS calls over signed fetch, against DynamoDB Local, the SQS emulator and the
 * emulated Secrets Manager, compared with what the AWS SDK writes and reads.
 */
const customer = `Olá ${hardEmoji.join(' ')} — 注文はまだ届きません · طلبي لم يصل · Мой заказ`;
const anything = z.looseObject({});

let controlPlane: ControlPlane;
let restore: () => void;
beforeAll(async () => {
  controlPlane = await startAwsControlPlane();
  restore = useLocalAwsEnv({}, controlPlane);
});
afterAll(async () => {
  restore();
  await controlPlane.stop();
});

const client = (service = dynamodbService) => new AwsJsonClient(service, { budget: webhookBudget });

describe('DynamoDB GetItem over fetch', () => {
  it('reads back what the document client wrote, every attribute type and any script whole', async () => {
    const tableName = await createTestTable();
    const item = {
      pk: `CHANNEL#${customer}`,
      sk: 'META',
      text: customer,
      count: 42,
      fraction: -0.125,
      big: 2n ** 64n,
      on: true,
      off: false,
      nothing: null,
      map: { nested: { list: [1, 'two', { three: [customer] }] }, empty: {} },
      list: [customer, 7, null, false],
      strings: new Set(['a', customer]),
      numbers: new Set([1, 2.5]),
      bytes: new Uint8Array([0, 1, 254, 255]),
      byteSet: new Set([new Uint8Array([1]), new Uint8Array([2, 3])]),
    };
    const documents = DynamoDBDocumentClient.from(dynamodb(), { marshallOptions: { removeUndefinedValues: true } });
    await documents.send(new PutCommand({ TableName: tableName, Item: item }));
    const table = new FetchTable(client(), tableName);
    const read = await table.get(anything, item.pk, item.sk, true);
    const sdk = (await documents.send(new GetCommand({ TableName: tableName, Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true }))).Item;
    expect(read).toEqual(sdk);
    expect(read).toEqual(item);
    expect(await table.get(anything, item.pk, 'MISSING')).toBeUndefined();
  });

  it('fails with the type DynamoDB names for a table that does not exist', async () => {
    await expect(new FetchTable(client(), 'no-such-table').get(anything, 'a', 'b')).rejects.toMatchObject({ name: 'ResourceNotFoundException', status: 400 });
  });

  it('parses the item with the schema, so a malformed item is an error here', async () => {
    const tableName = await createTestTable();
    await dynamodb().send(new PutItemCommand({ TableName: tableName, Item: { pk: { S: 'x' }, sk: { S: 'y' }, id: { N: '5' } } }));
    await expect(new FetchTable(client(), tableName).get(z.object({ id: z.string() }), 'x', 'y')).rejects.toThrow();
  });
});

describe('SQS SendMessageBatch over fetch', () => {
  const envelope = (n: number, text: string): InboundEnvelope => ({
    channelType: 'telegram',
    channelKey: 'bot-1',
    conversationKey: `chat-${n}`,
    receivedAt: '2026-01-01T00:00:00.000Z',
    event: { kind: 'text', platformMessageId: `m-${n}`, sentAt: '2026-01-01T00:00:00.000Z', text, customer: { id: `chat-${n}`, name: 'Zoë' } },
  } as unknown as InboundEnvelope);

  it('enqueues emoji, any script and long texts byte for byte, received by the SDK as sent', async () => {
    const queues = await createTestQueues();
    const envelopes = [envelope(1, customer), envelope(2, hardEmoji.join('')), envelope(3, customer.repeat(4_000)), envelope(4, '𝕳'.repeat(50_000))];
    await new FetchInboundQueue(client(sqsService), queues.inbound.url).enqueue(envelopes);
    const bodies: string[] = [];
    for (let i = 0; i < 5 && bodies.length < envelopes.length; i++) {
      const out = await sqs().send(new ReceiveMessageCommand({ QueueUrl: queues.inbound.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['MessageGroupId'] }));
      bodies.push(...(out.Messages ?? []).map((m) => m.Body ?? ''));
    }
    // the bytes of each body, as a length and a digest (the texts are too long to print when they differ)
    const fingerprint = (body: string) => {
      const bytes = Buffer.from(body, 'utf8');
      return `${bytes.length}:${createHash('sha256').update(bytes).digest('hex')}`;
    };
    expect(bodies.map(fingerprint).sort()).toEqual(envelopes.map((e) => fingerprint(queueBodyOf(e))).sort());
    expect(bodies.some((b) => b.includes(hardEmoji.join('')))).toBe(true);
  });

  it('answers EnqueueFailed when the queue does not exist', async () => {
    const missing = new FetchInboundQueue(client(sqsService), `${sqsEndpoint()}/000000000000/missing.fifo`);
    await expect(missing.enqueue([envelope(1, customer)])).rejects.toBeInstanceOf(EnqueueFailed);
  });
});

describe('Secrets Manager GetSecretValue over fetch', () => {
  it('reads a secret the SDK created, and nothing for one that does not exist', async () => {
    const name = `test/${Date.now()}/app-secret`;
    await new SecretsManagerClient({}).send(new CreateSecretCommand({ Name: name, SecretString: `sëcret ${customer}` }));
    const source = fetchSecretSource(client(secretsManagerService));
    expect(await source(name)).toBe(`sëcret ${customer}`);
    expect(await source(`${name}-missing`)).toBeUndefined();
  });
});
