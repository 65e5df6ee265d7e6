import { createHash } from 'node:crypto';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { batchesOf, deduplicationKeyOf, messageGroupOf, queueBodyOf, type InboundEnvelope } from '../domain/inbound';
import type { OutboundJob, OutboundQueue } from '../domain/ports';
import { OmnichatError } from '../domain/errors';

/** Enqueueing failed: the webhook answers 5xx so the platform retries. */
export class EnqueueFailed extends OmnichatError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'enqueue_failed', status: 503, cause });
  }
}

/** SQS deduplication ids allow 128 characters; a digest keeps any platform id within that. */
function dedupId(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Puts platform events on the inbound FIFO queue, one message group per conversation. */
export class InboundQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(envelopes: readonly InboundEnvelope[]): Promise<void> {
    const messages = envelopes.map((envelope) => ({ envelope, body: queueBodyOf(envelope) }));
    // SQS refuses a batch over 1 MiB in all, so big events go in smaller batches
    for (const batch of batchesOf(messages, (m) => Buffer.byteLength(m.body, 'utf8'))) {
      let out;
      try {
        out = await this.client.send(
          new SendMessageBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: batch.map(({ envelope, body }, n) => ({
              Id: String(n),
              MessageBody: body,
              MessageGroupId: messageGroupOf(envelope),
              MessageDeduplicationId: dedupId(`${messageGroupOf(envelope)}:${deduplicationKeyOf(envelope)}`),
            })),
          }),
        );
      } catch (error) {
        throw new EnqueueFailed('The inbound queue did not accept the events.', error);
      }
      if (out.Failed?.length) throw new EnqueueFailed(`The inbound queue refused ${out.Failed.length} event(s): ${out.Failed[0]?.Code}`);
    }
  }
}

/** Puts agents' replies on the outbound FIFO queue, in order per chat. */
export class SqsOutboundQueue implements OutboundQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(job: OutboundJob): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(job),
        MessageGroupId: job.chatId,
        MessageDeduplicationId: dedupId(job.messageId),
      }),
    );
  }
}
