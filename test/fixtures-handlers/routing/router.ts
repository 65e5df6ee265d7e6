import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { record } from '../recorder';

/** Records every delivery; a body containing `fail-first` fails its first delivery. */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse['batchItemFailures'] = [];
  for (const r of event.Records) {
    await record('inbound', {
      messageId: r.messageId,
      body: r.body,
      receiveCount: r.attributes.ApproximateReceiveCount,
      groupId: r.attributes.MessageGroupId,
      eventSource: r.eventSource,
      eventSourceARN: r.eventSourceARN,
      handledAt: Date.now(),
    });
    if (r.body.includes('fail-first') && r.attributes.ApproximateReceiveCount === '1') failures.push({ itemIdentifier: r.messageId });
  }
  return { batchItemFailures: failures };
}
