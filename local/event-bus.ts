import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AwsServiceError, parseInput } from './aws-wire';

const putEventsInput = z.object({
  Entries: z
    .array(
      z.object({
        Source: z.string().optional(),
        DetailType: z.string().optional(),
        Detail: z.string().optional(),
        EventBusName: z.string().optional(),
        Resources: z.array(z.string()).optional(),
        Time: z.number().optional(),
      }),
    )
    .min(1)
    .max(10),
});

export interface RecordedEvent {
  id: string;
  time: string;
  source: string;
  detailType: string;
  eventBusName: string;
  resources: string[];
  detail: unknown;
}

/** EventBridge `PutEvents`: events are recorded (newest last, bounded) so developers and tests can see them. */
export class EventBusEmulator {
  private readonly recorded: RecordedEvent[] = [];

  constructor(private readonly limit = 1_000) {}

  handle(operation: string, input: unknown): unknown {
    if (operation !== 'PutEvents') {
      throw new AwsServiceError(400, 'UnknownOperationException', `The local runtime does not emulate AWSEvents.${operation}`);
    }
    const { Entries } = parseInput(putEventsInput, input, 'ValidationException');
    const results = Entries.map((entry) => {
      if (!entry.Source || !entry.DetailType || entry.Detail === undefined) {
        return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Source, DetailType and Detail are required.' };
      }
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      }
      const id = randomUUID();
      this.recorded.push({
        id,
        time: new Date(entry.Time !== undefined ? entry.Time * 1000 : Date.now()).toISOString(),
        source: entry.Source,
        detailType: entry.DetailType,
        eventBusName: entry.EventBusName ?? 'default',
        resources: entry.Resources ?? [],
        detail,
      });
      if (this.recorded.length > this.limit) this.recorded.shift();
      return { EventId: id };
    });
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  events(): readonly RecordedEvent[] {
    return this.recorded;
  }
}
