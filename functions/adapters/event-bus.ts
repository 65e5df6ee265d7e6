import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventPublisher } from '../domain/ports';
import { OmnichatError } from '../shared/errors';

export class EventPublishFailed extends OmnichatError {}

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
