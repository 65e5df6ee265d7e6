import { randomUUID } from 'node:crypto';
import { newChat, routesChats } from '../domain/chat';
import type { InboundEnvelope, InboundEvent } from '../domain/inbound';
import type { Channel, CloseReason, RoutedChat, ThreadControlJob } from '../domain/model';
import { type ChatStore, type Directory, type EventPublisher, type OutboundQueue, type ReportRecorder, type RoutingStore } from '../domain/ports';
import { isAbandoned } from '../domain/report';
import type { Surveys } from './surveys';
import { GraphApiError, type MessengerPlatform } from '../domain/platforms';
import { secretNames } from '../domain/secret-names';
import type { SecretStore } from '../domain/ports';
import type { AutomatedMessages } from './automated-messages';
import type { WaitingLine } from './waiting-line';
import type { Dispatcher } from './dispatcher';

type HandoverEvent = Extract<InboundEvent, { kind: 'handover' }>;

const maxAttempts = 5;

export interface HandoverDeps {
  chats: ChatStore;
  dispatcher: Pick<Dispatcher, 'routeQueue' | 'close'>;
  automated: Pick<AutomatedMessages, 'send' | 'welcome'>;
  events: EventPublisher;
  clock: () => Date;
  reports?: Pick<ReportRecorder, 'chatCreated'>;
  /** Queue hours and waiting: where a thread entering routing waits, and what the customer is told. */
  waiting?: Pick<WaitingLine, 'arrived'>;
}

/**
 * Messenger's handover protocol (conversation routing), with this app as the secondary receiver
 * beside a bot: a thread passed to us enters routing; a thread the bot takes back is withdrawn
 * from its agent (`chatClosed` reason `handover`).
 */
export class Handover {
  constructor(private readonly deps: HandoverDeps) {}

  async handle(channel: Channel, envelope: InboundEnvelope, event: HandoverEvent): Promise<'stored' | 'ignored'> {
    const ours = channel.appId;
    if (event.action === 'pass' && event.newOwnerAppId === ours) return this.passedToUs(channel, envelope, event);
    const takenFromUs = event.action === 'take' && (event.previousOwnerAppId === ours || (event.previousOwnerAppId === undefined && event.newOwnerAppId !== ours));
    if (takenFromUs) return this.takenFromUs(channel, envelope);
    // our own passes coming back, passes between other apps, other apps asking us for the thread
    return 'ignored';
  }

  private async passedToUs(channel: Channel, envelope: InboundEnvelope, event: HandoverEvent): Promise<'stored' | 'ignored'> {
    const { chats, dispatcher, automated, events } = this.deps;
    if (!routesChats(channel)) return 'ignored';
    const handedOver = {
      queueId: channel.queueId,
      ...(event.metadata !== undefined ? { metadata: event.metadata } : {}),
      ...(event.previousOwnerAppId !== undefined ? { botAppId: event.previousOwnerAppId } : {}),
    };
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const open = await chats.openChatOf(channel.id, envelope.conversationKey);
      if (open && open.state !== 'bot') return 'ignored';
      let routed: RoutedChat | undefined;
      if (open) {
        if ((await chats.enterRouting(open, handedOver)) === 'lost') continue;
        routed = await chats.chat(open.id);
      } else {
        const chat = newChat({
          id: randomUUID(),
          channel,
          customer: { id: envelope.conversationKey, name: `Customer ${envelope.conversationKey.slice(-4)}` },
          state: 'waiting',
          createdAt: this.deps.clock().toISOString(),
          lastMessageAt: new Date(event.timestamp).toISOString(),
          handover: handedOver,
        });
        if (!(await chats.openEmptyChat(chat))) continue;
        await events.publish('ChatCreated', { chatId: chat.id, channelId: chat.channelId, queueId: chat.queueId, customerId: chat.customer.id });
        await this.deps.reports?.chatCreated(chat);
        routed = chat;
      }
      if (!routed) return 'ignored';
      if (this.deps.waiting) await this.deps.waiting.arrived(routed);
      else {
        await automated.welcome(routed);
        await dispatcher.routeQueue(channel.queueId, { chat: routed });
      }
      return 'stored';
    }
    return 'ignored';
  }

  private async takenFromUs(channel: Channel, envelope: InboundEnvelope): Promise<'stored' | 'ignored'> {
    const open = await this.deps.chats.openChatOf(channel.id, envelope.conversationKey);
    if (!open || open.state === 'bot') return 'ignored';
    const closed = await this.deps.dispatcher.close(open.id, 'handover');
    return closed.ok ? 'stored' : 'ignored';
  }
}

/** Closes after which the customer gets the channel's closing message: every close that ends the conversation. */
const closingReasons: ReadonlySet<CloseReason> = new Set<CloseReason>(['agent', 'supervisor', 'timeout', 'inactivity']);

/**
 * What follows a closed chat on the platform: the closing message (agent, supervisor, completion
 * or inactivity timeout), the satisfaction survey, then the thread back to the bot that passed it.
 * All ride the outbound queue, in order.
 */
export class ChatEndings {
  constructor(
    private readonly deps: {
      outbound: OutboundQueue;
      automated: Pick<AutomatedMessages, 'send'>;
      clock: () => Date;
      /** Report figures of the close (handle time, messages, abandoned) and `ChatAbandoned`. */
      reports?: Pick<ReportRecorder, 'closed'>;
      events?: EventPublisher;
      /** The satisfaction survey, after the closing message. */
      surveys?: Pick<Surveys, 'chatClosed'>;
    },
  ) {}

  async closed(chat: RoutedChat, reason: CloseReason): Promise<void> {
    await this.deps.reports?.closed(chat, reason, this.deps.clock());
    if (isAbandoned(chat, reason)) await this.deps.events?.publish('ChatAbandoned', { chatId: chat.id, queueId: chat.queueId, channelId: chat.channelId, reason });
    // the conversation with the customer ends here (not on a transfer, nor when a bot took the thread back): say goodbye, before the survey
    if (closingReasons.has(reason)) await this.deps.automated.send(chat, 'closing');
    if (reason === 'maxWait') await this.deps.automated.send(chat, 'maxWaitExpired');
    await this.deps.surveys?.chatClosed(chat, reason);
    if (chat.channelType !== 'messenger') return;
    // the bot took the thread itself: there is nothing to give back
    if (reason === 'handover' || !chat.botAppId) return;
    const job: ThreadControlJob = {
      chatId: chat.id,
      messageId: `pass-thread-${chat.id}`,
      sentAt: this.deps.clock().toISOString(),
      threadControl: { action: 'pass', targetAppId: chat.botAppId, metadata: JSON.stringify({ reason: `chat closed (${reason})` }) },
    };
    await this.deps.outbound.enqueue(job);
  }
}

export type ThreadRequestResult = { ok: true } | { ok: false; code: 'not_found' | 'not_your_chat' | 'not_messenger' | 'handover_refused'; message: string };

/** An agent asks the bot for a customer's thread (`request_thread_control`); Meta's refusal is the agent's answer. */
export class ThreadRequests {
  constructor(private readonly deps: { chats: ChatStore; store: Pick<RoutingStore, 'agent'>; directory: Directory; graph: Pick<MessengerPlatform, 'requestThreadControl'>; secrets: Pick<SecretStore, 'prefix' | 'get'> }) {}

  async request(agentId: string, chatId: string): Promise<ThreadRequestResult> {
    const { chats, store, directory, graph, secrets } = this.deps;
    const [chat, agent] = await Promise.all([chats.chat(chatId), store.agent(agentId)]);
    if (!chat) return { ok: false, code: 'not_found', message: 'No such chat.' };
    const mayAsk = chat.agentId === agentId || (chat.queueId !== null && (agent?.queues.includes(chat.queueId) ?? false));
    if (!mayAsk) return { ok: false, code: 'not_your_chat', message: 'Only agents of the chat’s queue may ask for its thread.' };
    const channel = await directory.channel(chat.channelId);
    if (!channel?.pageId) return { ok: false, code: 'not_messenger', message: 'Only Messenger chats have a thread to request.' };
    const token = await secrets.get(secretNames.channelToken(secrets.prefix, channel.id));
    if (!token) return { ok: false, code: 'handover_refused', message: 'The channel has no stored access token.' };
    try {
      await graph.requestThreadControl(channel.pageId, token, { recipientId: chat.customer.id, metadata: JSON.stringify({ agentId }) });
      return { ok: true };
    } catch (error) {
      if (!(error instanceof GraphApiError)) throw error;
      return { ok: false, code: 'handover_refused', message: `Meta refused the thread request: ${error.message}` };
    }
  }
}
