import * as z from 'zod/mini';
import {
  agentRecordSchema,
  offerSchema,
  routedChatSchema,
  type AgentRecord,
  type Offer,
  type RoutedChat,
  type Settings,
} from '../../domain/model';
import type { OfferedChat, Outcome, Page, QueueBacklog, RedirectTarget, RoutingStore } from '../../domain/ports';
import { table as shape } from '../../shared/resources';
import { byAvailability, canTakeChat, candidateOf, capacityOf, readyRank, withStatusSince, type Candidate } from '../../domain/routing';
import { indexKeys, keys, ttlAfter } from './keys';
import { shardedPage } from './page-tokens';
import { lostRace, outcomeOf, type Table, type TransactItem } from './table';

/** Connections outlive API Gateway's two-hour limit by a margin; stale ones also go on GoneException. */
const connectionRetentionSeconds = 3 * 3600;

const membershipItem = z.object({
  agentId: z.string(),
  queueId: z.string(),
  load: z.optional(z.number().check(z.int())),
  capacity: z.optional(z.number().check(z.int())),
  lastTakenAt: z.optional(z.string()),
});

const chatVersion = z.object({ version: z.number(), state: z.string(), offeredTo: z.array(z.string()) });

const kindEntry = z.object({ kindSk: z.string(), queueId: z.optional(z.nullable(z.string())) });

// Held chats are the chat items themselves (agentPk/agentSk set on accept), named by `id`.
const heldChat = z.object({ id: z.string() });

/**
 * The writes that routing races on. Each one is a single DynamoDB transaction conditioned on
 * the versions it read (`rev` of an agent, `version` of a chat), so of two concurrent
 * decisions exactly one lands; the other gets `lost` and decides again from fresh reads.
 */
export class DynamoRoutingStore implements RoutingStore {
  constructor(
    private readonly table: Table,
    /** Stamps `statusSince` on the agent writes that change an agent's status. */
    private readonly clock: () => Date = () => new Date(),
  ) {}

  // ---- facts -------------------------------------------------------------------------

  /**
   * Agents of a queue who can take a chat now, best first (eventually consistent; writes re-check).
   * The ready list is sharded by agent: each shard's best `limit` are read (in parallel) and the
   * best `limit` of them all kept, which are the list's best `limit`.
   */
  async readyCandidates(queueId: string, limit: number): Promise<Candidate[]> {
    const shards = await Promise.all(
      indexKeys.readyShards(queueId).map((pk) => this.table.queryPartition(membershipItem, { index: 'ready', pk, limit })),
    );
    const candidates = shards.flatMap(({ items }) =>
      items.map((m) => ({
        agentId: m.agentId,
        status: 'active' as const,
        load: m.load ?? 0,
        capacity: m.capacity ?? 0,
        lastTakenAt: m.lastTakenAt,
      })),
    );
    return candidates.sort(byAvailability).slice(0, limit);
  }

  /** One page of the chats waiting in a queue for an agent, oldest first: the queue's waiting shards merged by arrival. */
  waitingChats(queueId: string, limit: number, after?: string): Promise<Page<RoutedChat>> {
    return waitingPage(this.table, queueId, { limit, after });
  }

  /** The agent's pending offers, by chat id: those kept in the agent's item, and any offer item written before they were. */
  async offersOf(agentId: string): Promise<Offer[]> {
    const [agent, { items: legacy }] = await Promise.all([
      this.agent(agentId),
      this.table.queryPartition(offerSchema, { index: 'byAgent', pk: indexKeys.byAgent(agentId), skPrefix: 'OFFER#' }),
    ]);
    const kept = Object.entries(agent?.offers ?? {}).map(([chatId, o]) => asOffer(chatId, agentId, o));
    const found = [...kept, ...legacy.filter((o) => !agent?.offers?.[o.chatId])];
    return found.sort((a, b) => (a.chatId < b.chatId ? -1 : a.chatId > b.chatId ? 1 : 0));
  }

  async chatIdsHeldBy(agentId: string): Promise<string[]> {
    const { items } = await this.table.queryPartition(z.looseObject(heldChat.shape), { index: 'byAgent', pk: indexKeys.byAgent(agentId), skPrefix: 'CHAT#' });
    return items.map((i) => i.id);
  }

  async offer(chatId: string, agentId: string): Promise<Offer | undefined> {
    const kept = (await this.agent(agentId))?.offers?.[chatId];
    if (kept) return asOffer(chatId, agentId, kept);
    // an offer made before offers were kept with the agent
    const k = keys.offer(chatId, agentId);
    return this.table.get(offerSchema, k.pk, k.sk, true);
  }

  async agent(agentId: string): Promise<AgentRecord | undefined> {
    const k = keys.agent(agentId);
    return this.table.get(agentRecordSchema, k.pk, k.sk, true);
  }

  // ---- agents ------------------------------------------------------------------------

  /**
   * Writes an agent and keeps its queue memberships (and their place in the ready index) in step.
   * In a routing transition (`refresh` false) a membership whose ready entry would come out the
   * same is not rewritten (a second connection, a presence already set); saving an agent
   * (`refresh`) rewrites them all, so a new simultaneousChats reaches the ready index.
   */
  private agentWrites(before: AgentRecord | undefined, written: AgentRecord, settings: Settings, refresh = false, offers: OfferChange = {}): TransactItem[] {
    const { agent, memberships } = this.agentParts(before, written, settings, refresh, offers);
    return [agent, ...memberships];
  }

  /**
   * An agent's write in two parts: the agent item (conditioned on the version read) and the rest
   * (listing entry, memberships). Each membership names the agent version it was written for
   * (`agentRev`), so that written after the agent item, outside a transaction (`followUp`), an
   * older one never overwrites a newer.
   */
  private agentParts(
    before: AgentRecord | undefined,
    written: AgentRecord,
    settings: Settings,
    refresh = false,
    offers: OfferChange = {},
  ): { agent: TransactItem; after: AgentRecord; memberships: TransactItem[] } {
    // statusSince moves when the status (active / inactive / offline) changes; the offers are the
    // ones read with the agent (`before`) and this write's change, whatever the caller's copy holds
    const rev = (before?.rev ?? 0) + 1;
    const after = { ...withOffers(withStatusSince(before, written, this.clock()), before?.offers, offers), rev };
    const agent: TransactItem = {
      Put: {
        TableName: '',
        // no index key: this item is rewritten on every routing change of the agent
        Item: { ...keys.agent(after.id), ...after },
        ConditionExpression: before ? 'rev = :rev' : 'attribute_not_exists(pk)',
        ExpressionAttributeValues: before ? { ':rev': before.rev } : undefined,
      },
    };
    const memberships: TransactItem[] = [];
    // the agent's entry in the byKind list, written when the agent is created or saved, never by routing
    if (!before || refresh) memberships.push({ Put: { TableName: '', Item: agentListingItem(after) } });
    for (const queueId of after.queues) {
      const item = membershipOf(after, queueId, settings);
      const unchanged = !refresh && before?.queues.includes(queueId) && JSON.stringify(membershipOf(before, queueId, settings)) === JSON.stringify(item);
      if (!unchanged) memberships.push({ Put: { TableName: '', Item: { ...item, agentRev: rev } } });
    }
    for (const queueId of before?.queues ?? []) {
      if (!after.queues.includes(queueId)) memberships.push({ Delete: { TableName: '', Key: keys.membership(after.id, queueId) } });
    }
    return { agent, after, memberships };
  }

  /**
   * Writes memberships after the agent item they follow, each alone: one written for an older
   * version of the agent than the one it finds loses (a later write already put the newer).
   */
  private async followUp(memberships: TransactItem[], rev: number): Promise<void> {
    const newer = { ConditionExpression: 'attribute_not_exists(agentRev) OR agentRev < :rev', ExpressionAttributeValues: { ':rev': rev } };
    await Promise.all(
      memberships.map(async (write) => {
        const alone: TransactItem = write.Put ? { Put: { ...write.Put, ...newer } } : write.Delete ? { Delete: { ...write.Delete, ...newer } } : write;
        try {
          await this.table.write(alone);
        } catch (error) {
          if (!lostRace(error)) throw error;
        }
      }),
    );
  }

  /** Saves an agent read at `before` (undefined: a new agent); `lost` if it changed since. */
  async saveAgent(before: AgentRecord | undefined, after: AgentRecord, settings: Settings): Promise<Outcome> {
    return this.attempt(this.agentWrites(before, after, settings, true));
  }

  /** One more live connection: the count and the two items that name the connection (connection → agent, agent → connections). */
  async connectAgent(agent: AgentRecord, connectionId: string, settings: Settings, now: Date): Promise<Outcome> {
    const ttl = ttlAfter(now, connectionRetentionSeconds);
    const connection = { agentId: agent.id, connectionId, connectedAt: now.toISOString(), ttl };
    return this.attempt([
      ...this.agentWrites(agent, { ...agent, connections: agent.connections + 1 }, settings),
      { Put: { TableName: '', Item: { ...keys.connection(connectionId), ...connection } } },
      { Put: { TableName: '', Item: { ...keys.agentConnection(agent.id, connectionId), ...connection } } },
    ]);
  }

  /** One connection fewer; `lost` also when the connection is already forgotten (a concurrent disconnect or GoneException). */
  async disconnectAgent(agent: AgentRecord, connectionId: string, settings: Settings): Promise<Outcome> {
    return this.attempt([
      ...this.agentWrites(agent, { ...agent, connections: Math.max(0, agent.connections - 1) }, settings),
      ...[keys.connection(connectionId), keys.agentConnection(agent.id, connectionId)].map((Key) => ({
        Delete: { TableName: '', Key, ConditionExpression: 'attribute_exists(pk)' },
      })),
    ]);
  }

  // ---- chat transitions ----------------------------------------------------------------

  /**
   * Offers a chat to one agent: the agent's load grows by one, the chat becomes offered.
   *
   * Under available-agent (the routing decision of every new chat, whose offer always has an
   * accept timeout) in two conditional writes rather than one transaction, which would double
   * both: first the agent (load and the offer, at the version read: capacity is decided there),
   * their ready entries after it; then the chat (at its version: one owner is decided there).
   * An agent whose offer the chat then does not take has it taken back (`releaseOffer`). An offer
   * the agent holds and the chat does not list is a decision stopped between the two writes: the
   * same decision again finishes it without counting it twice, and the accept timeout, armed
   * before, or the agent going offline takes it back otherwise.
   */
  async offerChat(input: Parameters<RoutingStore['offerChat']>[0]): Promise<Outcome> {
    const { chat, agent, settings, now } = input;
    // all-agents chats stay in the waiting index until accepted, so agents who become ready later get them too
    const leaveWaiting = input.rule === 'available-agent';
    const chatWrite = this.chatUpdate(chat, {
      set: { state: 'offered', offeredTo: [...chat.offeredTo, agent.id], kindPk: indexKeys.chatsOfState('offered', chat.id) },
      remove: leaveWaiting ? ['waitPk', 'waitSk'] : [],
    });
    const offer = newOffer(chat.id, now, input.expiresAt, chat.version);
    if (input.rule !== 'available-agent' || !input.expiresAt) {
      if (!canTakeChat(candidateOf(agent, settings))) return 'lost';
      return this.attempt([...this.agentWrites(agent, { ...agent, load: agent.load + 1 }, settings, false, { add: offer }), chatWrite]);
    }
    const halfMade = agent.offers?.[chat.id] !== undefined && !chat.offeredTo.includes(agent.id);
    if (halfMade && candidateOf(agent, settings).status !== 'active') {
      // what an agent who stopped taking chats since holds is taken back, not finished
      await this.releaseOffer(chat.id, agent.id, settings);
      return 'lost';
    }
    let readyEntries: Promise<void> = Promise.resolve();
    if (!halfMade) {
      if (!canTakeChat(candidateOf(agent, settings)) || (chat.queueId !== null && !agent.queues.includes(chat.queueId))) {
        // listed as ready where they cannot take it: the ready entries are put right
        await this.repairMemberships(agent, settings, chat.queueId);
        return 'lost';
      }
      const { agent: agentWrite, after, memberships } = this.agentParts(agent, { ...agent, load: agent.load + 1 }, settings, false, { add: offer });
      if ((await this.attemptAlone(agentWrite)) === 'lost') return 'lost';
      // the ready entries beside the chat's write: each is ordered by the agent version it names, not by when it lands
      readyEntries = this.followUp(memberships, after.rev);
    }
    const [outcome] = await Promise.all([this.attemptAlone(chatWrite), readyEntries]);
    if (outcome === 'done') return 'done';
    await this.releaseOffer(chat.id, agent.id, settings);
    return 'lost';
  }

  /**
   * Takes back an offer an agent holds that its chat does not list (a decision that lost the chat,
   * or stopped between its two writes): the agent's load and offer, in one transaction with a check
   * that the chat is still as read. If the chat is still at the version the offer was made against,
   * its version is moved on, so that the decision, should it still be under way, cannot land.
   */
  async releaseOffer(chatId: string, agentId: string, settings: Settings): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const [agent, chat] = await Promise.all([this.agent(agentId), this.table.get(chatVersion, keys.chat(chatId).pk, keys.chat(chatId).sk, true)]);
      const offer = agent?.offers?.[chatId];
      if (!agent || !offer) return;
      if (chat && chat.state === 'offered' && chat.offeredTo.includes(agentId)) return;
      const { agent: agentWrite, after, memberships } = this.agentParts(agent, { ...agent, load: Math.max(0, agent.load - 1) }, settings, false, { remove: chatId });
      const check: TransactItem[] = !chat
        ? []
        : offer.chatVersion === chat.version
          ? [{ Update: { TableName: '', Key: keys.chat(chatId), UpdateExpression: 'SET #v = :next', ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': chat.version, ':next': chat.version + 1 } } }]
          : [{ ConditionCheck: { TableName: '', Key: keys.chat(chatId), ConditionExpression: '#v = :v', ExpressionAttributeNames: { '#v': 'version' }, ExpressionAttributeValues: { ':v': chat.version } } }];
      if ((await this.attempt([agentWrite, ...check])) === 'lost') continue;
      await this.followUp(memberships, after.rev);
      return;
    }
  }

  /** Puts an agent's ready entries right from the agent as read (and drops one of a queue they are not in). */
  private async repairMemberships(agent: AgentRecord, settings: Settings, queueId: string | null): Promise<void> {
    const writes: TransactItem[] = agent.queues.map((q) => ({ Put: { TableName: '', Item: { ...membershipOf(agent, q, settings), agentRev: agent.rev } } }));
    if (queueId !== null && !agent.queues.includes(queueId)) writes.push({ Delete: { TableName: '', Key: keys.membership(agent.id, queueId) } });
    await this.followUp(writes, agent.rev);
  }

  /** The agent takes an offered chat; fails (`lost`) if the offer was withdrawn or taken. */
  async acceptChat(input: Parameters<RoutingStore['acceptChat']>[0]): Promise<Outcome> {
    const { chat, agent, settings, now } = input;
    if (chat.state !== 'offered' || !chat.offeredTo.includes(agent.id)) return 'lost';
    const after: AgentRecord = { ...agent, lastTakenAt: now.toISOString() };
    return this.attempt([
      ...this.offerTaken(agent, after, settings, chat.id),
      this.chatUpdate(chat, {
        set: {
          state: 'assigned',
          agentId: agent.id,
          assignedAt: now.toISOString(),
          heldSince: now.toISOString(),
          // the other offers are withdrawn right after; none of them can win any more
          offeredTo: [],
          agentPk: indexKeys.byAgent(agent.id),
          agentSk: `CHAT#${chat.id}`,
          kindPk: indexKeys.chatsOfState('assigned', chat.id),
        },
        remove: ['waitPk', 'waitSk'],
      }),
    ]);
  }

  /**
   * Takes an offer back from an agent (timeout, taken by another, agent offline, chat closed).
   * With `requeue` a chat left with no offer goes back to waiting in its queue.
   */
  async withdrawOffer(input: Parameters<RoutingStore['withdrawOffer']>[0]): Promise<Outcome> {
    const { chat, agent, settings } = input;
    const after: AgentRecord = { ...agent, load: Math.max(0, agent.load - 1), ...(input.presence ? { presence: input.presence } : {}) };
    const offeredTo = chat.offeredTo.filter((a) => a !== agent.id);
    const skipped = input.reason === 'timeout' && !chat.skipped.includes(agent.id) ? [...chat.skipped, agent.id] : chat.skipped;
    const backToWaiting = input.requeue && chat.state === 'offered' && offeredTo.length === 0 && chat.queueId !== null;
    return this.attempt([
      ...this.offerTaken(agent, after, settings, chat.id),
      ...(input.requeue
        ? [
            this.chatUpdate(chat, {
              set: {
                offeredTo,
                skipped,
                ...(backToWaiting
                  ? {
                      state: 'waiting',
                      kindPk: indexKeys.chatsOfState('waiting', chat.id),
                      waitPk: indexKeys.waiting(chat.queueId as string, chat.id),
                      waitSk: `${chat.createdAt}#${chat.id}`,
                    }
                  : {}),
              },
              remove: [],
            }),
          ]
        : []),
    ]);
  }

  /**
   * Closes a chat: the conversation forgets it, and its agent's capacity frees. Offers still
   * pending are withdrawn by the caller first (each frees its own agent); the chat then lists none.
   */
  async closeChat(input: Parameters<RoutingStore['closeChat']>[0]): Promise<Outcome> {
    const { chat, agent, settings, now } = input;
    const wrapUp = {
      ...(input.wrapUp?.disposition ? { disposition: input.wrapUp.disposition } : {}),
      ...(input.wrapUp?.tags && input.wrapUp.tags.length > 0 ? { tags: input.wrapUp.tags } : {}),
    };
    // the customer-side counters, kept in the conversation while the chat was open (ChatStore), stay with the chat
    const counters = {
      lastMessageAt: chat.lastMessageAt,
      ...(chat.messagesIn !== undefined ? { messagesIn: chat.messagesIn } : {}),
      ...(chat.customerWroteAt !== undefined ? { customerWroteAt: chat.customerWroteAt } : {}),
      ...(chat.lastActivityAt !== undefined ? { lastActivityAt: chat.lastActivityAt } : {}),
    };
    const writes: TransactItem[] = [
      this.chatUpdate(
        chat,
        {
          set: { state: 'closed', offeredTo: [], closedAt: now.toISOString(), closeReason: input.reason, kindPk: indexKeys.chatsOfState('closed', chat.id), ...counters, ...wrapUp },
          remove: ['waitPk', 'waitSk', 'agentPk', 'agentSk', 'completionToken', 'completionIn'],
        },
        input.quiet ? quietSince(chat) : undefined,
      ),
      {
        Update: {
          TableName: '',
          Key: keys.conversation(chat.channelId, chat.customer.id),
          // the closed chat stays named: a late redelivery of one of its messages is found there (ChatStore.openChat)
          UpdateExpression: 'SET lastChatId = :chat REMOVE openChatId',
          // and no customer message was counted since the chat was read: the counters copied above are its last
          ConditionExpression: 'openChatId = :chat AND (attribute_not_exists(messagesIn) OR messagesIn = :in)',
          ExpressionAttributeValues: { ':chat': chat.id, ':in': chat.messagesIn ?? 0 },
        },
      },
    ];
    if (agent && chat.agentId === agent.id) writes.push(...this.agentWrites(agent, { ...agent, load: Math.max(0, agent.load - 1) }, settings));
    return this.attempt(writes);
  }

  /** Hands an assigned chat back to routing (transfer to a queue, or a named agent's offer). */
  async releaseChat(input: Parameters<RoutingStore['releaseChat']>[0]): Promise<Outcome> {
    const { chat, agent, settings } = input;
    return this.attempt([
      ...this.agentWrites(agent, { ...agent, load: Math.max(0, agent.load - 1) }, settings),
      this.chatUpdate(chat, {
        set: {
          state: 'waiting',
          agentId: null,
          queueId: input.toQueueId,
          offeredTo: [],
          skipped: [],
          kindPk: indexKeys.chatsOfState('waiting', chat.id),
          waitPk: indexKeys.waiting(input.toQueueId, chat.id),
          waitSk: `${chat.createdAt}#${chat.id}`,
          ...(input.note ? { transferNote: input.note } : {}),
        },
        remove: ['agentPk', 'agentSk', 'completionToken', ...(input.note ? [] : ['transferNote'])],
      }),
    ]);
  }

  /** Transfers an assigned chat straight to a named agent as an offer, in one step: no one else can grab it between. */
  async handOver(input: Parameters<RoutingStore['handOver']>[0]): Promise<Outcome> {
    const { chat, from, to, settings, now } = input;
    if (!canTakeChat(candidateOf(to, settings)) || from.id === to.id) return 'lost';
    return this.attempt([
      ...this.agentWrites(from, { ...from, load: Math.max(0, from.load - 1) }, settings),
      ...this.agentWrites(to, { ...to, load: to.load + 1 }, settings, false, { add: newOffer(chat.id, now, input.expiresAt, chat.version) }),
      this.chatUpdate(chat, {
        set: { state: 'offered', agentId: null, offeredTo: [to.id], skipped: [], kindPk: indexKeys.chatsOfState('offered', chat.id), ...(input.note ? { transferNote: input.note } : {}) },
        remove: ['agentPk', 'agentSk', 'completionToken', 'waitPk', 'waitSk', ...(input.note ? [] : ['transferNote'])],
      }),
    ]);
  }

  /** A supervisor's move of a chat, its pending offers withdrawn in the same transaction: to a queue, to an agent as an offer, or straight to an agent. */
  async redirectChat(input: Parameters<RoutingStore['redirectChat']>[0]): Promise<Outcome> {
    const { chat, from, withdraw, to, settings, now } = input;
    const writes: TransactItem[] = [];
    if (from) {
      if (chat.state !== 'assigned' || chat.agentId !== from.id) return 'lost';
      writes.push(...this.agentWrites(from, { ...from, load: Math.max(0, from.load - 1) }, settings));
    }
    for (const agent of withdraw) writes.push(...this.offerTaken(agent, { ...agent, load: Math.max(0, agent.load - 1) }, settings, chat.id));
    if ('queueId' in to) {
      writes.push(
        this.chatUpdate(chat, {
          set: {
            state: 'waiting',
            agentId: null,
            queueId: to.queueId,
            offeredTo: [],
            skipped: [],
            kindPk: indexKeys.chatsOfState('waiting', chat.id),
            waitPk: indexKeys.waiting(to.queueId, chat.id),
            waitSk: `${chat.createdAt}#${chat.id}`,
          },
          remove: ['agentPk', 'agentSk', 'completionToken'],
        }),
      );
      return this.attempt(writes);
    }
    const agent = to.agent;
    if (from?.id === agent.id || withdraw.some((a) => a.id === agent.id)) return 'lost';
    const holdsOffer = chat.state === 'offered' && chat.offeredTo.includes(agent.id);
    const leave = ['agentPk', 'agentSk', 'completionToken', 'waitPk', 'waitSk'];
    if (to.as === 'offer') {
      if (holdsOffer) {
        // the offer they hold stays as it is; only the others went
        writes.push(
          agent.offers?.[chat.id]
            ? { ConditionCheck: { TableName: '', Key: keys.agent(agent.id), ConditionExpression: '#rev = :rev', ExpressionAttributeNames: { '#rev': 'rev' }, ExpressionAttributeValues: { ':rev': agent.rev } } }
            : { ConditionCheck: { TableName: '', Key: keys.offer(chat.id, agent.id), ConditionExpression: 'attribute_exists(pk)' } },
        );
      } else {
        if (!canTakeChat(candidateOf(agent, settings))) return 'lost';
        writes.push(...this.agentWrites(agent, { ...agent, load: agent.load + 1 }, settings, false, { add: newOffer(chat.id, now, to.expiresAt, chat.version) }));
      }
      writes.push(this.chatUpdate(chat, { set: { state: 'offered', agentId: null, offeredTo: [agent.id], skipped: [], kindPk: indexKeys.chatsOfState('offered', chat.id) }, remove: leave }));
      return this.attempt(writes);
    }
    // straight to the agent: an offer they held becomes the chat itself (their load stays), else their load grows
    const taking: AgentRecord = { ...agent, load: holdsOffer ? agent.load : agent.load + 1, lastTakenAt: now.toISOString() };
    writes.push(...(holdsOffer ? this.offerTaken(agent, taking, settings, chat.id) : this.agentWrites(agent, taking, settings)));
    writes.push(
      this.chatUpdate(chat, {
        set: {
          state: 'assigned',
          agentId: agent.id,
          heldSince: now.toISOString(),
          offeredTo: [],
          skipped: [],
          agentPk: indexKeys.byAgent(agent.id),
          agentSk: `CHAT#${chat.id}`,
          kindPk: indexKeys.chatsOfState('assigned', chat.id),
        },
        remove: ['completionToken', 'waitPk', 'waitSk'],
      }),
    );
    return this.attempt(writes);
  }

  /** The waiting chats' partition of the byKind index (keys and queueId only): counted per queue, the oldest by its sort key. */
  async waitingByQueue(): Promise<QueueBacklog[]> {
    const found = new Map<string, QueueBacklog>();
    for (const chat of await this.chatsOfKind('waiting')) {
      if (!chat.queueId) continue;
      const seen = found.get(chat.queueId);
      if (!seen) found.set(chat.queueId, { queueId: chat.queueId, waiting: 1, oldestCreatedAt: chat.createdAt });
      else {
        seen.waiting += 1;
        if (chat.createdAt < seen.oldestCreatedAt) seen.oldestCreatedAt = chat.createdAt;
      }
    }
    return [...found.values()];
  }

  /** The offered chats' partition of the byKind index (keys and queueId only). */
  async offeredChats(): Promise<OfferedChat[]> {
    return (await this.chatsOfKind('offered')).map((c) => ({ chatId: c.id, queueId: c.queueId, createdAt: c.createdAt }));
  }

  /** One state's byKind shards of chats as the index projects them: `kindSk` is `<createdAt>#<id>`, `queueId` is projected. */
  private async chatsOfKind(state: string): Promise<{ id: string; queueId: string | null; createdAt: string }[]> {
    const shards = await Promise.all(
      indexKeys.chatsOfStateShards(state).map(async (pk) => {
        const found: { id: string; queueId: string | null; createdAt: string }[] = [];
        let startKey: Record<string, unknown> | undefined;
        do {
          const page = await this.table.query(kindEntry, {
            IndexName: shape.indexes.byKind.name,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': shape.indexes.byKind.partitionKey },
            ExpressionAttributeValues: { ':pk': pk },
            ExclusiveStartKey: startKey,
          });
          for (const entry of page.items) {
            const cut = entry.kindSk.lastIndexOf('#');
            found.push({ id: entry.kindSk.slice(cut + 1), queueId: entry.queueId ?? null, createdAt: entry.kindSk.slice(0, cut) });
          }
          startKey = page.lastKey;
        } while (startKey);
        return found;
      }),
    );
    return shards.flat().sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Arms (token) or disarms (undefined) the completion timeout of an assigned chat. */
  async setCompletionToken(chat: RoutedChat, token: string | undefined): Promise<Outcome> {
    // with the customer's message count it was armed at: a customer message after it disarms it (ChatStore's merge)
    return this.attempt([
      this.chatUpdate(chat, token ? { set: { completionToken: token, completionIn: chat.messagesIn ?? 0 }, remove: [] } : { set: {}, remove: ['completionToken', 'completionIn'] }),
    ]);
  }

  /**
   * The agent's write that ends their offer of a chat (accepted, withdrawn, or turned into the chat
   * itself): the offer leaves the agent's item in the same write, or, made before offers were kept
   * there, its own item is deleted beside it.
   */
  private offerTaken(before: AgentRecord, after: AgentRecord, settings: Settings, chatId: string): TransactItem[] {
    if (before.offers?.[chatId]) return this.agentWrites(before, after, settings, false, { remove: chatId });
    return [
      ...this.agentWrites(before, after, settings),
      { Delete: { TableName: '', Key: keys.offer(chatId, before.id), ConditionExpression: 'attribute_exists(pk)' } },
    ];
  }

  /** A conditional update of a chat at the version it was read; bumps the version. */
  private chatUpdate(chat: RoutedChat, change: { set: Record<string, unknown>; remove: string[] }, also?: Condition): TransactItem {
    const names: Record<string, string> = { '#version': 'version' };
    const values: Record<string, unknown> = { ':version': chat.version, ':next': chat.version + 1 };
    const sets = ['#version = :next'];
    Object.entries(change.set).forEach(([field, value], i) => {
      names[`#s${i}`] = field;
      values[`:s${i}`] = value;
      sets.push(`#s${i} = :s${i}`);
    });
    const removes = change.remove.map((field, i) => {
      names[`#r${i}`] = field;
      return `#r${i}`;
    });
    return {
      Update: {
        TableName: '',
        Key: keys.chat(chat.id),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: also ? `#version = :version AND ${also.expression}` : '#version = :version',
        ExpressionAttributeNames: also ? { ...names, ...also.names } : names,
        ExpressionAttributeValues: also ? { ...values, ...also.values } : values,
      },
    };
  }

  /** One write alone (not in a transaction); `lost` on its condition. */
  private attemptAlone(write: TransactItem): Promise<Outcome> {
    return outcomeOf(this.table.write(write));
  }

  private attempt(writes: TransactItem[]): Promise<Outcome> {
    return outcomeOf(this.table.transact(writes));
  }
}


/** The agent's entry in the byKind `AGENT` list (`keys.agentListing`): what lists agents, apart from the agent item routing rewrites. */
export function agentListingItem(agent: Pick<AgentRecord, 'id' | 'createdAt'>): Record<string, unknown> {
  return { ...keys.agentListing(agent.id), agentId: agent.id, kindPk: indexKeys.kind('AGENT'), kindSk: `${agent.createdAt}#${agent.id}` };
}

const waitingEntry = z.looseObject({ pk: z.string(), sk: z.string() });

/** One page of a queue's waiting chats, oldest first, its shards merged by `waitSk` (arrival); whole chats read by key. */
export async function waitingPage(table: Table, queueId: string, page: { limit: number; after?: string }): Promise<Page<RoutedChat>> {
  const keysPage = await shardedPage({ index: 'waiting', groups: [indexKeys.waitingShards(queueId)] }, page, async (pk, startKey, limit) => {
    const { items, lastKey } = await table.queryPartition(waitingEntry, { index: 'waiting', pk, limit, startKey });
    return { entries: items.map((key) => ({ key, value: { pk: key.pk, sk: key.sk } })), ...(lastKey ? { lastKey } : {}) };
  });
  const items = await table.getMany(routedChatSchema, keysPage.items);
  return keysPage.next ? { items, next: keysPage.next } : { items };
}

interface Condition {
  expression: string;
  names: Record<string, string>;
  values: Record<string, unknown>;
}

/**
 * The agent side wrote nothing since the chat was read: its reply count (grown by every agent
 * message, in the message's own write) is still the one read. The customer side is the close's
 * condition on the conversation (its `messagesIn`, which every customer message grows).
 */
function quietSince(chat: RoutedChat): Condition {
  if (chat.messagesOut === undefined) return { expression: 'attribute_not_exists(#qout)', names: { '#qout': 'messagesOut' }, values: {} };
  return { expression: '#qout = :qout', names: { '#qout': 'messagesOut' }, values: { ':qout': chat.messagesOut } };
}

/** What a write does to the agent's pending offers (`AgentRecord.offers`). */
interface OfferChange {
  add?: { chatId: string; offeredAt: string; expiresAt?: string; chatVersion: number };
  remove?: string;
}

function newOffer(chatId: string, now: Date, expiresAt: Date | undefined, chatVersion: number): NonNullable<OfferChange['add']> {
  return { chatId, offeredAt: now.toISOString(), ...(expiresAt ? { expiresAt: expiresAt.toISOString() } : {}), chatVersion };
}

/** The agent as written: the offers read with it (`kept`) and the change; no attribute when none is left. */
function withOffers(agent: AgentRecord, kept: AgentRecord['offers'], change: OfferChange): AgentRecord {
  const offers = { ...kept };
  if (change.remove !== undefined) delete offers[change.remove];
  if (change.add) {
    const { chatId, ...offer } = change.add;
    offers[chatId] = offer;
  }
  const { offers: _copied, ...rest } = agent;
  return Object.keys(offers).length > 0 ? { ...rest, offers } : rest;
}

/** An agent's membership of a queue as the agent's state makes it: in the queue's ready list while they can take a chat. */
function membershipOf(agent: AgentRecord, queueId: string, settings: Settings): Record<string, unknown> {
  const candidate = candidateOf(agent, settings);
  return {
    ...keys.membership(agent.id, queueId),
    agentId: agent.id,
    queueId,
    ...(canTakeChat(candidate)
      ? { readyPk: indexKeys.ready(queueId, agent.id), readySk: readyRank(candidate), load: agent.load, capacity: capacityOf(agent, settings), lastTakenAt: agent.lastTakenAt }
      : {}),
  };
}

function asOffer(chatId: string, agentId: string, kept: NonNullable<AgentRecord['offers']>[string]): Offer {
  return { chatId, agentId, offeredAt: kept.offeredAt, ...(kept.expiresAt ? { expiresAt: kept.expiresAt } : {}) };
}
