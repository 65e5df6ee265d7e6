import * as z from 'zod/mini';
import {
  agentRecordSchema,
  channelSchema,
  defaultSettings,
  messengerAppSchema,
  queueSchema,
  settingsSchema,
  type Agent,
  type AgentRecord,
  type Channel,
  type MessengerApp,
  type Queue,
  type Settings,
} from '../../domain/model';
import type { Directory, Outcome, Page, PageRequest } from '../../domain/ports';
import { agentView } from '../../domain/routing';
import { forgetForInvocation, rememberedForInvocation } from '../invocation-memo';
import { indexKeys, keys } from './keys';
import { partitionPage } from './page-tokens';
import { outcomeOf, type Table } from './table';

/**
 * The configuration admins keep (settings, Meta apps, channels, queues, agents) as the
 * router reads it. Writes that routing races with (agent load, presence) live in
 * `routing-store.ts`.
 */
const pageItem = z.object({ channelId: z.string() });
const listingKey = z.object({ pk: z.string().check(z.startsWith('AGENT#')), sk: z.string() });

export class DynamoDirectory implements Directory {
  constructor(private readonly table: Table) {}

  settings(): Promise<Settings> {
    return rememberedForInvocation('settings', async () => {
      const item = await this.table.get(z.partial(settingsSchema), keys.settings().pk, keys.settings().sk);
      return { ...defaultSettings, ...item };
    });
  }

  async saveSettings(settings: Settings): Promise<void> {
    forgetForInvocation();
    await this.table.put({ ...keys.settings(), ...settings });
  }

  messengerApp(appId: string): Promise<MessengerApp | undefined> {
    const k = keys.messengerApp(appId);
    return this.table.get(messengerAppSchema, k.pk, k.sk);
  }

  /** `lost` when the app exists already. */
  async createMessengerApp(app: MessengerApp): Promise<Outcome> {
    return created(
      this.table.put(
        { ...keys.messengerApp(app.appId), ...app, kindPk: indexKeys.kind('MAPP'), kindSk: `${app.createdAt}#${app.appId}` },
        { expression: 'attribute_not_exists(pk)' },
      ),
    );
  }

  channel(id: string): Promise<Channel | undefined> {
    const k = keys.channel(id);
    return rememberedForInvocation(`channel:${id}`, () => this.table.get(channelSchema, k.pk, k.sk));
  }

  async channelOfPage(pageId: string): Promise<Channel | undefined> {
    const k = keys.page(pageId);
    const page = await rememberedForInvocation(`page:${pageId}`, () => this.table.get(pageItem, k.pk, k.sk));
    return page ? this.channel(page.channelId) : undefined;
  }

  /** Creates a channel; a Messenger Page can back only one channel: `lost` when it backs one already. */
  async createChannel(channel: Channel): Promise<Outcome> {
    const item = { ...keys.channel(channel.id), ...channel, kindPk: indexKeys.kind('CHANNEL'), kindSk: `${channel.createdAt}#${channel.id}` };
    if (!channel.pageId) return created(this.table.put(item, { expression: 'attribute_not_exists(pk)' }));
    return created(
      this.table.transact([
        { Put: { TableName: '', Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
        { Put: { TableName: '', Item: { ...keys.page(channel.pageId), channelId: channel.id }, ConditionExpression: 'attribute_not_exists(pk)' } },
      ]),
    );
  }

  async saveChannel(channel: Channel): Promise<void> {
    forgetForInvocation();
    await this.table.put(
      { ...keys.channel(channel.id), ...channel, kindPk: indexKeys.kind('CHANNEL'), kindSk: `${channel.createdAt}#${channel.id}` },
      { expression: 'attribute_exists(pk)' },
    );
  }

  queue(id: string): Promise<Queue | undefined> {
    const k = keys.queue(id);
    return rememberedForInvocation(`queue:${id}`, () => this.table.get(queueSchema, k.pk, k.sk));
  }

  async listQueues(): Promise<Queue[]> {
    return this.listKind(queueSchema, 'QUEUE');
  }

  async saveQueue(queue: Queue): Promise<void> {
    forgetForInvocation();
    await this.table.put({ ...keys.queue(queue.id), ...queue, kindPk: indexKeys.kind('QUEUE'), kindSk: `${queue.createdAt}#${queue.id}` });
  }

  async agentItem(id: string, consistent = true): Promise<AgentRecord | undefined> {
    const k = keys.agent(id);
    return this.table.get(agentRecordSchema, k.pk, k.sk, consistent);
  }

  async agent(id: string): Promise<Agent | undefined> {
    const item = await this.agentItem(id, false);
    return item ? agentView(item) : undefined;
  }

  /** Every agent: the byKind `AGENT` list holds their listing entries (`keys.agentListing`), the agents are read by key. */
  async listAgentItems(): Promise<AgentRecord[]> {
    const all: AgentRecord[] = [];
    let after: string | undefined;
    do {
      const page = await this.agentItemsPage({ limit: 100, after });
      all.push(...page.items);
      after = page.next;
    } while (after);
    return all;
  }

  // ---- lists and writes of the management API ------------------------------------------

  /** Every channel (admins keep few); used to find the channels of a queue or a Meta app. */
  listChannels(): Promise<Channel[]> {
    return this.listKind(channelSchema, 'CHANNEL');
  }

  /** One page of a kind's items, oldest first, after `page.after` (a previous page's `next`). */
  queuesPage(page: PageRequest): Promise<Page<Queue>> {
    return partitionPage(this.table, queueSchema, { index: 'byKind', pk: indexKeys.kind('QUEUE'), whole: true }, page);
  }

  channelsPage(page: PageRequest): Promise<Page<Channel>> {
    return partitionPage(this.table, channelSchema, { index: 'byKind', pk: indexKeys.kind('CHANNEL'), whole: true }, page);
  }

  messengerAppsPage(page: PageRequest): Promise<Page<MessengerApp>> {
    return partitionPage(this.table, messengerAppSchema, { index: 'byKind', pk: indexKeys.kind('MAPP'), whole: true }, page);
  }

  /** One page of agents, oldest first: their listing entries in byKind `AGENT`, each agent item read by key. */
  async agentItemsPage(page: PageRequest): Promise<Page<AgentRecord>> {
    const listed = await partitionPage(this.table, listingKey, { index: 'byKind', pk: indexKeys.kind('AGENT') }, page);
    // one agent once, should an agent item written before the listing entries existed still carry the kind keys
    const agentKeys = [...new Map(listed.items.map((entry) => [entry.pk, keys.agent(entry.pk.slice('AGENT#'.length))])).values()];
    const items = await this.table.getMany(agentRecordSchema, agentKeys);
    return listed.next ? { items, next: listed.next } : { items };
  }

  /** Replaces an existing Meta app (verify token rotation). */
  async saveMessengerApp(app: MessengerApp): Promise<void> {
    await this.table.put(
      { ...keys.messengerApp(app.appId), ...app, kindPk: indexKeys.kind('MAPP'), kindSk: `${app.createdAt}#${app.appId}` },
      { expression: 'attribute_exists(pk)' },
    );
  }

  private async listKind<T>(schema: z.ZodMiniType<T>, kind: string): Promise<T[]> {
    const all: T[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.table.queryPartition(schema, { index: 'byKind', pk: indexKeys.kind(kind), startKey, whole: true });
      all.push(...page.items);
      startKey = page.lastKey;
    } while (startKey);
    return all;
  }
}

/** A create conditioned on the item not existing: `lost` when it (or, in a transaction, one of its items) exists. */
const created = outcomeOf;
