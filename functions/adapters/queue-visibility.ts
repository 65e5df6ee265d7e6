import { ChangeMessageVisibilityBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** SQS refuses a visibility timeout above twelve hours. */
const maxVisibilitySeconds = 12 * 3600;

/** Hides received messages of one queue for a while, so they come back when the platform allows. */
export class QueueVisibility {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async hide(entries: readonly { receiptHandle: string; seconds: number }[]): Promise<void> {
    for (let i = 0; i < entries.length; i += 10) {
      const batch = entries.slice(i, i + 10);
      await this.client.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((e, n) => ({
            Id: String(n),
            ReceiptHandle: e.receiptHandle,
            VisibilityTimeout: Math.min(maxVisibilitySeconds, Math.max(0, Math.ceil(e.seconds))),
          })),
        }),
      );
    }
  }
}
