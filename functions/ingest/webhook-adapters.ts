import { AwsJsonClient, dynamodbService, secretsManagerService, sqsService } from '../adapters/aws-json';
import { webhookBudget } from '../adapters/client-budget';
import { FetchTable } from '../adapters/dynamodb/fetch-table';
import { WebhookDirectory } from '../adapters/dynamodb/webhook-directory';
import { FetchInboundQueue } from '../adapters/fetch-inbound-queue';
import { fetchSecretSource } from '../adapters/fetch-secrets';
import { Remembered } from '../adapters/remembered';
import { SecretCache } from '../adapters/secret-cache';
import { readEnv } from '../shared/env';

/**
 * What the webhooks use, built once per container on first use. No AWS SDK: their three kinds of
 * AWS call (DynamoDB GetItem, Secrets Manager GetSecretValue, SQS SendMessageBatch) are signed
 * `fetch` requests (`adapters/aws-json.ts`) within the webhook budget (1 s per attempt, two
 * attempts), which keeps each webhook bundle small and its cold start short. The Meta app and
 * channel lookups are remembered like the secrets are, so a delivery for a known channel needs no
 * table read at all.
 */

/** Apps and channels a webhook has found stay known this long; a failed refresh keeps using them this much longer. */
const webhookLookupMillis = { freshMillis: 60_000, staleMillis: 15 * 60_000 };

function build() {
  const found = new WebhookDirectory(new FetchTable(new AwsJsonClient(dynamodbService, { budget: webhookBudget }), readEnv('TABLE_NAME').TABLE_NAME));
  return {
    /** Uncached, for the rare reads that must see the latest (the subscription handshake's verify token). */
    directory: found,
    messengerApps: new Remembered((appId) => found.messengerApp(appId), webhookLookupMillis),
    channels: new Remembered((channelId) => found.channel(channelId), webhookLookupMillis),
    /** Built on first use: the handshake never enqueues. */
    inbound: () => new FetchInboundQueue(new AwsJsonClient(sqsService, { budget: webhookBudget }), readEnv('INBOUND_QUEUE_URL').INBOUND_QUEUE_URL),
    secrets: new SecretCache(fetchSecretSource(new AwsJsonClient(secretsManagerService, { budget: webhookBudget })), readEnv('SECRETS_PREFIX').SECRETS_PREFIX),
  };
}

let built: ReturnType<typeof build> | undefined;

export function webhookAdapters(): ReturnType<typeof build> {
  return (built ??= build());
}

export const clock = (): Date => new Date();
