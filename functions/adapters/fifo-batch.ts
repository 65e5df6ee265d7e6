import { SqsFifoPartialProcessorAsync, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type * as z from 'zod/mini';
import { queues } from '../shared/resources';
import { logger } from '../shared/logger';
import { receiveCountOf, type DeadLetterSource, type FailureIds, type FailureLog } from './dead-letters';

export interface FifoBatchOptions {
  source: DeadLetterSource;
  failures: Pick<FailureLog, 'failed' | 'forget'>;
  /** The ids a failure is logged and recorded with; must not throw on a malformed body. */
  describe(record: SQSRecord): FailureIds;
}

/**
 * The ids a record's body carries, read leniently with `ids` (a schema whose fields `.catch`):
 * a body that is not JSON, or fails the consumer's own schema, is still named in logs and records.
 */
export function idsInBody<T extends Record<string, unknown>>(record: SQSRecord, ids: z.ZodMiniType<T>): Partial<T> {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    body = {};
  }
  const read = ids.safeParse(body);
  return read.success ? read.data : {};
}

/** What is recorded for a message whose last receive did not finish (timeout, crash). */
export const unfinishedError = 'The consumer did not finish with this message (it timed out or stopped).';
/** What is recorded for a message skipped because an earlier one of its group failed in the same batch. */
export const heldBackError = 'Held back: an earlier message of the same conversation failed in this batch.';

/**
 * Runs one SQS FIFO batch with partial batch responses: a failing message fails its own
 * group's later messages and no other. Every failure is logged at ERROR with its ids and
 * recorded (see `FailureLog`) so admins see why a message reached the DLQ.
 *
 * A batch processor is made per message group and call: it holds the records being processed,
 * and a container running two batches at once (the local runtime's concurrent pollers) must
 * never mix them.
 */
export async function processFifoBatch(
  event: SQSEvent,
  context: Context,
  handle: (record: SQSRecord, context: Context) => Promise<void>,
  options: FifoBatchOptions,
): Promise<SQSBatchResponse> {
  const recorded = new Set<string>();

  const record = async (r: SQSRecord, error: string): Promise<void> => {
    const ids = options.describe(r);
    const attempts = receiveCountOf(r);
    const dead = attempts >= queues.maxReceiveCount;
    logger.error(dead ? 'message failed its last attempt and goes to the dead-letter queue' : 'message failed; it will be retried', {
      queue: options.source,
      ...ids,
      attempts,
      error,
    });
    try {
      await options.failures.failed(options.source, ids, error, attempts, dead);
    } catch (recordError) {
      // the message still fails and still reaches the DLQ; only its reason is missing from the list
      logger.error('recording the failure failed', { queue: options.source, messageId: r.messageId, error: describe(recordError) });
    }
  };

  const run = async (r: SQSRecord): Promise<void> => {
    const attempts = receiveCountOf(r);
    try {
      // on the last receive the record exists before the work starts: a timeout or crash still leaves the reason
      if (attempts >= queues.maxReceiveCount) await options.failures.failed(options.source, options.describe(r), unfinishedError, attempts, true);
      await handle(r, context);
    } catch (error) {
      recorded.add(r.messageId);
      await record(r, describe(error));
      throw error;
    }
    if (attempts > 1) {
      await options.failures.forget(options.source, r.messageId).catch((error: unknown) => {
        logger.warn('forgetting a cleared failure failed', { queue: options.source, messageId: r.messageId, error: describe(error) });
      });
    }
  };

  // Conversations (message groups) run side by side, each in its own order: a batch of ten
  // conversations takes about as long as its slowest, not the sum (Lambda bills the wall time).
  const groups = new Map<string, SQSRecord[]>();
  for (const r of event.Records) {
    const group = r.attributes.MessageGroupId ?? '';
    groups.set(group, [...(groups.get(group) ?? []), r]);
  }
  const answers = await Promise.all(
    [...groups.values()].map((records) =>
      processPartialResponse({ Records: records }, run, new SqsFifoPartialProcessorAsync(), { context, skipGroupOnError: true, throwOnFullBatchFailure: false }),
    ),
  );
  const response: SQSBatchResponse = { batchItemFailures: answers.flatMap((a) => a.batchItemFailures) };
  const byId = new Map(event.Records.map((r) => [r.messageId, r]));
  for (const failure of response.batchItemFailures) {
    const skipped = byId.get(failure.itemIdentifier);
    if (skipped && !recorded.has(skipped.messageId)) await record(skipped, heldBackError);
  }
  return response;
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
