import * as z from 'zod';
import { defaultSettings, type Agent, type Channel, type MessengerApp, type Queue, type Settings } from '../../domain/model';
import { effectiveStatus } from '../../domain/routing';
import { indexKeys, keys } from './keys';
import type { Table } from './table';

/**
 * The configuration admins keep (settings, Meta apps, channels, queues, agents) as the
 * router reads it. Writes that routing races with (agent load, presence) live in
 * `routing-store.ts`.
 */
const settingsItem = z.object({
  simultaneousChats: z.number().int().min(1),
  acceptTimeoutSeconds: z.number().int().min(1),
  siteUrl: z.string().optional(),
  notificationSoundUrl: z.string().optional(),
});

const messengerAppItem = z.object({ appId: z.string(), verifyToken: z.string(), createdAt: z.string() });

/** A channel as stored, and as the management API shows it (tokens live in Secrets Manager, never here). */
export const channelItem = z.object({
  id: z.string(),
  type: z.enum(['messenger', 'telegram']),
  name: z.string(),
  active: z.boolean(),
  queueId: z.string().nullable(),
  language: z.string().nullable(),
  provisioningState: z.enum(['running', 'failed']),
  lastError: z.string().nullable(),
  humanAgentTag: z.boolean(),
  appId: z.string().optional(),
  pageId: z.string().optional(),
  botUsername: z.string().optional(),
  createdAt: z.string(),
});

/** A queue as stored, and as the management API shows it. */
export const queueItem = z.object({
  id: z.string(),
  name: z.string(),
  routingRule: z.enum(['all-agents', 'available-agent']),
  completionTimeoutSeconds: z.number().int().nullable(),
  members: z.object({ users: z.array(z.string()), groups: z.array(z.string()) }),
  createdAt: z.string(),
});

export const agentItem = z.object({
  id: z.string(),
  displayName: z.string(),
  groups: z.array(z.string()),
  simultaneousChats: z.number().int().min(0).optional(),
  presence: z.enum(['active', 'inactive']),
  connections: z.number().int(),
  load: z.number().int(),
  lastTakenAt: z.string().optional(),
  queues: z.array(z.string()),
  /** Grows on every write that changes routing facts; writes are conditional on it. */
  rev: z.number().int(),
  createdAt: z.string(),
});
export type AgentItem = z.infer<typeof agentItem>;

const pageItem = z.object({ channelId: z.string() });

export function agentView(item: AgentItem): Agent {
  const { presence, connections, queues: _queues, rev: _rev, ...rest } = item;
  return { ...rest, status: effectiveStatus(presence, connections), connections };
}

export class Directory {
  constructor(private readonly table: Table) {}

  async settings(): Promise<Settings> {
    const item = await this.table.get(settingsItem.partial(), keys.settings().pk, keys.settings().sk);
    return { ...defaultSettings, ...item };
  }

  async saveSettings(settings: Settings): Promise<void> {
    await this.table.put({ ...keys.settings(), ...settings });
  }

  messengerApp(appId: string): Promise<MessengerApp | undefined> {
    const k = keys.messengerApp(appId);
    return this.table.get(messengerAppItem, k.pk, k.sk);
  }

  /** Fails with a lost race when the app exists already. */
  async createMessengerApp(app: MessengerApp): Promise<void> {
    await this.table.put(
      { ...keys.messengerApp(app.appId), ...app, kindPk: indexKeys.kind('MAPP'), kindSk: `${app.createdAt}#${app.appId}` },
      { expression: 'attribute_not_exists(pk)' },
    );
  }

  channel(id: string): Promise<Channel | undefined> {
    const k = keys.channel(id);
    return this.table.get(channelItem, k.pk, k.sk);
  }

  async channelOfPage(pageId: string): Promise<Channel | undefined> {
    const k = keys.page(pageId);
    const page = await this.table.get(pageItem, k.pk, k.sk);
    return page ? this.channel(page.channelId) : undefined;
  }

  /** Creates a channel; a Messenger Page can back only one channel. */
  async createChannel(channel: Channel): Promise<void> {
    const item = { ...keys.channel(channel.id), ...channel, kindPk: indexKeys.kind('CHANNEL'), kindSk: `${channel.createdAt}#${channel.id}` };
    if (!channel.pageId) return this.table.put(item, { expression: 'attribute_not_exists(pk)' });
    await this.table.transact([
      { Put: { TableName: '', Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
      { Put: { TableName: '', Item: { ...keys.page(channel.pageId), channelId: channel.id }, ConditionExpression: 'attribute_not_exists(pk)' } },
    ]);
  }

  async saveChannel(channel: Channel): Promise<void> {
    await this.table.put(
      { ...keys.channel(channel.id), ...channel, kindPk: indexKeys.kind('CHANNEL'), kindSk: `${channel.createdAt}#${channel.id}` },
      { expression: 'attribute_exists(pk)' },
    );
  }

  queue(id: string): Promise<Queue | undefined> {
    const k = keys.queue(id);
    return this.table.get(queueItem, k.pk, k.sk);
  }

  async listQueues(): Promise<Queue[]> {
    return this.listKind(queueItem, 'QUEUE');
  }

  async saveQueue(queue: Queue): Promise<void> {
    await this.table.put({ ...keys.queue(queue.id), ...queue, kindPk: indexKeys.kind('QUEUE'), kindSk: `${queue.createdAt}#${queue.id}` });
  }

  async agentItem(id: string, consistent = true): Promise<AgentItem | undefined> {
    const k = keys.agent(id);
    return this.table.get(agentItem, k.pk, k.sk, consistent);
  }

  async agent(id: string): Promise<Agent | undefined> {
    const item = await this.agentItem(id, false);
    return item ? agentView(item) : undefined;
  }

  async listAgentItems(): Promise<AgentItem[]> {
    return this.listKind(agentItem, 'AGENT');
  }

  // ---- lists and writes of the management API ------------------------------------------

  /** Every channel (admins keep few); used to find the channels of a queue or a Meta app. */
  listChannels(): Promise<Channel[]> {
    return this.listKind(channelItem, 'CHANNEL');
  }

  /** One page of a kind's items, oldest first, from `startKey` (a previous page's `lastKey`). */
  queuesPage(page: { limit: number; startKey?: Record<string, unknown> }): Promise<{ items: Queue[]; lastKey?: Record<string, unknown> }> {
    return this.table.queryPartition(queueItem, { index: 'byKind', pk: indexKeys.kind('QUEUE'), limit: page.limit, startKey: page.startKey });
  }

  channelsPage(page: { limit: number; startKey?: Record<string, unknown> }): Promise<{ items: Channel[]; lastKey?: Record<string, unknown> }> {
    return this.table.queryPartition(channelItem, { index: 'byKind', pk: indexKeys.kind('CHANNEL'), limit: page.limit, startKey: page.startKey });
  }

  messengerAppsPage(page: { limit: number; startKey?: Record<string, unknown> }): Promise<{ items: MessengerApp[]; lastKey?: Record<string, unknown> }> {
    return this.table.queryPartition(messengerAppItem, { index: 'byKind', pk: indexKeys.kind('MAPP'), limit: page.limit, startKey: page.startKey });
  }

  agentItemsPage(page: { limit: number; startKey?: Record<string, unknown> }): Promise<{ items: AgentItem[]; lastKey?: Record<string, unknown> }> {
    return this.table.queryPartition(agentItem, { index: 'byKind', pk: indexKeys.kind('AGENT'), limit: page.limit, startKey: page.startKey });
  }

  /** Replaces an existing Meta app (verify token rotation). */
  async saveMessengerApp(app: MessengerApp): Promise<void> {
    await this.table.put(
      { ...keys.messengerApp(app.appId), ...app, kindPk: indexKeys.kind('MAPP'), kindSk: `${app.createdAt}#${app.appId}` },
      { expression: 'attribute_exists(pk)' },
    );
  }

  private async listKind<T>(schema: z.ZodType<T>, kind: string): Promise<T[]> {
    const all: T[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.table.queryPartition(schema, { index: 'byKind', pk: indexKeys.kind(kind), startKey });
      all.push(...page.items);
      startKey = page.lastKey;
    } while (startKey);
    return all;
  }
}
