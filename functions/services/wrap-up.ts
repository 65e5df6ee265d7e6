import { createHash } from 'node:crypto';
import { InvalidNextToken, NotFound, OmnichatError } from '../domain/errors';
import type { QuickReply, RoutedChat } from '../domain/model';
import type { AgentNotifier, ChatStore, CustomerHistoryStore, CustomerRef, Directory, Page, PageRequest, WrapUpStore } from '../domain/ports';
import {
  checkDisposition,
  dispositionsFor,
  type Disposition,
  defaultHistoryLimit,
  maxHistoryLimit,
  firstNameOf,
  historySortKey,
  normalizeTags,
  quickRepliesFor,
  renderQuickReply,
  type HistoryEntry,
  type Note,
  type WrapUp,
} from '../domain/wrap-up';
import type { WatchersPort } from './dispatcher';

export interface WrapUpDeps {
  store: WrapUpStore;
  history: CustomerHistoryStore;
  chats: Pick<ChatStore, 'chat'>;
  directory: Pick<Directory, 'queue' | 'agent' | 'settings'>;
  /** Every quick reply (the admins' list). */
  quickReplies: () => Promise<QuickReply[]>;
  notifier: AgentNotifier;
  watchers?: WatchersPort;
  clock: () => Date;
  newId: () => string;
}

/** Groups that read and annotate any chat. */
export const supervisorGroups = ['supervisors', 'chat-admins'];

/** Who asks: an agent id and the groups of their token. */
export interface Asker {
  id: string;
  groups: readonly string[];
}

const isSupervisor = (asker: Asker): boolean => asker.groups.some((g) => supervisorGroups.includes(g));

/** A close refused for its wrap-up: 400 with the code, naming the field. */
export class WrapUpRefused extends OmnichatError {
  constructor(code: 'disposition_required' | 'unknown_disposition', dispositionId?: string) {
    super(
      code === 'disposition_required' ? 'This queue needs a disposition to close a chat.' : `Disposition ${dispositionId ?? ''} does not exist for this chat's queue.`,
      { code, status: 400, details: [{ field: 'dispositionId', message: code === 'disposition_required' ? 'Required by the queue.' : 'Unknown for this queue.' }] },
    );
  }
}

/** A chat the asker may not read or annotate. */
export class NotYourChat extends OmnichatError {
  constructor(message = 'You can only do that for chats assigned to you.') {
    super(message, { code: 'not_your_chat', status: 403 });
  }
}


/**
 * Wrapping chats up: the disposition and tags of a close, private notes, the customer's earlier
 * chats (one channel, or every channel of a linked contact), and quick replies for a chat.
 */
export class WrapUpService {
  constructor(private readonly deps: WrapUpDeps) {}

  // ---- dispositions and quick replies (admins) ---------------------------------------------

  async createDisposition(label: string, queueId: string | null): Promise<Disposition> {
    if (queueId !== null && !(await this.deps.directory.queue(queueId))) throw new NotFound('Queue', queueId);
    const disposition: Disposition = { id: this.deps.newId(), label, queueId, createdAt: this.deps.clock().toISOString() };
    await this.deps.store.createDisposition(disposition);
    return disposition;
  }

  /** With a queue: those for every queue and that queue's. Without: every one for supervisors, those for every queue for agents. */
  async dispositions(asker: Asker, queueId: string | undefined): Promise<Disposition[]> {
    const all = await this.deps.store.dispositions();
    if (queueId !== undefined) return dispositionsFor(all, queueId);
    return isSupervisor(asker) ? all : dispositionsFor(all, undefined);
  }

  async deleteDisposition(id: string): Promise<void> {
    if (!(await this.deps.store.deleteDisposition(id))) throw new NotFound('Disposition', id);
  }

  async updateQuickReply(id: string, change: { language?: string; text?: string; queueId?: string | null }): Promise<QuickReply> {
    const before = await this.deps.store.quickReply(id);
    if (!before) throw new NotFound('Quick reply', id);
    if (change.queueId !== undefined && change.queueId !== null && !(await this.deps.directory.queue(change.queueId))) throw new NotFound('Queue', change.queueId);
    const after: QuickReply = {
      ...before,
      ...(change.language !== undefined ? { language: change.language } : {}),
      ...(change.text !== undefined ? { text: change.text } : {}),
      ...(change.queueId !== undefined ? { queueId: change.queueId } : {}),
    };
    if (!(await this.deps.store.saveQuickReply(after))) throw new NotFound('Quick reply', id);
    return after;
  }

  /**
   * The wrap-up of a close, checked against the chat's queue (`disposition_required`,
   * `unknown_disposition`); undefined when the chat is not there to check (the close refuses it).
   */
  async forClose(chat: Pick<RoutedChat, 'queueId'>, given: { dispositionId?: string; tags?: readonly string[] }): Promise<WrapUp> {
    const [queue, found] = await Promise.all([
      chat.queueId ? this.deps.directory.queue(chat.queueId) : Promise.resolve(undefined),
      given.dispositionId !== undefined ? this.deps.store.disposition(given.dispositionId) : Promise.resolve(undefined),
    ]);
    const checked = checkDisposition(queue, given.dispositionId, found);
    if (!checked.ok) throw new WrapUpRefused(checked.code, given.dispositionId);
    const tags = given.tags ? normalizeTags(given.tags) : [];
    return {
      ...(checked.disposition ? { disposition: { id: checked.disposition.id, label: checked.disposition.label } } : {}),
      ...(tags.length > 0 ? { tags } : {}),
    };
  }

  /** The wrap-up of an agent's close of a chat they hold; undefined when they do not hold it (the close refuses it). */
  async forAgentClose(agentId: string, chatId: string, given: { dispositionId?: string; tags?: readonly string[] }): Promise<WrapUp | undefined> {
    const chat = await this.deps.chats.chat(chatId);
    if (!chat || chat.state === 'closed' || chat.agentId !== agentId) return undefined;
    return this.forClose(chat, given);
  }

  /** A chat the asker may read: supervisors any, agents those assigned to them. */
  async readable(asker: Asker, chatId: string): Promise<RoutedChat> {
    const chat = await this.deps.chats.chat(chatId);
    if (!chat) throw new NotFound('Chat', chatId);
    if (!isSupervisor(asker) && !(chat.state === 'assigned' && chat.agentId === asker.id)) throw new NotYourChat();
    return chat;
  }

  /**
   * Keeps a private note on an open chat, by the agent holding it or a supervisor, and tells the
   * holder and the watching supervisors (`noteAdded`). Never sent to the customer. With a
   * `requestId`, a retried note is kept once.
   */
  async addNote(asker: Asker, chatId: string, text: string, requestId?: string): Promise<Note> {
    const { store, directory, notifier, clock, newId } = this.deps;
    const chat = await this.readable(asker, chatId);
    if (chat.state === 'closed' && !isSupervisor(asker)) throw new NotYourChat();
    const author = await directory.agent(asker.id);
    const note: Note = { id: newId(), chatId, authorId: asker.id, authorName: author?.displayName ?? asker.id, text, createdAt: clock().toISOString() };
    const dedupeKey = requestId === undefined ? undefined : createHash('sha256').update(`${chatId}\u0000${requestId}`).digest('base64url');
    const kept = await store.addNote(note, dedupeKey);
    if (kept.duplicate) return kept.note;
    const event = { type: 'noteAdded' as const, chatId, note };
    if (chat.agentId && chat.state === 'assigned') await notifier.notify(chat.agentId, event);
    await this.deps.watchers?.forward(chat, event);
    return note;
  }

  async notes(asker: Asker, chatId: string, page: PageRequest): Promise<Page<Note>> {
    await this.readable(asker, chatId);
    return this.deps.store.notes(chatId, page);
  }

  /**
   * The customer's other chats, newest first: those of the same customer on the chat's channel,
   * and with a linked contact those of every customer linked to it (every channel).
   */
  async history(asker: Asker, chatId: string, page: { limit?: number; nextToken?: string }): Promise<{ items: HistoryEntry[]; nextToken?: string }> {
    const chat = await this.readable(asker, chatId);
    const { history } = this.deps;
    const before = page.nextToken === undefined ? undefined : historyPosition(page.nextToken);
    const own: CustomerRef = { channelId: chat.channelId, customerId: chat.customer.id };
    const linked = chat.contactId ? await history.customersOfContact(chat.contactId) : [];
    const customers = [own, ...linked.filter((c) => c.channelId !== own.channelId || c.customerId !== own.customerId)];
    const limit = Math.min(maxHistoryLimit, page.limit ?? defaultHistoryLimit);
    const found = await history.chatsOf(customers, { limit, except: chat.id, ...(before ? { before } : {}) });
    const items = await Promise.all(found.chats.map((c) => this.entryOf(c)));
    const last = found.chats[found.chats.length - 1];
    return found.more && last ? { items, nextToken: Buffer.from(historySortKey(last), 'utf8').toString('base64url') } : { items };
  }

  private async entryOf(chat: RoutedChat): Promise<HistoryEntry> {
    const last = await this.deps.history.lastMessage(chat.id);
    return {
      id: chat.id,
      channelId: chat.channelId,
      channelType: chat.channelType,
      queueId: chat.queueId,
      state: chat.state,
      createdAt: chat.createdAt,
      ...(chat.closedAt ? { closedAt: chat.closedAt } : {}),
      ...(chat.disposition ? { disposition: chat.disposition } : {}),
      ...(chat.tags && chat.tags.length > 0 ? { tags: chat.tags } : {}),
      ...(chat.survey ? { survey: chat.survey } : {}),
      ...(last ? { lastMessage: { direction: last.direction, ...(last.text !== undefined ? { text: last.text } : {}), sentAt: last.sentAt } } : {}),
    };
  }

  /**
   * The quick replies for a chat the asker may read: its queue's and everyone's, in its language
   * (else the `defaultLanguage` setting, else `en`), each with `rendered` filled in for the chat
   * and the asking agent.
   */
  async quickRepliesForChat(asker: Asker, chatId: string): Promise<(QuickReply & { rendered: string })[]> {
    const chat = await this.readable(asker, chatId);
    const [all, settings, agent] = await Promise.all([this.deps.quickReplies(), this.deps.directory.settings(), this.deps.directory.agent(asker.id)]);
    const values = { customerFirstName: firstNameOf(chat.customer.name), agentName: agent?.displayName ?? asker.id };
    return quickRepliesFor(all, chat, settings.defaultLanguage ?? 'en').map((r) => ({ ...r, rendered: renderQuickReply(r.text, values) }));
  }
}

/** The position a history token carries: a byCustomer sort key (`<createdAt>#<chatId>`), nothing else. */
function historyPosition(token: string): string {
  const decoded = /^[A-Za-z0-9_-]{1,400}$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (!/^\d{4}-\d{2}-\d{2}T[0-9:.]+Z#[A-Za-z0-9_.@:-]{1,128}$/.test(decoded)) throw new InvalidNextToken('It is not a position in a customer history.');
  return decoded;
}

/** The history token of the position after an entry (for a page cut short to fit a frame). */
export function historyToken(entry: Pick<HistoryEntry, 'createdAt' | 'id'>): string {
  return Buffer.from(historySortKey(entry), 'utf8').toString('base64url');
}

/** Every quick reply the admins keep (at most 500: admins keep the list short). */
export async function allQuickReplies(admin: { quickReplies(page: PageRequest): Promise<Page<QuickReply>> }): Promise<QuickReply[]> {
  const items: QuickReply[] = [];
  let after: string | undefined;
  do {
    const page = await admin.quickReplies({ limit: 100, ...(after ? { after } : {}) });
    items.push(...page.items);
    after = page.next;
  } while (after && items.length < 500);
  return items.slice(0, 500);
}
