import type { SQSEvent } from 'aws-lambda';
import { record } from '../recorder';

/** Records every timer message it receives from the timer queue, with when it came. */
export async function handler(event: SQSEvent): Promise<void> {
  const firedAt = Date.now();
  for (const r of event.Records) await record('timer', { body: r.body, eventSourceARN: r.eventSourceARN, firedAt });
}
