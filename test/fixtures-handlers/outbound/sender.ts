import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { record } from '../recorder';

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  for (const r of event.Records) await record('outbound', { messageId: r.messageId, body: r.body });
  return { batchItemFailures: [] };
}
