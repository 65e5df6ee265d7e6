import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventPublisher } from '../domain/ports';
import { OmnichatError } from '../domain/errors';

/** The bus refused an event: a dependency failure, so the caller may try again. */
export class EventPublishFailed extends OmnichatError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'event_publish_failed', status: 503, cause });
  }
}

/** Publishes the product's integration events (`source: omnichat`) on its EventBridge bus. */
export class EventBusPublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(detailType: string, detail: Record<string, unknown>): Promise<void> {
    const out = await this.client.send(
      new PutEventsCommand({ Entries: [{ EventBusName: this.busName, Source: 'omnichat', DetailType: detailType, Detail: JSON.stringify(detail) }] }),
    );
    if (out.FailedEntryCount) {
      throw new EventPublishFailed(`EventBridge refused ${detailType}: ${out.Entries?.[0]?.ErrorCode ?? 'unknown error'}`);
    }
  }
}
