import { createHash } from 'node:crypto';
import { batchesOf, deduplicationKeyOf, messageGroupOf, queueBodyOf, type InboundEnvelope } from '../domain/inbound';
import { OmnichatError } from '../domain/errors';

/**
 * What the inbound queue is sent, whichever client sends it (the AWS SDK's, or the webhooks'
 * `fetch` one): SendMessageBatch entries, and the error a refusal becomes. Free of the AWS SDK.
 */

/** Enqueueing failed: the webhook answers 5xx so the platform retries. */
export class EnqueueFailed extends OmnichatError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'enqueue_failed', status: 503, cause });
  }
}

/** SQS deduplication ids allow 128 characters; a digest keeps any platform id within that. */
export function dedupId(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface InboundEntry {
  Id: string;
  MessageBody: string;
  MessageGroupId: string;
  MessageDeduplicationId: string;
}

/** The envelopes as SendMessageBatch entries, one message group per conversation, in batches SQS takes (10 entries, 1 MiB). */
export function inboundBatches(envelopes: readonly InboundEnvelope[]): InboundEntry[][] {
  const messages = envelopes.map((envelope) => ({ envelope, body: queueBodyOf(envelope) }));
  // SQS refuses a batch over 1 MiB in all, so big events go in smaller batches
  return batchesOf(messages, (m) => Buffer.byteLength(m.body, 'utf8')).map((batch) =>
    batch.map(({ envelope, body }, n) => ({
      Id: String(n),
      MessageBody: body,
      MessageGroupId: messageGroupOf(envelope),
      MessageDeduplicationId: dedupId(`${messageGroupOf(envelope)}:${deduplicationKeyOf(envelope)}`),
    })),
  );
}

/** A batch's `Failed` entries as the error the webhook answers with; undefined when none failed. */
export function refusal(failed: ReadonlyArray<{ Code?: string }> | undefined): EnqueueFailed | undefined {
  return failed?.length ? new EnqueueFailed(`The inbound queue refused ${failed.length} event(s): ${failed[0]?.Code}`) : undefined;
}
