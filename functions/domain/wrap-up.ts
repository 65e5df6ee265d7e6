import * as z from 'zod/mini';
import type { Chat, ChannelType, ChatState, MessageDirection, QuickReply, SurveyAnswer } from './model';

/**
 * Wrapping a chat up: dispositions (what the chat was about, chosen when it closes), tags,
 * agents' private notes, the customer's earlier chats, and quick replies filled in for a chat.
 * Pure: shapes and rules, no I/O.
 */

/** A disposition admins define, for every queue (`queueId: null`) or one queue. */
export const dispositionSchema = z.object({ id: z.string(), label: z.string(), queueId: z.nullable(z.string()), createdAt: z.string() });
export type Disposition = z.infer<typeof dispositionSchema>;

/** A private note on a chat: agents and supervisors read it, the customer never does. */
export const noteSchema = z.object({ id: z.string(), chatId: z.string(), authorId: z.string(), authorName: z.string(), text: z.string(), createdAt: z.string() });
export type Note = z.infer<typeof noteSchema>;

export const maxNoteLength = 2000;
export const maxTags = 10;
export const maxTagLength = 50;
export const maxDispositionLabelLength = 100;
/** A customer history page: 20 chats unless asked, at most 50. */
export const defaultHistoryLimit = 20;
export const maxHistoryLimit = 50;

/** What a close carries besides its reason: the disposition as labelled now, and the tags. */
export interface WrapUp {
  disposition?: { id: string; label: string };
  tags?: string[];
}

/** The tags of a close as kept: trimmed, empty ones dropped, duplicates (after trimming) kept once, in the order given. */
export function normalizeTags(tags: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of tags) {
    const tag = raw.trim().normalize('NFC');
    if (tag.length === 0 || seen.has(tag)) continue;
    seen.add(tag);
    out.push(tag);
  }
  return out;
}

/** Why a close's disposition is refused, if it is. */
export type DispositionRefusal = 'disposition_required' | 'unknown_disposition';

/**
 * Checks a close's disposition against the chat's queue: one is needed when the queue requires
 * it; it must exist and be for every queue or for the chat's own queue.
 */
export function checkDisposition(
  queue: { id: string; dispositionRequired?: boolean } | undefined,
  dispositionId: string | undefined,
  found: Disposition | undefined,
): { ok: true; disposition?: Disposition } | { ok: false; code: DispositionRefusal } {
  if (dispositionId === undefined) return queue?.dispositionRequired ? { ok: false, code: 'disposition_required' } : { ok: true };
  if (!found || (found.queueId !== null && found.queueId !== queue?.id)) return { ok: false, code: 'unknown_disposition' };
  return { ok: true, disposition: found };
}

/** Dispositions an agent of `queueId` may choose: those for every queue, and that queue's. */
export function dispositionsFor(all: readonly Disposition[], queueId: string | undefined): Disposition[] {
  return all.filter((d) => d.queueId === null || (queueId !== undefined && d.queueId === queueId));
}

/** One of the customer's earlier chats, as the history lists it. */
export interface HistoryEntry {
  id: string;
  channelId: string;
  channelType: ChannelType;
  queueId: string | null;
  state: ChatState;
  createdAt: string;
  closedAt?: string;
  disposition?: { id: string; label: string };
  tags?: string[];
  survey?: SurveyAnswer;
  lastMessage?: { direction: MessageDirection; text?: string; sentAt: string };
}

/** Where a chat sorts in a customer's history: by creation, then id (the byCustomer index's sort key). */
export function historySortKey(chat: Pick<Chat, 'createdAt' | 'id'>): string {
  return `${chat.createdAt}#${chat.id}`;
}

const languageBase = (tag: string): string => tag.toLowerCase().split('-')[0] ?? '';

/**
 * The quick replies for a chat: those of every queue or the chat's queue, in the chat's language
 * (`pt-BR` also matches `pt`); when none is in that language, those of the fallback language.
 */
export function quickRepliesFor(all: readonly QuickReply[], chat: { queueId: string | null; language: string | null }, fallbackLanguage: string): QuickReply[] {
  const usable = all.filter((r) => r.queueId === null || r.queueId === chat.queueId);
  const inLanguage = (language: string) => {
    const exact = usable.filter((r) => r.language.toLowerCase() === language.toLowerCase());
    return exact.length > 0 ? exact : usable.filter((r) => languageBase(r.language) === languageBase(language));
  };
  const own = chat.language ? inLanguage(chat.language) : [];
  return own.length > 0 ? own : inLanguage(fallbackLanguage);
}

/** The customer's first name: the first word of their name as the platform gave it. */
export function firstNameOf(name: string): string {
  return name.trim().split(/\s+/u)[0] ?? '';
}

/** A quick reply's text with `{customerFirstName}` and `{agentName}` filled in; other braces are left as written. */
export function renderQuickReply(text: string, values: { customerFirstName: string; agentName: string }): string {
  return text.replace(/\{(customerFirstName|agentName)\}/g, (_m, name: 'customerFirstName' | 'agentName') => values[name]);
}
