import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseTelegramUpdate } from '../../functions/domain/telegram';
import { createTestQueues, createTestTable, useLocalAwsEnv } from '../support/aws';

/**
 * Found by the faulted soak: on a slow DynamoDB the router ran past its timeout, and the whole batch
 * (records already routed included) came back again and again, on its way to the dead-letter queue.
 * Now a record is not started without enough time left: it is handed back, alone with its group.
 */
type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

function recordOf(n: number, text: string): SQSRecord {
  const parsed = parseTelegramUpdate(
    { update_id: 4000 + n, message: { message_id: n, from: { id: 9100 + n, is_bot: false, first_name: 'Ана' }, chat: { id: 9100 + n, type: 'private', first_name: 'Ана' }, date: 1764500000, text } },
    'channel-that-is-not-there',
    '2026-11-30T12:00:00.000Z',
  );
  if (!parsed.ok || !parsed.envelope) throw new Error('fixture is not an update');
  return {
    messageId: `msg-${n}`,
    receiptHandle: `rh-${n}`,
    body: JSON.stringify(parsed.envelope),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0', MessageGroupId: `group-${n}` },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:omnichat-inbound.fifo',
    awsRegion: 'us-east-1',
  };
}

const contextWith = (remainingMillis: number) => ({ functionName: 'router', awsRequestId: 'test', getRemainingTimeInMillis: () => remainingMillis }) as unknown as Context;

describe('router time budget', () => {
  let handler: Handler;

  beforeAll(async () => {
    const queues = await createTestQueues();
    useLocalAwsEnv({
      TABLE_NAME: await createTestTable(),
      INBOUND_QUEUE_URL: queues.inbound.url,
      OUTBOUND_QUEUE_URL: queues.outbound.url,
      SOCKET_CALLBACK_URL: 'http://127.0.0.1:9',
      EVENT_BUS_NAME: 'omnichat',
      TIMER_QUEUE_URL: queues.timer.url,
      SECRETS_PREFIX: 'test',
      PUBLIC_API_URL: 'http://127.0.0.1:9',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    handler = (await import('../../functions/routing/router')).handler as unknown as Handler;
  });

  it('hands back the records it has no time to route, without starting them', async () => {
    const event = { Records: [recordOf(1, 'Привет 👋🏽'), recordOf(2, 'こんにちは 😀')] };
    const result = await handler(event, contextWith(5_000));
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['msg-1', 'msg-2']);
  });

  it('routes them when there is time (an unknown channel is acknowledged and dropped)', async () => {
    const event = { Records: [recordOf(3, 'Olá 🇵🇹'), recordOf(4, '𝕳𝖊𝖑𝖑𝖔')] };
    const result = await handler(event, contextWith(30_000));
    expect(result.batchItemFailures).toEqual([]);
  });
});
