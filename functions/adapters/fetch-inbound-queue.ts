import type { InboundEnvelope } from '../domain/inbound';
import type { AwsJsonClient } from './aws-json';
import { EnqueueFailed, inboundBatches, refusal } from './inbound-entries';

/**
 * Puts platform events on the inbound FIFO queue over `fetch` (SQS SendMessageBatch in the AWS JSON
 * protocol), for the webhooks, which carry no AWS SDK. Same entries and errors as `InboundQueue`.
 */
export class FetchInboundQueue {
  constructor(
    private readonly client: AwsJsonClient,
    private readonly queueUrl: string,
  ) {}

  async enqueue(envelopes: readonly InboundEnvelope[]): Promise<void> {
    for (const entries of inboundBatches(envelopes)) {
      let out: { Failed?: Array<{ Id?: string; Code?: string }> };
      try {
        out = await this.client.call('SendMessageBatch', { QueueUrl: this.queueUrl, Entries: entries });
      } catch (error) {
        throw new EnqueueFailed('The inbound queue did not accept the events.', error);
      }
      const refused = refusal(out.Failed);
      if (refused) throw refused;
    }
  }
}
