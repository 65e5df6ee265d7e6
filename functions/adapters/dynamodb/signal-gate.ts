import { lostRace, type Table } from './table';

/**
 * At most one typing (or seen) indicator per chat per window, decided by DynamoDB: one small
 * conditional put on its own item (`SIGNAL#<chatId>` | `<kind>`, with TTL), so concurrent frames
 * from several connections or containers let exactly one through. Costs 1 WCU, never touches
 * the chat item (whose writes are larger and whose versions routing relies on).
 */
export class DynamoSignalGate {
  constructor(private readonly table: Table) {}

  async pass(chatId: string, kind: 'typing' | 'seen', now: Date, windowMs: number): Promise<boolean> {
    const at = now.getTime();
    try {
      await this.table.put(
        { pk: `SIGNAL#${chatId}`, sk: kind, at, ttl: Math.ceil((at + windowMs) / 1000) + 3600 },
        { expression: 'attribute_not_exists(pk) OR #at <= :cutoff', names: { '#at': 'at' }, values: { ':cutoff': at - windowMs } },
      );
      return true;
    } catch (error) {
      if (lostRace(error)) return false;
      throw error;
    }
  }
}
