import * as z from 'zod/mini';
import type { Watcher, WatchStore } from '../../domain/ports';
import { keys } from './keys';
import { lostRace, type Table } from './table';

const watchItem = z.object({ agentId: z.string(), connectionId: z.string(), until: z.string() });

/**
 * Watches live in the chat's own partition (`WATCH#<connectionId>`, with TTL), and the chat
 * item carries `watchedUntil`: whoever sends a chat's frames reads that from the chat it has in
 * hand and queries the watches only while it lies ahead, so an unwatched chat costs nothing.
 */
export class DynamoWatchStore implements WatchStore {
  constructor(private readonly table: Table) {}

  async watch(chatId: string, watcher: Watcher, until: Date): Promise<void> {
    const at = until.toISOString();
    await this.table.put({ ...keys.watch(chatId, watcher.connectionId), ...watcher, until: at, ttl: Math.ceil(until.getTime() / 1000) });
    try {
      // never shortens another supervisor's watch; the chat's version stays, so routing is not disturbed
      await this.table.update({
        ...keys.chat(chatId),
        update: 'SET watchedUntil = :until',
        condition: 'attribute_exists(pk) AND (attribute_not_exists(watchedUntil) OR watchedUntil < :until)',
        values: { ':until': at },
      });
    } catch (error) {
      if (!lostRace(error)) throw error;
    }
  }

  async unwatch(chatId: string, connectionId: string): Promise<void> {
    const k = keys.watch(chatId, connectionId);
    await this.table.delete(k.pk, k.sk);
  }

  async watchersOf(chatId: string, now: Date): Promise<Watcher[]> {
    const { items } = await this.table.queryPartition(watchItem, { pk: keys.chat(chatId).pk, skPrefix: 'WATCH#' });
    const at = now.toISOString();
    return items.filter((w) => w.until > at).map((w) => ({ agentId: w.agentId, connectionId: w.connectionId }));
  }
}
