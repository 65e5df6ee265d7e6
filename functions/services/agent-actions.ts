import { randomUUID } from 'node:crypto';
import { type Message, chatView, customerLastWroteAt } from '../domain/model';
import { ChatNoLongerHeld, type AgentLog, type ChatStore, type Directory, type OutboundQueue, type ReportRecorder, type RoutingStore, type WatchStore } from '../domain/ports';
import type { AgentEvent, ReplyFrame, AgentConnections } from '../domain/ports';
import { type Dispatcher, offeredEvent } from './dispatcher';
import type { TransferTargets } from './transfer-targets';
import type { ChatActions } from './chat-actions';
import type { ClientFrame, FrameOrigin } from '../socket/frames';
import type { Watchers } from './watchers';
import { Forbidden, OmnichatError } from '../domain/errors';
import type { AgentWorkspace } from './agent-workspace';
import type { TelegramFileLinks } from './telegram-file-links';
import { messagingWindow } from '../domain/messaging-window';
import { bytesOf, fitEvent, fitMessages, frameBudgetBytes, parseHistoryCursor, shrinkToFit } from '../domain/frame-budget';
import type { ThreadRequests } from './handover';
import { agentView } from '../domain/routing';
import type { AgentUploads } from './agent-uploads';
import type { ChatSignals } from './chat-signals';
import type { Attachment } from '../domain/model';
import type { WrapUpService } from './wrap-up';
import { wrapUpFrame } from '../socket/wrap-up-frames';

export interface AgentActionsDeps {
  dispatcher: Dispatcher;
  chatActions: Pick<ChatActions, 'run'>;
  chats: ChatStore;
  store: RoutingStore;
  log: AgentLog;
  outbound: OutboundQueue;
  notifier: AgentConnections;
  clock: () => Date;
  /** The chat's channel: its messaging window rules and whether it is failed. */
  directory: Pick<Directory, 'channel'>;
  threads: Pick<ThreadRequests, 'request'>;
  workspace: Pick<AgentWorkspace, 'of'>;
  fileLinks: Pick<TelegramFileLinks, 'presentAll'>;
  /** Supervisors' watches of chats; `watch` answers `not_configured` without them. */
  watches?: WatchStore;
  /** Supervisors watching a chat get the agent's own messages too. */
  watchers?: Pick<Watchers, 'forward'>;
  /** Report figures: the first response time. */
  reports?: Pick<ReportRecorder, 'firstResponse'>;
  /** Agents' file uploads (`upload`, and uploaded attachments in `send`); `not_configured` without. */
  uploads?: Pick<AgentUploads, 'upload' | 'resolve' | 'present'>;
  /** Typing and seen indicators shown to the customer. */
  signals?: Pick<ChatSignals, 'signal'>;
  /** Where a held chat can be transferred; `transferTargets` answers `not_configured` without it. */
  transferTargets?: Pick<TransferTargets, 'of'>;
  /** Dispositions and tags of closes, notes and the customer's history; closes carry no wrap-up and those frames answer `not_configured` without it. */
  wrapUp?: WrapUpService;
}

/** Groups that may watch any chat. */
const supervisorGroups = ['supervisors', 'chat-admins'];
/** How long a watch lasts without being renewed: a WebSocket connection's own limit on API Gateway. */
const watchSeconds = 2 * 3600;

const error = (code: string, message: string, requestId?: string): ReplyFrame => ({ type: 'error', code, message, ...(requestId ? { requestId } : {}) });

const transferMessages = {
  not_your_chat: 'You can only transfer chats assigned to you.',
  agent_not_found: 'That agent does not exist.',
  agent_unavailable: 'That agent is not active or has no free capacity.',
  queue_not_found: 'That queue does not exist.',
  busy: 'The chat kept changing; try again.',
} as const;

/** What each client frame does; returns the reply for the connection that sent it, if any. */
export class AgentActions {
  constructor(private readonly deps: AgentActionsDeps) {}

  async handle(agentId: string, frame: ClientFrame, origin?: FrameOrigin): Promise<ReplyFrame | undefined> {
    const { dispatcher, requestId } = { dispatcher: this.deps.dispatcher, requestId: frame.requestId };
    const withId = (reply: ReplyFrame): ReplyFrame => (requestId ? { ...reply, requestId } : reply);
    switch (frame.action) {
      case 'ping':
        return withId({ type: 'pong' });
      case 'setStatus':
        await dispatcher.setPresence(agentId, frame.status);
        return undefined;
      case 'accept': {
        const result = await dispatcher.accept(agentId, frame.chatId);
        return result.ok ? undefined : error(result.code, 'This chat is no longer offered to you.', requestId);
      }
      case 'send':
        return withId(await this.send(agentId, frame));
      case 'close': {
        // the disposition and tags are checked against the chat's queue before anything changes
        const wrapUp = await this.deps.wrapUp?.forAgentClose(agentId, frame.chatId, { dispositionId: frame.dispositionId, tags: frame.tags });
        const closed = await dispatcher.close(frame.chatId, 'agent', agentId, undefined, wrapUp);
        return closed.ok ? undefined : error('not_your_chat', 'Only the agent who holds an open chat can close it.', requestId);
      }
      case 'sync':
        return withId(await this.snapshot(agentId, frame.since));
      case 'transfer': {
        if (!frame.queueId === !frame.agentId) return error('bad_frame', 'Give exactly one of queueId or agentId.', requestId);
        const result = await dispatcher.transfer(agentId, frame.chatId, { queueId: frame.queueId, agentId: frame.agentId, ...(frame.note ? { note: frame.note } : {}) });
        return result.ok ? undefined : error(result.code, transferMessages[result.code], requestId);
      }
      case 'transferTargets': {
        if (!this.deps.transferTargets) throw new OmnichatError('Transfer targets are not wired to this socket.', { code: 'not_configured', status: 503 });
        const targets = await this.deps.transferTargets.of(agentId, frame.chatId);
        return targets.ok ? withId({ type: 'transferTargets', chatId: frame.chatId, queues: targets.queues, agents: targets.agents }) : error(targets.code, transferMessages.not_your_chat, requestId);
      }
      case 'requestThread': {
        const asked = await this.deps.threads.request(agentId, frame.chatId);
        return asked.ok ? withId({ type: 'threadRequested', chatId: frame.chatId }) : error(asked.code, asked.message, requestId);
      }
      case 'history':
        return withId(await this.history(agentId, frame, origin));
      case 'watch':
        return withId(await this.watch(agentId, frame.chatId, origin));
      case 'unwatch':
        await this.watchStore(agentId, origin).unwatch(frame.chatId, origin?.connectionId ?? '');
        return withId({ type: 'unwatched', chatId: frame.chatId });
      case 'upload':
        if (!this.deps.uploads) throw new OmnichatError('Uploads are not wired to this socket.', { code: 'not_configured', status: 503 });
        return withId(await this.deps.uploads.upload(agentId, frame));
      case 'typing':
      case 'seen':
        if (!this.deps.signals) throw new OmnichatError('Typing and seen are not wired to this socket.', { code: 'not_configured', status: 503 });
        await this.deps.signals.signal(agentId, frame.chatId, frame.action);
        return undefined;
      case 'note':
      case 'notes':
      case 'customerHistory': {
        if (!this.deps.wrapUp) throw new OmnichatError('Notes and history are not wired to this socket.', { code: 'not_configured', status: 503 });
        return withId(await wrapUpFrame(this.deps.wrapUp, agentId, frame, origin));
      }
      case 'runAction': {
        // a refusal (ChatActionNotFound, ChatActionNotAllowed) is thrown and answered by the socket's one error mapping
        const ran = await this.deps.chatActions.run(agentId, frame.chatId, frame.actionId);
        return withId({ type: 'actionRun', chatId: frame.chatId, actionId: frame.actionId, detailType: ran.detailType });
      }
    }
  }

  /** Stores the reply, queues it for the platform, and arms the completion timeout. Retries with the same clientMessageId send once. */
  private async send(agentId: string, frame: Extract<ClientFrame, { action: 'send' }>): Promise<ReplyFrame> {
    const { chats, outbound, notifier, dispatcher, clock } = this.deps;
    const chat = await chats.chat(frame.chatId);
    if (!chat || chat.state !== 'assigned' || chat.agentId !== agentId) {
      return error('not_your_chat', 'You can only write in chats assigned to you.');
    }
    if (frame.text === undefined && frame.attachments === undefined) return error('bad_frame', 'Send text, attachments, or both.');
    const now = clock();
    const channel = await this.deps.directory.channel(chat.channelId);
    if (channel?.provisioningState === 'failed') return error('channel_failed', `The channel cannot send until an admin fixes it: ${channel.lastError ?? 'its token was rejected'}.`);
    if (channel?.type === 'messenger') {
      // refused before anything is stored or sent, so the agent knows at once
      const window = messagingWindow({ customerLastMessageAt: customerLastWroteAt(chat), now, humanAgentTag: channel.humanAgentTag, automated: false });
      if (!window.allowed) return error(window.code, window.reason);
    }
    const attachments = frame.attachments ? await this.attachmentsOf(chat, channel, frame.attachments) : undefined;
    const delivery = { channelType: 'agent', channelKey: agentId, deliveryId: frame.clientMessageId };
    const message: Message = {
      id: randomUUID(),
      chatId: chat.id,
      direction: 'out',
      ...(frame.text !== undefined ? { text: frame.text } : {}),
      ...(attachments ? { attachments } : {}),
      sentAt: now.toISOString(),
      status: 'pending',
      agentId,
    };
    let stored: boolean;
    try {
      stored = await chats.append(chat.id, { message: { ...message, clientMessageId: frame.clientMessageId }, delivery, heldBy: agentId }, now);
    } catch (cause) {
      // closed, transferred or reassigned since it was read above: nothing was stored or sent
      if (cause instanceof ChatNoLongerHeld) return error('not_your_chat', 'The chat was closed or moved before your message was kept; it was not sent.');
      throw cause;
    }
    if (!stored) {
      const messageId = await chats.deliveredMessageId(delivery);
      return { type: 'sent', chatId: chat.id, clientMessageId: frame.clientMessageId, messageId, duplicate: true };
    }
    await outbound.enqueue({ chatId: chat.id, messageId: message.id, sentAt: message.sentAt });
    if (!chat.firstReplyAt) await this.deps.reports?.firstResponse(chat, agentId, now);
    await dispatcher.armCompletion(chat, message.id, now);
    // uploaded files are shown as signed download links; the stored message keeps their keys
    const shown = this.deps.uploads ? await this.deps.uploads.present(message) : message;
    await notifier.notify(agentId, { type: 'message', chatId: chat.id, message: shown });
    await this.deps.watchers?.forward(chat, { type: 'message', chatId: chat.id, message: shown });
    return { type: 'sent', chatId: chat.id, clientMessageId: frame.clientMessageId, messageId: message.id, message: shown };
  }

  /** Links as given; uploaded files checked (this chat's, uploaded, within the channel's limit) and kept by key. */
  private async attachmentsOf(
    chat: Parameters<NonNullable<AgentActionsDeps['uploads']>['resolve']>[0],
    channel: Parameters<NonNullable<AgentActionsDeps['uploads']>['resolve']>[1],
    given: NonNullable<Extract<ClientFrame, { action: 'send' }>['attachments']>,
  ): Promise<Attachment[]> {
    const uploaded = given.flatMap((a) => ('key' in a ? [a] : []));
    if (uploaded.length === 0) return given.map((a) => ('key' in a ? { type: a.type, url: '', name: a.name } : a));
    if (!this.deps.uploads) throw new OmnichatError('Uploads are not wired to this socket.', { code: 'not_configured', status: 503 });
    const resolved = await this.deps.uploads.resolve(chat, channel, uploaded);
    let next = 0;
    return given.map((a) => ('key' in a ? resolved[next++]! : a));
  }

  /** The watch store, for a supervisor's connection; anyone else is refused. */
  private watchStore(agentId: string, origin: FrameOrigin | undefined): WatchStore {
    if (!origin || !origin.groups.some((g) => supervisorGroups.includes(g))) throw new Forbidden('Watching chats needs the supervisors or chat-admins group.');
    if (!this.deps.watches) throw new OmnichatError('Watching is not wired to this socket.', { code: 'not_configured', status: 503 });
    return this.deps.watches;
  }

  /**
   * A supervisor watches an open chat on this connection: the chat and its newest messages now,
   * then its `message`, `messageStatus` and `chatClosed` frames (marked `watching`) until
   * `unwatch`, the connection's end or two hours.
   */
  private async watch(agentId: string, chatId: string, origin: FrameOrigin | undefined): Promise<ReplyFrame> {
    const store = this.watchStore(agentId, origin);
    const chat = await this.deps.chats.chat(chatId);
    if (!chat) return error('not_found', `Chat ${chatId} does not exist.`);
    if (chat.state === 'closed') return error('chat_closed', 'The chat is closed.');
    const now = this.deps.clock();
    await store.watch(chatId, { agentId, connectionId: origin?.connectionId ?? '' }, new Date(now.getTime() + watchSeconds * 1000));
    const page = await this.deps.chats.messagePage(chat.id);
    const messages = await this.deps.fileLinks.presentAll(chat.channelId, page.messages);
    const base = { type: 'watching', chatId: chat.id, chat: chatView(chat), requestId: 'r'.repeat(128) };
    const fitted = fitMessages(base, messages, frameBudgetBytes, page.olderCursor !== undefined);
    return { type: 'watching', chatId: chat.id, chat: chatView(chat), messages: fitted.messages, ...(fitted.olderCursor ? { olderCursor: fitted.olderCursor } : {}) };
  }

  /** Older messages of a chat the agent holds, newest page first: as many as fit a frame, and the cursor of the rest. */
  private async history(agentId: string, frame: Extract<ClientFrame, { action: 'history' }>, origin?: FrameOrigin): Promise<ReplyFrame> {
    const before = frame.before === undefined ? undefined : parseHistoryCursor(frame.before);
    if (frame.before !== undefined && !before) {
      return { type: 'error', code: 'bad_frame', message: 'That is not a history cursor.', details: [{ field: 'before', message: 'Use a cursor from chatAssigned, snapshot or history.' }] };
    }
    const chat = await this.deps.chats.chat(frame.chatId);
    // supervisors read the history of any chat (the one they watch); agents of chats assigned to them
    const supervisor = origin?.groups.some((g) => supervisorGroups.includes(g)) ?? false;
    const mine = chat?.state === 'assigned' && chat.agentId === agentId;
    if (!chat || (!mine && !supervisor)) return error('not_your_chat', 'You can only read the history of chats assigned to you.');
    const page = await this.deps.chats.messagePage(chat.id, { before });
    const messages = await this.deps.fileLinks.presentAll(chat.channelId, page.messages);
    const base = { type: 'history', chatId: chat.id, requestId: frame.requestId ?? '' };
    const fitted = fitMessages(base, messages, frameBudgetBytes, page.olderCursor !== undefined);
    return { type: 'history', chatId: chat.id, messages: fitted.messages, ...(fitted.olderCursor ? { olderCursor: fitted.olderCursor } : {}) };
  }

  /**
   * Open chats, pending offers and the events after `since`: what a reconnecting client needs,
   * in one frame. Held chats carry their newest messages (`olderCursor` when there are more);
   * events that do not all fit come in order up to `cursor` with `moreEvents: true`, and the
   * client asks again with `since: cursor`.
   */
  private async snapshot(agentId: string, since?: number): Promise<ReplyFrame> {
    const { chats, store, log, fileLinks } = this.deps;
    const cursor = await log.currentCursor(agentId);
    const [agent, heldIds, offers, logged] = await Promise.all([
      store.agent(agentId),
      store.chatIdsHeldBy(agentId),
      store.offersOf(agentId),
      since === undefined ? Promise.resolve({ events: [], more: false }) : log.since(agentId, since),
    ]);
    const offered = await Promise.all(
      offers.map(async (o) => {
        const chat = await chats.chat(o.chatId);
        // an offer the chat does not list is a decision under way (or stopped halfway): not the agent's to accept
        if (!chat || chat.state !== 'offered' || !chat.offeredTo.includes(agentId)) return undefined;
        const { type: _t, ...offer } = offeredEvent(chat, o.expiresAt, await this.deps.dispatcher.previewOf(chat.id)) as Extract<AgentEvent, { type: 'chatOffered' }>;
        return offer;
      }),
    );
    const workspace = await this.deps.workspace.of(agent?.queues ?? []);
    const head = {
      type: 'snapshot',
      cursor: Number.MAX_SAFE_INTEGER,
      status: agent ? agentView(agent).status : 'offline',
      offers: offered.filter((o) => o !== undefined),
      ...workspace,
      requestId: 'r'.repeat(128),
      moreEvents: true,
    };
    const budget = frameBudgetBytes;
    const fittedHead = bytesOf(head) <= budget / 3 ? head : (shrinkToFit(head, budget / 3) ?? head);
    const headBytes = bytesOf({ ...fittedHead, chats: [], events: [] });

    // events: oldest first, each fitted, up to their share of the frame
    const eventBudget = Math.floor((budget - headBytes) * (heldIds.length > 0 ? 0.4 : 1));
    const events: Record<string, unknown>[] = [];
    let eventBytes = 0;
    let more = logged.more;
    for (const e of logged.events) {
      const fitted = fitEvent({ ...e.event, cursor: e.cursor }, eventBudget);
      const size = fitted ? bytesOf(fitted) + 1 : Infinity;
      if (eventBytes + size > eventBudget) {
        more = true;
        break;
      }
      events.push(fitted!);
      eventBytes += size;
    }
    const lastCursor = events.length > 0 ? (events[events.length - 1]!.cursor as number) : (since ?? 0);

    // held chats share what is left, each with its newest messages
    const perChat = heldIds.length > 0 ? Math.floor((budget - headBytes - eventBytes) / heldIds.length) : 0;
    const held = await Promise.all(
      heldIds.map(async (id) => {
        const chat = await chats.chat(id);
        if (!chat) return undefined;
        const page = await chats.messagePage(id, { maxBytes: perChat });
        const messages = await fileLinks.presentAll(chat.channelId, page.messages);
        const base = { chat: chatView(chat) };
        const fitted = fitMessages(base, messages, perChat, page.olderCursor !== undefined);
        return { ...base, messages: fitted.messages, ...(fitted.olderCursor ? { olderCursor: fitted.olderCursor } : {}) };
      }),
    );
    const { requestId: _r, moreEvents: _m, cursor: _c, ...rest } = fittedHead;
    return {
      ...rest,
      cursor: more ? lastCursor : Math.max(cursor, lastCursor),
      chats: held.filter((c) => c !== undefined),
      events,
      ...(more ? { moreEvents: true } : {}),
    };
  }
}
