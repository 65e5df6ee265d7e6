import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { WaitingLineStore } from '../../domain/hours';
import { table as shape } from '../../shared/resources';
import { indexKeys, keys, ttlAfter } from './keys';
import type { Table } from './table';

/**
 * Positions in line and the one-per-opening marker of queue hours.
 *
 *   QUEUE#<id> | OPENS#<opening ISO>   an opening timer is armed for this opening (TTL: a day after it)
 */
export class DynamoWaitingLine implements WaitingLineStore {
  constructor(private readonly table: Table) {}

  /** COUNT queries on the keys-only waiting index, one per shard of the queue (in parallel): chats of the queue that arrived before this one. */
  async positionOf(queueId: string, chat: { id: string; createdAt: string }): Promise<number> {
    const index = shape.indexes.waiting;
    const counts = await Promise.all(
      indexKeys.waitingShards(queueId).map(async (pk) => {
        let ahead = 0;
        let startKey: Record<string, unknown> | undefined;
        do {
          const out = await this.table.client.send(
            new QueryCommand({
              TableName: this.table.name,
              IndexName: index.name,
              KeyConditionExpression: '#pk = :pk AND #sk < :sk',
              ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
              ExpressionAttributeValues: { ':pk': pk, ':sk': `${chat.createdAt}#${chat.id}` },
              Select: 'COUNT',
              ExclusiveStartKey: startKey,
            }),
          );
          ahead += out.Count ?? 0;
          startKey = out.LastEvaluatedKey;
        } while (startKey);
        return ahead;
      }),
    );
    return counts.reduce((a, n) => a + n, 0) + 1;
  }

  async oncePerOpening(queueId: string, opening: Date, arm: () => Promise<void>): Promise<void> {
    const key = { pk: keys.queue(queueId).pk, sk: `OPENS#${opening.toISOString()}` };
    const seen = await this.table.client.send(new GetCommand({ TableName: this.table.name, Key: key }));
    if (seen.Item) return;
    // armed first, remembered after: a failure in between arms again on the retry rather than never
    await arm();
    await this.table.client.send(new PutCommand({ TableName: this.table.name, Item: { ...key, ttl: ttlAfter(opening, 86_400) } }));
  }
}
