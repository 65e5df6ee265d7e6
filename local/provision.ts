import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { queues, table } from '../functions/shared/resources';

/** Creates the product's table (keys, GSIs, TTL from resources.ts) unless it exists. Every key attribute is a string. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  if (!(await tableExists(client, tableName))) {
    const indexes = Object.values(table.indexes);
    const keyNames = [table.partitionKey, table.sortKey, ...indexes.flatMap((i) => [i.partitionKey, i.sortKey])];
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: keyNames.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
          KeySchema: [
            { AttributeName: table.partitionKey, KeyType: 'HASH' },
            { AttributeName: table.sortKey, KeyType: 'RANGE' },
          ],
          GlobalSecondaryIndexes: indexes.map((index) => ({
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' },
              { AttributeName: index.sortKey, KeyType: 'RANGE' },
            ],
            Projection:
              index.projection === 'keys'
                ? { ProjectionType: 'KEYS_ONLY' }
                : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projection] },
          })),
        }),
      );
    } catch (error) {
      // Another runtime or test created it first: that is the state we want.
      if (!(error instanceof ResourceInUseException)) throw error;
    }
  }
  await addMissingIndexes(client, tableName);
  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  if (ttl.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
      }),
    );
  }
}

/** A table kept from an earlier version (`.omnichat/`) gets the indexes added since, one at a time as DynamoDB allows. */
async function addMissingIndexes(client: DynamoDBClient, tableName: string): Promise<void> {
  const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const present = new Set((described.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  for (const index of Object.values(table.indexes)) {
    if (present.has(index.name)) continue;
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: index.partitionKey, AttributeType: 'S' },
          { AttributeName: index.sortKey, AttributeType: 'S' },
        ],
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: index.name,
              KeySchema: [
                { AttributeName: index.partitionKey, KeyType: 'HASH' },
                { AttributeName: index.sortKey, KeyType: 'RANGE' },
              ],
              Projection:
                index.projection === 'keys' ? { ProjectionType: 'KEYS_ONLY' } : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projection] },
            },
          },
        ],
      }),
    );
  }
}

async function tableExists(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
}

export interface QueueAddress {
  name: string;
  url: string;
  arn: string;
}

export interface ProvisionedQueues {
  inbound: QueueAddress & { dlq: QueueAddress };
  outbound: QueueAddress & { dlq: QueueAddress };
  timer: QueueAddress & { dlq: QueueAddress };
}

/**
 * Creates the inbound and outbound FIFO queues and the standard timer queue, each with its dead-letter queue,
 * names prefixed by `prefix`. Pass an SQSClient built with an explicit `endpoint`: returned URLs
 * use that endpoint's origin, because the SQS client sends to the QueueUrl's host when the endpoint
 * comes from AWS_ENDPOINT_URL_SQS, and the emulator's `sqs.<region>.localhost` host does not resolve.
 */
export async function ensureQueues(sqs: SQSClient, prefix = ''): Promise<ProvisionedQueues> {
  const origin = await endpointOrigin(sqs);
  const create = async (name: string, attributes: Record<string, string>): Promise<QueueAddress> => {
    const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const returned = new URL(created.QueueUrl ?? '');
    const url = origin ? `${origin}${returned.pathname}` : returned.toString();
    const account = returned.pathname.split('/')[1] ?? '000000000000';
    const region = (await sqs.config.region()) ?? 'us-east-1';
    return { name, url, arn: `arn:aws:sqs:${region}:${account}:${name}` };
  };
  const fifoPair = async (spec: { name: string; dlqName: string }) => {
    const dlq = await create(prefix + spec.dlqName, { FifoQueue: 'true', MessageRetentionPeriod: String(14 * 24 * 3600) });
    const main = await create(prefix + spec.name, {
      FifoQueue: 'true',
      VisibilityTimeout: String(queues.visibilityTimeoutSeconds),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: queues.maxReceiveCount }),
    });
    return { ...main, dlq };
  };
  const timerQueue = async () => {
    const dlq = await create(prefix + queues.timer.dlqName, { MessageRetentionPeriod: String(14 * 24 * 3600) });
    const main = await create(prefix + queues.timer.name, {
      VisibilityTimeout: String(queues.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(4 * 24 * 3600),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: queues.maxReceiveCount }),
    });
    return { ...main, dlq };
  };
  return {
    inbound: await fifoPair(queues.inbound),
    outbound: await fifoPair(queues.outbound),
    timer: await timerQueue(),
  };
}

async function endpointOrigin(sqs: SQSClient): Promise<string | undefined> {
  const endpoint = await sqs.config.endpoint?.();
  if (!endpoint) return undefined;
  const port = endpoint.port ? `:${endpoint.port}` : '';
  return `${endpoint.protocol}//${endpoint.hostname}${port}`;
}
