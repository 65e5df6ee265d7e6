import type { ReplyFrame } from '../domain/ports';
import { bytesOf, frameBudgetBytes } from '../domain/frame-budget';
import type { Note } from '../domain/wrap-up';
import { historyToken, type WrapUpService } from '../services/wrap-up';
import type { ClientFrame, FrameOrigin } from './frames';

type WrapUpFrame = Extract<ClientFrame, { action: 'note' | 'notes' | 'customerHistory' }>;

/** Notes read for one `notes` frame at most; the newest that fit the frame are answered. */
const maxNotesRead = 500;

/**
 * The wrap-up frames of the agent socket: `note` (→ `noted`), `notes` and `customerHistory`.
 * Every answer fits one WebSocket frame: the oldest notes, or the last history entries, are
 * left out when they would not (`truncated: true`, or a `nextToken` to read on).
 */
export async function wrapUpFrame(service: WrapUpService, agentId: string, frame: WrapUpFrame, origin?: FrameOrigin): Promise<ReplyFrame> {
  const asker = { id: agentId, groups: origin?.groups ?? [] };
  const requestId = 'r'.repeat(128);
  switch (frame.action) {
    case 'note': {
      const note = await service.addNote(asker, frame.chatId, frame.text, frame.requestId);
      return { type: 'noted', note };
    }
    case 'notes': {
      const items: Note[] = [];
      let after: string | undefined;
      do {
        const page = await service.notes(asker, frame.chatId, { limit: 100, after });
        items.push(...page.items);
        after = page.next;
      } while (after && items.length < maxNotesRead);
      let kept = items;
      let truncated = after !== undefined;
      while (kept.length > 0 && bytesOf({ type: 'notes', requestId, chatId: frame.chatId, items: kept, truncated: true }) > frameBudgetBytes) {
        kept = kept.slice(1);
        truncated = true;
      }
      return { type: 'notes', chatId: frame.chatId, items: kept, ...(truncated ? { truncated: true } : {}) };
    }
    case 'customerHistory': {
      const page = await service.history(asker, frame.chatId, { ...(frame.limit ? { limit: frame.limit } : {}), ...(frame.nextToken ? { nextToken: frame.nextToken } : {}) });
      let items = page.items;
      let nextToken = page.nextToken;
      while (items.length > 1 && bytesOf({ type: 'customerHistory', requestId, chatId: frame.chatId, items, nextToken: 'n'.repeat(200) }) > frameBudgetBytes) {
        items = items.slice(0, -1);
        nextToken = historyToken(items[items.length - 1]!);
      }
      return { type: 'customerHistory', chatId: frame.chatId, items, ...(nextToken ? { nextToken } : {}) };
    }
  }
}
