import * as z from 'zod/mini';
import type { CloseReason, RoutedChat } from '../../domain/model';
import type { ReportReader, ReportRecorder, ReportSubject } from '../../domain/ports';
import {
  bucketOf,
  countMetrics,
  emptyCounters,
  hourOf,
  isAbandoned,
  secondsBetween,
  timedMetrics,
  type CountMetric,
  type ReportCounters,
  type TimedMetric,
} from '../../domain/report';

import { logger } from '../../shared/logger';
import { lostRace, type Table } from './table';
import { ttlAfter } from './keys';
import { gatherForInvocation } from '../invocation-memo';

/**
 *   REPORT#Q#<queueId> | <hour ISO>   a queue's figures for one hour
 *   REPORT#A#<agentId> | <hour ISO>   an agent's figures for one hour
 *
 * Counters are top-level numbers (`created`, `accepted` …) and the histograms one number per
 * bucket (`h_wait_12`), so every event is a single `ADD` (a nested map path could not be added to
 * before the map exists). `waitMax` is exact: set if absent in the same update, raised by a
 * conditional `SET` only when the update's answer shows a smaller one.
 */
export const reportKeys = {
  queue: (queueId: string) => `REPORT#Q#${queueId}`,
  agent: (agentId: string) => `REPORT#A#${agentId}`,
} as const;

/** Report items are kept for 400 days. */
const keepSeconds = 400 * 24 * 3600;

/** One counter per disposition: `d_<dispositionId>`. */
const dispositionPrefix = 'd_';

const histogramPrefix: Record<TimedMetric, string> = { wait: 'h_wait_', firstResponse: 'h_first_', handle: 'h_handle_' };

interface Addition {
  counts?: Partial<Record<CountMetric, number>>;
  /** Chats closed with each disposition (`d_<dispositionId>`). */
  dispositions?: Record<string, number>;
  samples?: Partial<Record<TimedMetric, number>>;
}

const itemSchema = z.record(z.string(), z.unknown());

export class DynamoReports implements ReportRecorder, ReportReader {
  constructor(
    private readonly table: Table,
    /** The service level of a queue, in seconds (its `serviceLevelSeconds`, or the default). */
    private readonly serviceLevelOf: (queueId: string) => Promise<number>,
    private readonly onFailure: (error: unknown) => void = () => undefined,
  ) {}

  async chatCreated(chat: RoutedChat): Promise<void> {
    await this.record(chat, undefined, new Date(chat.createdAt), { counts: { created: 1 } }, { queueOnly: true });
  }

  async offered(chat: RoutedChat, agentId: string, at: Date): Promise<void> {
    await this.record(chat, agentId, at, { counts: { offered: 1 } });
  }

  async accepted(chat: RoutedChat, agentId: string, at: Date): Promise<void> {
    const wait = secondsBetween(chat.createdAt, at);
    const level = chat.queueId ? await this.serviceLevelOf(chat.queueId).catch(() => 60) : 60;
    await this.record(chat, agentId, at, { counts: { accepted: 1, answeredWithin: wait <= level ? 1 : 0 }, samples: { wait } });
  }

  async missed(chat: RoutedChat, agentId: string, at: Date): Promise<void> {
    await this.record(chat, agentId, at, { counts: { missed: 1 } });
  }

  async transferred(chat: RoutedChat, fromAgentId: string, at: Date): Promise<void> {
    await this.record(chat, fromAgentId, at, { counts: { transferred: 1 } });
  }

  async firstResponse(chat: RoutedChat, agentId: string, at: Date): Promise<void> {
    if (!chat.assignedAt) return;
    await this.record(chat, agentId, at, { samples: { firstResponse: secondsBetween(chat.assignedAt, at) } });
  }

  async closed(chat: RoutedChat, reason: CloseReason, at: Date): Promise<void> {
    const handled = chat.agentId && chat.assignedAt && reason !== 'transfer';
    await this.record(chat, chat.agentId ?? undefined, at, {
      counts: { messagesIn: chat.messagesIn ?? 0, messagesOut: chat.messagesOut ?? 0, abandoned: isAbandoned(chat, reason) ? 1 : 0 },
      // the disposition counted in the same update as the rest of the close
      ...(chat.disposition ? { dispositions: { [chat.disposition.id]: 1 } } : {}),
      ...(handled ? { samples: { handle: secondsBetween(chat.assignedAt!, at) } } : {}),
    });
  }

  async rated(chat: RoutedChat, rating: number, at: Date): Promise<void> {
    await this.record(chat, chat.agentId ?? undefined, at, { counts: { csatResponses: 1, csatSum: rating } });
  }

  /** The hourly items of one queue or agent in [from, to), oldest first: one query, paged. */
  async hours(subject: ReportSubject, from: Date, to: Date): Promise<{ hour: string; counters: ReportCounters }[]> {
    const pk = 'queueId' in subject ? reportKeys.queue(subject.queueId) : reportKeys.agent(subject.agentId);
    const last = new Date(to.getTime() - 1);
    const out: { hour: string; counters: ReportCounters }[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.table.query(itemSchema, {
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': pk, ':from': hourOf(from), ':to': hourOf(last) },
        ExclusiveStartKey: startKey,
      });
      for (const item of page.items) out.push({ hour: String(item.sk), counters: countersOf(item) });
      startKey = page.lastKey;
    } while (startKey);
    return out;
  }

  private async record(chat: RoutedChat, agentId: string | undefined, at: Date, addition: Addition, opts: { queueOnly?: boolean } = {}): Promise<void> {
    const hour = hourOf(at);
    const targets: string[] = [];
    if (chat.queueId) targets.push(reportKeys.queue(chat.queueId));
    if (agentId && !opts.queueOnly) targets.push(reportKeys.agent(agentId));
    const increments = incrementsOf(addition);
    if (Object.keys(increments.adds).length === 0 && increments.waitMax === undefined) return;
    await Promise.all(
      targets.map(async (pk) => {
        const write = (gathered: Increments) => this.add(pk, hour, gathered, at).catch((error: unknown) => this.failed(pk, hour, error, chat.id));
        // inside a queue consumer's invocation, one write per (item, hour) when its work is done
        if (!gatherForInvocation(`report|${pk}|${hour}`, increments, mergeIncrements, write)) await write(increments);
      }),
    );
  }

  private failed(pk: string, hour: string, error: unknown, chatId: string): void {
    logger.warn('report figure not added', { pk, hour, chatId, error: error instanceof Error ? error.message : String(error) });
    this.onFailure(error);
  }

  /** One atomic update of an hour's item; concurrent ones add up. */
  private async add(pk: string, hour: string, increments: Increments, at: Date): Promise<void> {
    const names: Record<string, string> = { '#ttl': 'ttl' };
    const values: Record<string, unknown> = { ':ttl': ttlAfter(at, keepSeconds) };
    const adds: string[] = [];
    const sets: string[] = ['#ttl = if_not_exists(#ttl, :ttl)'];
    for (const [i, [attribute, value]] of Object.entries(increments.adds).entries()) {
      names[`#a${i}`] = attribute;
      values[`:a${i}`] = value;
      adds.push(`#a${i} :a${i}`);
    }
    const wait = increments.waitMax;
    if (wait !== undefined) {
      sets.push('waitMax = if_not_exists(waitMax, :wait)');
      values[':wait'] = wait;
    }
    const after = await this.table.update({
      pk,
      sk: hour,
      update: `SET ${sets.join(', ')}${adds.length ? ` ADD ${adds.join(', ')}` : ''}`,
      names,
      values,
    });
    if (wait !== undefined && typeof after.waitMax === 'number' && after.waitMax < wait) {
      try {
        await this.table.update({ pk, sk: hour, update: 'SET waitMax = :wait', condition: 'waitMax < :wait', values: { ':wait': wait } });
      } catch (error) {
        // a longer wait landed meanwhile: that one is the max
        if (!lostRace(error)) throw error;
      }
    }
  }
}

/** What one or more events add to an hour's item: a number per attribute, and the longest wait among them. */
interface Increments {
  adds: Record<string, number>;
  waitMax?: number;
}

function incrementsOf(addition: Addition): Increments {
  const adds: Record<string, number> = {};
  const addOne = (attribute: string, value: number) => {
    if (value !== 0) adds[attribute] = (adds[attribute] ?? 0) + value;
  };
  for (const [metric, value] of Object.entries(addition.counts ?? {})) addOne(metric, value);
  for (const [dispositionId, value] of Object.entries(addition.dispositions ?? {})) addOne(`${dispositionPrefix}${dispositionId}`, value);
  for (const [metric, seconds] of Object.entries(addition.samples ?? {}) as [TimedMetric, number][]) {
    addOne(`${histogramPrefix[metric]}${bucketOf(seconds)}`, 1);
  }
  const wait = addition.samples?.wait;
  return wait === undefined ? { adds } : { adds, waitMax: wait };
}

function mergeIncrements(into: Increments, more: Increments): Increments {
  const adds = { ...into.adds };
  for (const [attribute, value] of Object.entries(more.adds)) adds[attribute] = (adds[attribute] ?? 0) + value;
  const waits = [into.waitMax, more.waitMax].filter((w): w is number => w !== undefined);
  return waits.length ? { adds, waitMax: Math.max(...waits) } : { adds };
}

function countersOf(item: Record<string, unknown>): ReportCounters {
  const counters = emptyCounters();
  for (const metric of countMetrics) counters.counts[metric] = Number(item[metric] ?? 0);
  for (const metric of timedMetrics) {
    const prefix = histogramPrefix[metric];
    for (const [attribute, value] of Object.entries(item)) {
      if (attribute.startsWith(prefix)) counters.histograms[metric][Number(attribute.slice(prefix.length))] = Number(value);
    }
  }
  for (const [attribute, value] of Object.entries(item)) {
    if (attribute.startsWith(dispositionPrefix)) (counters.dispositions ??= {})[attribute.slice(dispositionPrefix.length)] = Number(value);
  }
  if (typeof item.waitMax === 'number') counters.waitMax = Math.round(item.waitMax * 10) / 10;
  return counters;
}
