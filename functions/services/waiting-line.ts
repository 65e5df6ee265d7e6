import { isOpen, nextOpening, type WaitingLineStore } from '../domain/hours';
import type { Queue, RoutedChat } from '../domain/model';
import type { ChatStore, Directory, Timers } from '../domain/ports';
import type { AutomatedMessages } from './automated-messages';
import type { Dispatcher } from './dispatcher';

export interface WaitingLineDeps {
  directory: Pick<Directory, 'queue'>;
  chats: Pick<ChatStore, 'chat'>;
  dispatcher: Pick<Dispatcher, 'routeQueue' | 'overflow' | 'close'>;
  automated: Pick<AutomatedMessages, 'welcome' | 'send'>;
  store: Pick<WaitingLineStore, 'positionOf'>;
  timers: Timers;
  clock: () => Date;
}

/** Queues a chat may pass through by overflow before it stays where it is (a chain of closed queues). */
const maxOverflowHops = 5;

const unheld = (chat: RoutedChat, queueId: string) => chat.queueId === queueId && (chat.state === 'waiting' || chat.state === 'offered');

/**
 * A chat's wait in its queue: the queue's hours (out-of-hours message, overflow, waiting for the
 * opening), its maximum wait (overflow, or a message and close as abandoned) and the messages
 * telling the customer their position in line. Routing itself offers nothing while a queue is
 * closed (`Dispatcher.routeQueue`); this decides what the customer is told and where the chat waits.
 */
export class WaitingLine {
  constructor(private readonly deps: WaitingLineDeps) {}

  /**
   * A new chat entered its queue (state waiting). Open: the greeting, and routing. Closed: the
   * out-of-hours message once, then the overflow queue if the hours name one, or waiting for the
   * opening. Then the queue's max-wait and position timers.
   */
  async arrived(chat: RoutedChat): Promise<void> {
    await this.settle(chat, { greet: true, since: new Date(chat.createdAt) });
  }

  /** The opening timer of a queue fired: route its waiting chats (if it is still closed, that arms the next opening). */
  async queueOpened(queueId: string): Promise<void> {
    await this.deps.dispatcher.routeQueue(queueId);
  }

  /** A chat's max wait in a queue ran out: if nobody took it, overflow or close it as abandoned, as the queue says. */
  async maxWaitReached(chatId: string, queueId: string): Promise<void> {
    const { chats, directory, dispatcher, timers, clock } = this.deps;
    const chat = await chats.chat(chatId);
    if (!chat || !unheld(chat, queueId)) return;
    const queue = await directory.queue(queueId);
    if (!queue?.maxWaitSeconds || !queue.maxWaitAction) return;
    const now = clock();
    if (!isOpen(queue.hours, now)) {
      // the wait counts while the queue is open: the rest of it runs from the next opening
      const opening = nextOpening(queue.hours, now);
      if (opening) await timers.arm(new Date(opening.getTime() + queue.maxWaitSeconds * 1000), { kind: 'maxWait', chatId, queueId });
      return;
    }
    const action = queue.maxWaitAction;
    if (action.type === 'overflow' && action.queueId !== queueId && (await directory.queue(action.queueId))) {
      const moved = await dispatcher.overflow(chatId, queueId, action.queueId, 'maxWait');
      if (moved) await this.settle(moved, { greet: false, since: now });
      return;
    }
    // close (or an overflow queue that is gone): the customer is told, the chat counts as abandoned
    await dispatcher.close(chatId, 'maxWait', undefined, undefined, undefined, (c) => unheld(c, queueId));
  }

  /** A position timer fired: tell a still waiting customer their place in line, and arm the next one. */
  async positionDue(chatId: string, queueId: string): Promise<void> {
    const { chats, directory, store, automated, timers, clock } = this.deps;
    const chat = await chats.chat(chatId);
    if (!chat || !unheld(chat, queueId)) return;
    const queue = await directory.queue(queueId);
    const every = queue?.positionUpdates?.everySeconds;
    if (!queue || !every) return;
    const now = clock();
    const next = (from: Date) => timers.arm(new Date(from.getTime() + every * 1000), { kind: 'positionInLine', chatId, queueId });
    if (!isOpen(queue.hours, now)) {
      const opening = nextOpening(queue.hours, now);
      if (opening) await next(opening);
      return;
    }
    if (chat.state === 'waiting') {
      const position = await store.positionOf(queueId, chat);
      // one message per period: a timer delivered twice sends (and re-arms) once
      const period = Math.floor((now.getTime() - Date.parse(chat.createdAt)) / (every * 1000));
      const sent = await automated.send(chat, 'positionInLine', { values: { position: String(position) }, once: `positionInLine#${queueId}#${period}` });
      if (!sent) return;
    }
    await next(now);
  }

  /** Places a chat that entered a queue: overflow from closed queues, greeting when open, routing, timers. */
  private async settle(chat: RoutedChat, options: { greet: boolean; since: Date }): Promise<void> {
    const { directory, dispatcher, automated } = this.deps;
    let current = chat;
    let since = options.since;
    const visited = new Set<string>();
    for (let hop = 0; current.queueId; hop++) {
      const queue = await directory.queue(current.queueId);
      if (!queue) break;
      visited.add(queue.id);
      if (isOpen(queue.hours, this.deps.clock())) {
        if (options.greet) await automated.welcome(current);
        await dispatcher.routeQueue(queue.id, { chat: current });
        await this.armTimers(current, queue, since);
        return;
      }
      // out of hours: told once per chat, whichever queue it reaches
      await automated.send(current, 'outOfHours');
      const overflow = queue.hours?.overflowQueueId;
      if (overflow && !visited.has(overflow) && hop < maxOverflowHops && (await directory.queue(overflow))) {
        const moved = await dispatcher.overflow(current.id, queue.id, overflow, 'outOfHours');
        if (!moved) return;
        current = moved;
        since = this.deps.clock();
        continue;
      }
      // waits for the opening: routing arms the opening timer
      await dispatcher.routeQueue(queue.id, { chat: current });
      await this.armTimers(current, queue, since);
      return;
    }
    if (current.queueId) await dispatcher.routeQueue(current.queueId, { chat: current });
  }

  /** The max-wait timer (from `since`, or from the opening when the queue is closed) and the first position update. */
  private async armTimers(chat: RoutedChat, queue: Queue, since: Date): Promise<void> {
    const { timers, clock } = this.deps;
    const now = clock();
    const start = isOpen(queue.hours, now) ? since : (nextOpening(queue.hours, now) ?? undefined);
    if (!start) return;
    if (queue.maxWaitSeconds && queue.maxWaitAction) {
      await timers.arm(new Date(start.getTime() + queue.maxWaitSeconds * 1000), { kind: 'maxWait', chatId: chat.id, queueId: queue.id });
    }
    const every = queue.positionUpdates?.everySeconds;
    if (every) {
      const from = start.getTime() > now.getTime() ? start : now;
      await timers.arm(new Date(from.getTime() + every * 1000), { kind: 'positionInLine', chatId: chat.id, queueId: queue.id });
    }
  }
}
