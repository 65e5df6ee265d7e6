import { textForLanguage } from '../domain/language';
import { randomUUID } from 'node:crypto';
import type { InboundEnvelope, InboundEvent } from '../domain/inbound';
import type { Channel, CloseReason, Message, OutboundJob, RoutedChat, SurveySettings } from '../domain/model';
import type { ChatStore, DeliveryRef, EventPublisher, OutboundQueue, ReportRecorder, SurveyStore } from '../domain/ports';

type CustomerMessage = Extract<InboundEvent, { kind: 'message' }>;

/** A survey answer counts this long after the survey was sent; later taps are ordinary messages. */
export const surveyAnswerHours = 24;
/** After the rating, the customer's next free text this soon is the survey's comment. */
export const surveyCommentMinutes = 10;

/** Closes that end a conversation with the customer (not transfer, not a bot taking the thread back). */
const surveyedReasons: ReadonlySet<string> = new Set(['agent', 'timeout', 'supervisor', 'inactivity']);

const answerPattern = /^CSAT:([A-Za-z0-9_.@:-]{1,128}):([1-5])$/;

/** The text for a chat's language, falling back to `default`. */
export function surveyText(texts: Record<string, string> | undefined, language: string | null): string | undefined {
  if (!texts) return undefined;
  return textForLanguage(texts, language);
}

/** The answer buttons: 1…5, or 👍 (5) / 👎 (1); each carries `CSAT:<chatId>:<rating>`. */
export function surveyButtons(scale: SurveySettings['scale'], chatId: string): { title: string; payload: string }[] {
  const options = scale === 'thumbs' ? [['👍', 5], ['👎', 1]] as const : ([1, 2, 3, 4, 5] as const).map((n) => [String(n), n] as const);
  return options.map(([title, rating]) => ({ title, payload: `CSAT:${chatId}:${rating}` }));
}

export interface SurveysDeps {
  store: SurveyStore;
  chats: Pick<ChatStore, 'chat' | 'append'>;
  outbound: OutboundQueue;
  events: EventPublisher;
  reports?: Pick<ReportRecorder, 'rated'>;
  clock: () => Date;
}

/**
 * The satisfaction survey: sent when a chat ends (agent, supervisor, completion timeout) with its
 * scale as buttons; the customer's tap (and an optional comment) is stored on the closed chat and
 * opens no chat. Sent as the Page/bot (no agent), so Messenger sends it only inside the 24-hour
 * window and never with a message tag.
 */
export class Surveys {
  constructor(private readonly deps: SurveysDeps) {}

  async chatClosed(chat: RoutedChat, reason: CloseReason): Promise<void> {
    // only chats an agent took; a thread going back to a bot is the bot's to answer
    if (!surveyedReasons.has(reason) || !chat.assignedAt || chat.botAppId) return;
    const settings = await this.deps.store.settings(chat.channelId);
    if (!settings?.enabled) return;
    const question = surveyText(settings.questions, chat.language);
    if (!question) return;
    const sent = await this.send(chat, 'survey', question, surveyButtons(settings.scale, chat.id));
    if (sent) await this.deps.store.markSent(chat.id, this.deps.clock());
  }

  /**
   * A customer without an open chat wrote. A survey answer or an awaited comment is stored on the
   * closed chat (`stored`, or `duplicate` for a retry); anything else is not the survey's
   * (undefined), and opens a chat as usual.
   */
  async customerWrote(channel: Channel, envelope: InboundEnvelope, event: CustomerMessage, delivery: DeliveryRef | undefined): Promise<'stored' | 'duplicate' | undefined> {
    const now = this.deps.clock();
    const answer = event.payload ? answerPattern.exec(event.payload) : null;
    if (answer) {
      const chat = await this.deps.chats.chat(answer[1]!);
      if (!chat || !this.answerable(chat, channel, envelope, now)) return undefined;
      const settings = await this.deps.store.settings(channel.id);
      const rating = Number(answer[2]);
      if (settings?.scale === 'thumbs' && rating !== 1 && rating !== 5) return undefined;
      if ((await this.deps.store.answer(chat.id, { rating, answeredAt: now.toISOString() })) === 'done') {
        await this.deps.events.publish('ChatRated', { chatId: chat.id, channelId: chat.channelId, queueId: chat.queueId, agentId: chat.agentId, rating, scale: settings?.scale ?? '1-5' });
        await this.deps.reports?.rated(chat, rating, now);
      }
      if (!(await this.keep(chat, event, delivery))) return 'duplicate';
      // the customer's tap opened the messaging window again: thank them, and ask for a comment if the channel does
      const thanks = surveyText(settings?.thankYou, chat.language);
      if (thanks) await this.send(chat, 'survey-thanks', thanks);
      const prompt = surveyText(settings?.commentPrompt, chat.language);
      if (prompt && (await this.send(chat, 'survey-comment', prompt))) {
        await this.deps.store.awaitComment(channel.id, envelope.conversationKey, chat.id, new Date(now.getTime() + surveyCommentMinutes * 60_000));
      }
      return 'stored';
    }
    if (event.text === undefined || event.text.trim() === '') return undefined;
    const awaited = await this.deps.store.awaitedComment(channel.id, envelope.conversationKey, now);
    if (!awaited) return undefined;
    const chat = await this.deps.chats.chat(awaited);
    if (!chat || !(await this.deps.store.comment(chat.id, event.text.slice(0, 2000)))) return undefined;
    return (await this.keep(chat, event, delivery)) ? 'stored' : 'duplicate';
  }

  private answerable(chat: RoutedChat, channel: Channel, envelope: InboundEnvelope, now: Date): boolean {
    if (chat.channelId !== channel.id || chat.customer.id !== envelope.conversationKey || chat.state !== 'closed' || !chat.surveySentAt) return false;
    return now.getTime() - Date.parse(chat.surveySentAt) < surveyAnswerHours * 3600_000;
  }

  /** The customer's answer joins the closed chat's history; false when this delivery was stored before. */
  private keep(chat: RoutedChat, event: CustomerMessage, delivery: DeliveryRef | undefined): Promise<boolean> {
    const message: Message = {
      id: randomUUID(),
      chatId: chat.id,
      direction: 'in',
      ...(event.text !== undefined ? { text: event.text.slice(0, 2000) } : {}),
      ...(event.payload !== undefined ? { payload: event.payload } : {}),
      sentAt: new Date(event.timestamp).toISOString(),
      status: 'received',
      ...(event.platformMessageId ? { platformMessageId: event.platformMessageId } : {}),
    };
    return this.deps.chats.append(chat.id, { message, delivery }, this.deps.clock());
  }

  /** Stores an outgoing message of the Page/bot (sent once per kind and chat) and queues it; false when it was sent before. */
  private async send(chat: RoutedChat, kind: string, text: string, buttons?: OutboundJob['buttons']): Promise<boolean> {
    const now = this.deps.clock();
    const message: Message = { id: randomUUID(), chatId: chat.id, direction: 'out', text, sentAt: now.toISOString(), status: 'pending' };
    const delivery = { channelType: 'automated', channelKey: chat.id, deliveryId: kind };
    if (!(await this.deps.chats.append(chat.id, { message, delivery }, now))) return false;
    await this.deps.outbound.enqueue({ chatId: chat.id, messageId: message.id, sentAt: message.sentAt, ...(buttons ? { buttons } : {}) });
    return true;
  }
}
