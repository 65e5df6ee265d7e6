import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { QueueVisibility } from './queue-visibility';
import { logger } from '../shared/logger';
import { RetryableSendFailure } from '../services/delivery';

/**
 * Honours a platform's "retry after N seconds" (Telegram 429 `retry_after`): the failed records
 * of that chat's message group come back after N seconds instead of the queue's visibility timeout.
 */
export class RetryAfter {
  /** Pause asked for, by message group, during the batch being processed. */
  private readonly pauses = new Map<string, number>();

  constructor(private readonly visibility: Pick<QueueVisibility, 'hide'>) {}

  /** Runs one record's delivery, noting the pause a retryable failure asks for. */
  async watch<T>(record: SQSRecord, delivery: () => Promise<T>): Promise<T> {
    try {
      return await delivery();
    } catch (error) {
      if (error instanceof RetryableSendFailure && error.retryAfterSeconds !== undefined) {
        const group = groupOf(record);
        this.pauses.set(group, Math.max(this.pauses.get(group) ?? 0, error.retryAfterSeconds));
      }
      throw error;
    }
  }

  /** After the batch: hides every failed record of a paused group (its skipped siblings too) for the pause. */
  async apply(event: SQSEvent, response: SQSBatchResponse): Promise<void> {
    if (this.pauses.size === 0) return;
    const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
    const entries = event.Records.flatMap((r) => {
      const seconds = failed.has(r.messageId) ? this.pauses.get(groupOf(r)) : undefined;
      return seconds === undefined ? [] : [{ receiptHandle: r.receiptHandle, seconds }];
    });
    this.pauses.clear();
    try {
      await this.visibility.hide(entries);
    } catch (error) {
      // The records still come back, after the queue's own visibility timeout.
      logger.warn('could not delay rate-limited messages', { error: error instanceof Error ? error.message : String(error) });
    }
  }
}

function groupOf(record: SQSRecord): string {
  return record.attributes.MessageGroupId ?? record.messageId;
}
