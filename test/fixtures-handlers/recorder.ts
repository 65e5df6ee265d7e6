/**
 * Test-only handler modules for the local runtime's e2e tests (run with OMNICHAT_HANDLERS_DIR pointing
 * here). They report what they received as EventBridge events through the real SDK client, so a
 * test reads them back at GET /dev/events and the SDK's endpoint-by-environment wiring is exercised.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

const events = new EventBridgeClient({});

export async function record(kind: string, detail: unknown): Promise<void> {
  await events.send(
    new PutEventsCommand({
      Entries: [{ Source: 'omnichat.test', DetailType: kind, Detail: JSON.stringify(detail), EventBusName: process.env.EVENT_BUS_NAME }],
    }),
  );
}
