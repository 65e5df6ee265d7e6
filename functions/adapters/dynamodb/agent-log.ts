import * as z from 'zod/mini';
import type { AgentEvent, AgentLog, LiveConnection, LoggedEvent } from '../../domain/ports';
import { keys, ttlAfter } from './keys';
import { lostRace, type Table } from './table';

/** State events are kept two days, so a client back from a long cut still catches up. */
const eventRetentionSeconds = 2 * 24 * 3600;

const cursorItem = z.object({ cursor: z.number().check(z.int()) });
const loggedEvent = z.object({ cursor: z.number().check(z.int()), event: z.record(z.string(), z.unknown()) });
const connectionItem = z.object({ agentId: z.string(), connectionId: z.string(), connectedAt: z.optional(z.string()) });


/** Per-agent event log with a cursor that only grows, and the agent's live connections. */
export class DynamoAgentLog implements AgentLog {
  constructor(private readonly table: Table) {}

  /**
   * Appends an event and returns its cursor: one conditional write, no counter item. The cursor
   * is the newest logged one plus one, and never less than the clock in milliseconds, so it keeps
   * growing after the log has expired (TTL) and across agents' devices; of two appends that pick
   * the same cursor, the condition lets one land and the other picks again.
   */
  async append(agentId: string, event: AgentEvent, now: Date): Promise<number> {
    for (;;) {
      const cursor = Math.max((await this.newest(agentId)) + 1, now.getTime());
      try {
        await this.table.put(
          { ...keys.agentEvent(agentId, cursor), cursor, event, ttl: ttlAfter(now, eventRetentionSeconds) },
          { expression: 'attribute_not_exists(pk)' },
        );
        return cursor;
      } catch (error) {
        if (!lostRace(error)) throw error;
      }
    }
  }

  /** The newest logged cursor, or 0 (strongly consistent, one small read). */
  private async newest(agentId: string): Promise<number> {
    const { items } = await this.table.query(cursorItem, {
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :evt)',
      ExpressionAttributeValues: { ':pk': keys.agentEvent(agentId, 0).pk, ':evt': 'EVT#' },
      ProjectionExpression: '#cursor',
      ExpressionAttributeNames: { '#cursor': 'cursor' },
      ScanIndexForward: false,
      ConsistentRead: true,
      Limit: 1,
    });
    return items[0]?.cursor ?? 0;
  }

  /** Events after a cursor, oldest first, at most `limit` of them; `more` when the log holds further ones. */
  async since(agentId: string, cursor: number, limit = 200): Promise<{ events: LoggedEvent[]; more: boolean }> {
    const out: LoggedEvent[] = [];
    let startKey: Record<string, unknown> | undefined = keys.agentEvent(agentId, cursor);
    do {
      const page: { items: LoggedEvent[]; lastKey?: Record<string, unknown> } = await this.table.query(loggedEvent, {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :evt)',
        ExpressionAttributeValues: { ':pk': keys.agentEvent(agentId, 0).pk, ':evt': 'EVT#' },
        ExclusiveStartKey: startKey,
        ConsistentRead: true,
        Limit: limit + 1,
      });
      out.push(...page.items.filter((e) => e.cursor > cursor));
      startKey = page.lastKey;
    } while (startKey && out.length <= limit);
    return { events: out.slice(0, limit), more: out.length > limit };
  }

  async currentCursor(agentId: string): Promise<number> {
    return this.newest(agentId);
  }

  async connectionsOf(agentId: string): Promise<LiveConnection[]> {
    const { items } = await this.table.queryPartition(connectionItem, { pk: keys.agent(agentId).pk, skPrefix: 'CONN#', consistent: true });
    return items.map((c) => ({ connectionId: c.connectionId, connectedAt: c.connectedAt }));
  }

  async agentOfConnection(connectionId: string): Promise<string | undefined> {
    const k = keys.connection(connectionId);
    return (await this.table.get(connectionItem, k.pk, k.sk, true))?.agentId;
  }

}
