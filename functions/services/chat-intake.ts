import { createHash, randomUUID } from 'node:crypto';
import { audienceOf, initialState, newChat } from '../domain/chat';
import type { InboundEnvelope, InboundEvent } from '../domain/inbound';
import { splitText } from '../domain/text';
import type { Channel, Message } from '../domain/model';
import { ChatClosedMeanwhile, type AgentNotifier, type ChatStore, type DeliveryRef, type Directory, type EventPublisher, type ReportRecorder } from '../domain/ports';
import type { Dispatcher, WatchersPort } from './dispatcher';
import type { TelegramEvents } from './telegram-events';
import type { Receipts } from './receipts';
import type { Echoes } from './echoes';
import type { Handover } from './handover';
import type { Profiles } from './profiles';
import type { AutomatedMessages } from './automated-messages';
import type { Surveys } from './surveys';
import type { WaitingLine } from './waiting-line';

export interface ChatIntakeDeps {
  /** Supervisors watching a chat get its customer's messages too. */
  watchers?: WatchersPort;
  directory: Directory;
  /** Which contact record a customer was linked to, so later chats carry it. */
  contacts: { contactOfCustomer(channelId: string, customerId: string): Promise<string | undefined> };
  chats: ChatStore;
  dispatcher: Dispatcher;
  notifier: AgentNotifier;
  events: EventPublisher;
  clock: () => Date;
  /** Telegram's own events: customer edits, button presses to acknowledge. */
  telegram: Pick<TelegramEvents, 'edited' | 'answerCallback'>;
  /** Messenger platform events: receipts, echoes of other apps, handover; profiles and automated messages on chat opening. */
  receipts: Pick<Receipts, 'handle'>;
  echoes: Pick<Echoes, 'handle'>;
  handover: Pick<Handover, 'handle'>;
  profiles: Pick<Profiles, 'customerOf'>;
  automated: Pick<AutomatedMessages, 'welcome' | 'stillWaiting'> & Partial<Pick<AutomatedMessages, 'send'>>;
  /** Report figures: chats created. */
  reports?: Pick<ReportRecorder, 'chatCreated'>;
  /** Survey answers and comments to closed chats: they open no chat. */
  surveys?: Pick<Surveys, 'customerWrote'>;
  /** Queue hours and waiting: where a new chat waits (out of hours, overflow), and what the customer is told. */
  waiting?: Pick<WaitingLine, 'arrived'>;
}

export type IntakeOutcome = 'stored' | 'duplicate' | 'unknown_channel' | 'ignored';

type CustomerMessage = Extract<InboundEvent, { kind: 'message' }>;

/**
 * What the router does with one inbound event: a customer message joins the conversation's
 * open chat or opens a new one, which enters its queue's routing.
 */
export class ChatIntake {
  constructor(private readonly deps: ChatIntakeDeps) {}

  async handle(envelope: InboundEnvelope): Promise<IntakeOutcome> {
    const channel = await this.channelOf(envelope);
    if (!channel) return 'unknown_channel';
    const event = envelope.event;
    switch (event.kind) {
      case 'message': {
        const outcome = await this.customerMessage(channel, envelope, event);
        // a stored (or already stored) button press is answered, so the customer's spinner stops
        if (event.callbackQueryId && outcome !== 'ignored') await this.deps.telegram.answerCallback(channel, event.callbackQueryId);
        return outcome;
      }
      case 'edit':
        return this.deps.telegram.edited(channel, envelope, event);
      case 'delivery':
      case 'read':
        return this.deps.receipts.handle(channel, envelope, event);
      case 'echo':
        return this.deps.echoes.handle(channel, envelope, event);
      case 'handover':
        return this.deps.handover.handle(channel, envelope, event);
    }
  }

  private channelOf(envelope: InboundEnvelope): Promise<Channel | undefined> {
    return envelope.channelType === 'messenger'
      ? this.deps.directory.channelOfPage(envelope.channelKey)
      : this.deps.directory.channel(envelope.channelKey);
  }

  /**
   * A channel that takes no customer attachments: they never reach agents, the text sent with
   * them does, and the customer gets the channel's `attachmentRefused` message (once per chat, as
   * every automated kind). A message of nothing but refused attachments is kept as a message saying
   * how many were refused (`refusedAttachments`), so it opens a chat like any first message: the
   * customer reached out, and is answered.
   */
  private async customerMessage(channel: Channel, envelope: InboundEnvelope, given: CustomerMessage): Promise<IntakeOutcome> {
    if (channel.customerAttachments !== false || !given.attachments?.length) return this.acceptedMessage(channel, envelope, given);
    const { attachments: refused, ...event } = given;
    const outcome = await this.acceptedMessage(channel, envelope, event, refused.length);
    const open = outcome === 'duplicate' ? undefined : await this.deps.chats.openChatOf(channel.id, envelope.conversationKey);
    if (open && open.state !== 'bot') await this.deps.automated.send?.(open, 'attachmentRefused');
    return outcome;
  }

  private async acceptedMessage(channel: Channel, envelope: InboundEnvelope, event: CustomerMessage, refused = 0): Promise<IntakeOutcome> {
    const { chats, notifier } = this.deps;
    const delivery = envelope.deliveryId
      ? { channelType: envelope.channelType, channelKey: envelope.channelKey, deliveryId: envelope.deliveryId }
      : undefined;
    const open = await chats.openChatOf(channel.id, envelope.conversationKey);
    if (!open) return (await this.deps.surveys?.customerWrote(channel, envelope, event, delivery)) ?? this.openChat(channel, event, delivery, refused);
    const [message, ...continuation] = inboundMessages(open.id, event, refused, delivery);
    if (!message) return 'ignored';
    try {
      if (!(await chats.append(open.id, { message, continuation, delivery, whileOpen: true, conversation: { channelId: open.channelId, customerId: open.customer.id, messagesIn: open.messagesIn } }, this.deps.clock()))) {
        // the same delivery again: perhaps the retry of a record that stored its chat and then failed
        // to route it (a throttled write, the routing pass it joined failing), so the chat is routed now
        if (open.state === 'waiting' && open.queueId) await this.deps.dispatcher.routeQueue(open.queueId);
        return 'duplicate';
      }
    } catch (error) {
      // the chat closed (an inactivity or completion timeout, an agent) after it was read: the message opens the next chat
      if (error instanceof ChatClosedMeanwhile) return this.openChat(channel, event, delivery, refused);
      throw error;
    }
    // appending removed the completion token: a completion timer armed before now changes nothing
    const audience = audienceOf(open);
    for (const agentId of audience) {
      for (const part of [message, ...continuation]) await notifier.notify(agentId, { type: 'message', chatId: open.id, message: part });
    }
    for (const part of [message, ...continuation]) await this.deps.watchers?.forward(open, { type: 'message', chatId: open.id, message: part });
    await this.deps.automated.stillWaiting(open, this.deps.clock());
    return 'stored';
  }

  private async openChat(channel: Channel, event: CustomerMessage, delivery: DeliveryRef | undefined, refused = 0): Promise<IntakeOutcome> {
    const { chats, dispatcher, events } = this.deps;
    // the customer's id is the platform's, whatever the profile adds: both reads at once
    const [customer, contactId] = await Promise.all([
      this.deps.profiles.customerOf(channel, event.customer),
      this.deps.contacts.contactOfCustomer(channel.id, event.customer.id),
    ]);
    const sentAt = new Date(event.timestamp).toISOString();
    const opened = newChat({
      // derived from the first message's delivery, as the message's id is: a retry opens the same chat (ChatStore.openChat)
      id: delivery ? inboundMessageId(delivery, 'chat') : randomUUID(),
      channel,
      customer,
      state: initialState(event),
      createdAt: this.deps.clock().toISOString(),
      lastMessageAt: sentAt,
      contactId: contactId ?? null,
    });
    const [first, ...continuation] = inboundMessages(opened.id, event, refused, delivery);
    if (!first) return 'ignored';
    const chat = opened;
    if (!(await chats.openChat(chat, { message: first, continuation, delivery }))) return 'duplicate';
    await events.publish('ChatCreated', { chatId: chat.id, channelId: chat.channelId, queueId: chat.queueId, customerId: customer.id });
    await this.deps.reports?.chatCreated(chat);
    if (chat.queueId && chat.state === 'waiting' && this.deps.waiting) await this.deps.waiting.arrived(chat);
    else if (chat.queueId && chat.state === 'waiting') {
      await this.deps.automated.welcome(chat);
      await dispatcher.routeQueue(chat.queueId, { chat });
    }
    return 'stored';
  }
}

/**
 * A customer message as stored: one message, or for a text longer than one part (32 KiB) that many
 * consecutive messages, each well within an item and a WebSocket frame, whose texts join to the
 * whole. Later parts have the first part's id with `-p002`, `-p003`… so they sort right after it.
 */
/**
 * A customer message's id: derived from the platform's delivery id when there is one, so a
 * redelivery (a webhook retried after SQS's five-minute deduplication) writes the same message key
 * and is found a duplicate by the conditional put (ChatStore.append). UUID-shaped, as random ids are.
 * The chat a message opens takes an id derived the same way (`of: 'chat'`), so a retry opens the same chat.
 */
export function inboundMessageId(delivery: DeliveryRef | undefined, of: 'message' | 'chat' = 'message'): string {
  if (!delivery) return randomUUID();
  const h = createHash('sha256').update(`${of}\n${delivery.channelType}\n${delivery.channelKey}\n${delivery.deliveryId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function inboundMessages(chatId: string, event: CustomerMessage, refused: number, delivery: DeliveryRef | undefined): Message[] {
  const id = inboundMessageId(delivery);
  const sentAt = new Date(event.timestamp).toISOString();
  const texts: (string | undefined)[] = event.text !== undefined ? splitText(event.text) : [undefined];
  return texts.map((text, i) => ({
    id: i === 0 ? id : `${id}-p${String(i + 1).padStart(3, '0')}`,
    chatId,
    direction: 'in',
    ...(text !== undefined ? { text } : {}),
    ...(i === 0 && event.attachments?.length ? { attachments: event.attachments } : {}),
    ...(i === 0 && event.payload !== undefined ? { payload: event.payload } : {}),
    ...(i === 0 && refused > 0 ? { refusedAttachments: refused } : {}),
    sentAt,
    status: 'received',
    platformMessageId: event.platformMessageId,
  }));
}
