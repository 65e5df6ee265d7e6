import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { OutboundJob, OutboundQueue } from '../domain/ports';
import { dedupId } from './inbound-entries';

export { EnqueueFailed } from './inbound-entries';

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
