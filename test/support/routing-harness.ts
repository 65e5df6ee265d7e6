/**
 * The routing side (routing-rig.ts) wired to a fresh table in the shared DynamoDB Local, with recording
 * stand-ins for the ports that have no local AWS counterpart in a unit of code (socket pushes, timers, bus).
 *
 *   const h = await routingHarness();
 *   await h.queue({ id: 'q1', routingRule: 'available-agent' });
 *   await h.agent('ann', { connected: true });
 *   const chatId = await h.customerWrites('q1', 'cust-1');
 *   h.events('ann') // state events pushed to ann, in order
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoAgentLog } from '../../functions/adapters/dynamodb/agent-log';
import { DynamoChatStore } from '../../functions/adapters/dynamodb/chats';
import { DynamoDirectory } from '../../functions/adapters/dynamodb/directory';
import { DynamoRoutingStore } from '../../functions/adapters/dynamodb/routing-store';
import { Table } from '../../functions/adapters/dynamodb/table';
import type { Settings } from '../../functions/domain/model';
import { createTestTable, dynamodb } from './aws';
import { routingRig, type RigOptions } from './routing-rig';

export { RecordingEvents, RecordingNotifier, RecordingTimers, timerKey } from './routing-rig';

/** The DynamoDB stores over a fresh table in the shared DynamoDB Local. */
export async function dynamoStores(clock?: () => Date) {
  const table = new Table(DynamoDBDocumentClient.from(dynamodb(), { marshallOptions: { removeUndefinedValues: true } }), await createTestTable());
  return { table, directory: new DynamoDirectory(table), chats: new DynamoChatStore(table), store: new DynamoRoutingStore(table, clock), log: new DynamoAgentLog(table) };
}

export async function routingHarness(settings: Partial<Settings> = {}, options: RigOptions = {}) {
  // the store stamps agents' statusSince by the rig's clock, which exists once the rig does
  let clock: () => Date = () => new Date();
  const stores = await dynamoStores(() => clock());
  const rig = await routingRig(stores, settings, options);
  clock = rig.clock;
  return { table: stores.table, ...rig };
}

export type RoutingHarness = Awaited<ReturnType<typeof routingHarness>>;
