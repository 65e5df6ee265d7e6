import type { AgentConnections, AgentEvent, WatchStore } from '../domain/ports';
import type { RoutedChat } from '../domain/model';
import { fitEvent, frameBudgetBytes } from '../domain/frame-budget';
import { causeChain } from '../domain/errors';
import { logger } from '../shared/logger';

export interface WatchersDeps {
  store: WatchStore;
  connections: Pick<AgentConnections, 'reply'>;
  clock: () => Date;
}

/**
 * Supervisors watching chats live: a chat's `message`, `messageStatus` and `chatClosed` frames
 * go on to each watching connection, marked `watching: true`. The chat in hand tells whether
 * anyone may be watching (`watchedUntil`), so an unwatched chat costs no read at all. Watch
 * frames are replies to one connection: not logged for `sync`.
 */
export class Watchers {
  constructor(private readonly deps: WatchersDeps) {}

  async forward(chat: Pick<RoutedChat, 'id' | 'watchedUntil'> | undefined, event: AgentEvent & { chatId: string }): Promise<void> {
    const { store, connections, clock } = this.deps;
    if (!chat?.watchedUntil) return;
    const now = clock();
    if (Date.parse(chat.watchedUntil) <= now.getTime()) return;
    try {
      const watchers = await store.watchersOf(chat.id, now);
      if (watchers.length === 0) return;
      const frame = fitEvent({ ...event, watching: true } as AgentEvent & Record<string, unknown>, frameBudgetBytes);
      if (!frame) return;
      await Promise.all(
        watchers.map(async (w) => {
          // a connection gone for good stops watching
          if (!(await connections.reply(w.agentId, w.connectionId, frame as { type: string }))) await store.unwatch(chat.id, w.connectionId);
        }),
      );
    } catch (error) {
      // watching is a view: a failure to pass a frame on never fails the chat's own work
      logger.warn('could not pass a frame on to watchers', { chatId: chat.id, type: event.type, errors: causeChain(error) });
    }
  }
}
