/**
 * Real AWS SDK clients pointed at the run's shared DynamoDB Local and SQS emulator (see global-setup.ts).
 *
 *   const tableName = await createTestTable();        // unique table, keys/GSIs/TTL from resources.ts
 *   const q = await createTestQueues();               // unique prefix; q.inbound.url, q.inbound.dlq.url, q.outbound…, q.timer.url, q.timer.dlq.url
 *   const restore = useLocalAwsEnv({ TABLE_NAME: tableName, INBOUND_QUEUE_URL: q.inbound.url });
 *   // … import/run code whose SDK clients read AWS_ENDPOINT_URL_* from the environment …
 *   restore();
 *
 *   const cp = await startAwsControlPlane();          // Secrets Manager, EventBridge emulators
 *   useLocalAwsEnv({}, cp);                           // also sets their AWS_ENDPOINT_URL_* variables
 *   cp.events.events(); await cp.stop();
 *
 * `dynamodb` and `sqs` are shared clients with explicit endpoints (never destroyed; Jest exits the worker).
 */
import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startControlPlane, type ControlPlane } from '../../local/control-plane';
import { ensureQueues, ensureTable, type ProvisionedQueues } from '../../local/provision';

export const region = 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

function sharedEndpoint(name: 'OMNICHAT_DYNAMODB_ENDPOINT' | 'OMNICHAT_SQS_ENDPOINT'): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: only the integration and e2e Jest projects start the emulators (global-setup.ts); move this test to test/integration or test/e2e`);
  return value;
}

export const dynamodbEndpoint = (): string => sharedEndpoint('OMNICHAT_DYNAMODB_ENDPOINT');
export const sqsEndpoint = (): string => sharedEndpoint('OMNICHAT_SQS_ENDPOINT');

let dynamodbClient: DynamoDBClient | undefined;
let sqsClient: SQSClient | undefined;

/** DynamoDB client for the shared DynamoDB Local. */
export function dynamodb(): DynamoDBClient {
  dynamodbClient ??= new DynamoDBClient({ endpoint: dynamodbEndpoint(), region, credentials });
  return dynamodbClient;
}

/** SQS client for the shared emulator. */
export function sqs(): SQSClient {
  sqsClient ??= new SQSClient({ endpoint: sqsEndpoint(), region, credentials });
  return sqsClient;
}

/** A short random prefix for resource names, unique per call. */
export function uniquePrefix(): string {
  return `t${randomBytes(5).toString('hex')}-`;
}

/** Creates a uniquely named table shaped like the product's and returns its name. */
export async function createTestTable(): Promise<string> {
  const name = `${uniquePrefix()}omnichat`;
  await ensureTable(dynamodb(), name);
  return name;
}

/** Creates uniquely prefixed inbound/outbound FIFO queues and the standard timer queue (each with a DLQ and redrive). */
export async function createTestQueues(prefix = uniquePrefix()): Promise<ProvisionedQueues> {
  return ensureQueues(sqs(), prefix);
}

/** Starts the emulated Secrets Manager / EventBridge in this worker. */
export async function startAwsControlPlane(): Promise<ControlPlane> {
  return startControlPlane({ region, log: () => undefined });
}

/**
 * Points SDK clients created from now on at the local emulators through AWS_ENDPOINT_URL_*, with
 * a region and dummy credentials, plus any `extra` variables (TABLE_NAME, queue URLs …).
 * Returns a function that restores the previous environment.
 */
export function useLocalAwsEnv(extra: Record<string, string> = {}, controlPlane?: { endpoint: string }): () => void {
  const values: Record<string, string> = {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint(),
    AWS_ENDPOINT_URL_SQS: sqsEndpoint(),
    ...(controlPlane
      ? {
          AWS_ENDPOINT_URL_SECRETS_MANAGER: controlPlane.endpoint,
          AWS_ENDPOINT_URL_EVENTBRIDGE: controlPlane.endpoint,
        }
      : {}),
    ...extra,
  };
  const previous = Object.fromEntries(Object.keys(values).map((k) => [k, process.env[k]]));
  Object.assign(process.env, values);
  return () => {
    for (const [k, v] of Object.entries(previous)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
