import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { z } from 'zod';

export interface EventSourceMappingOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  batchSize: number;
  /** Concurrent pollers, like the Lambda service's concurrent batches. */
  pollers: number;
  /** Seconds a received batch stays hidden while the handler runs (the consumer's timeout). */
  visibilityTimeoutSeconds: number;
  /** Seconds before a failed record is visible again; short locally so retries and the DLQ show quickly. */
  retryDelaySeconds: number;
  invoke(event: SQSEvent): Promise<unknown>;
  log(line: string): void;
}

export interface EventSourceMapping {
  stop(): Promise<void>;
}

const partialBatchResponse = z.object({
  batchItemFailures: z.array(z.object({ itemIdentifier: z.string() })),
});

/** Long-polls a queue and feeds batches to a consumer like Lambda's SQS event source mapping (partial batch responses on). */
export function startEventSourceMapping(options: EventSourceMappingOptions): EventSourceMapping {
  const abort = new AbortController();
  const loops = Array.from({ length: options.pollers }, () => poll(options, abort.signal));
  return {
    async stop() {
      abort.abort();
      await Promise.all(loops);
    },
  };
}

async function poll(options: EventSourceMappingOptions, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    let messages: Message[];
    try {
      const received = await options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: options.batchSize,
          // Long polling returns as soon as a message arrives; the short wait only bounds shutdown.
          WaitTimeSeconds: 1,
          VisibilityTimeout: options.visibilityTimeoutSeconds,
          AttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: signal },
      );
      messages = received.Messages ?? [];
    } catch (error) {
      if (signal.aborted) return;
      options.log(`Receiving from ${options.queueUrl} failed: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      continue;
    }
    if (messages.length > 0) await deliver(options, messages);
  }
}

async function deliver(options: EventSourceMappingOptions, messages: Message[]): Promise<void> {
  const records = messages.map((message) => toRecord(message, options));
  let failed: Set<string>;
  try {
    const result = await options.invoke({ Records: records });
    failed = failedIds(result, records, options.log);
  } catch (error) {
    options.log(`Consumer of ${options.queueArn} threw; the whole batch will be retried: ${describe(error)}`);
    failed = new Set(records.map((r) => r.messageId));
  }
  const done = records.filter((r) => !failed.has(r.messageId));
  const retry = records.filter((r) => failed.has(r.messageId));
  try {
    if (done.length > 0) {
      await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
    if (retry.length > 0) {
      await options.sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: retry.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle, VisibilityTimeout: options.retryDelaySeconds })),
        }),
      );
    }
  } catch (error) {
    options.log(`Settling a batch of ${options.queueArn} failed: ${describe(error)}`);
  }
}

function failedIds(result: unknown, records: SQSRecord[], log: (line: string) => void): Set<string> {
  if (result === undefined || result === null) return new Set();
  const parsed = partialBatchResponse.safeParse(result);
  if (!parsed.success) return new Set();
  const known = new Set(records.map((r) => r.messageId));
  const ids = parsed.data.batchItemFailures.map((f) => f.itemIdentifier);
  // Lambda treats an unknown or empty identifier as a failure of the whole batch.
  if (ids.some((id) => !known.has(id))) {
    log('batchItemFailures named a message outside the batch; the whole batch will be retried');
    return known;
  }
  return new Set(ids);
}

function toRecord(message: Message, options: EventSourceMappingOptions): SQSRecord {
  const a = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: a.ApproximateReceiveCount ?? '1',
      SentTimestamp: a.SentTimestamp ?? String(Date.now()),
      SenderId: a.SenderId ?? '000000000000',
      ApproximateFirstReceiveTimestamp: a.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(a.SequenceNumber ? { SequenceNumber: a.SequenceNumber } : {}),
      ...(a.MessageGroupId ? { MessageGroupId: a.MessageGroupId } : {}),
      ...(a.MessageDeduplicationId ? { MessageDeduplicationId: a.MessageDeduplicationId } : {}),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType ?? 'String',
          ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
          ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: options.queueArn,
    awsRegion: options.region,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
