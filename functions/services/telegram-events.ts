import type { InboundEnvelope, InboundEvent } from '../domain/inbound';
import { audienceOf } from '../domain/chat';
import type { Channel, Message } from '../domain/model';
import { type AgentNotifier, type ChatStore, type TelegramChats } from '../domain/ports';
import { secretNames } from '../domain/secret-names';
import type { SecretStore } from '../domain/ports';
import type { TelegramApi } from '../adapters/telegram-api';
import { logger } from '../shared/logger';
import type { IntakeOutcome } from './chat-intake';

export interface TelegramEventsDeps {
  chats: Pick<ChatStore, 'openChatOf' | 'messages'>;
  telegramChats: Pick<TelegramChats, 'applyEdit'>;
  notifier: AgentNotifier;
  telegram: Pick<TelegramApi, 'answerCallbackQuery'>;
  secrets: Pick<SecretStore, 'get' | 'prefix'>;
}

type EditEvent = Extract<InboundEvent, { kind: 'edit' }>;

/** How far back an edit looks for the message it changes: customers edit recent messages. */
const editLookback = 200;

/** A customer message as agents see it after an edit: same id, new text, and when it changed. */
export type EditedMessage = Message & { editedAt: string };

/** What only Telegram sends the router: edits of customer messages, and button presses to acknowledge. */
export class TelegramEvents {
  constructor(private readonly deps: TelegramEventsDeps) {}

  /**
   * The customer edited a message of the open chat: the stored text changes, and the agents who
   * see the chat get a `message` event with the same message id, the new text and `editedAt`.
   */
  async edited(channel: Channel, envelope: InboundEnvelope, event: EditEvent): Promise<IntakeOutcome> {
    const { chats, telegramChats, notifier } = this.deps;
    // An edit that removes the caption of a photo leaves nothing to show.
    if (event.text === undefined) return 'ignored';
    const open = await chats.openChatOf(channel.id, envelope.conversationKey);
    if (!open) return 'ignored';
    const recent = await chats.messages(open.id, editLookback);
    const target = recent.find((m) => m.direction === 'in' && m.platformMessageId === event.platformMessageId);
    if (!target) return 'ignored';
    const editedAt = new Date(event.timestamp).toISOString();
    const delivery = {
      channelType: envelope.channelType,
      channelKey: envelope.channelKey,
      deliveryId: envelope.deliveryId ?? `edit:${event.platformMessageId}:${event.timestamp}`,
    };
    if (!(await telegramChats.applyEdit(target, { text: event.text, editedAt }, delivery))) return 'duplicate';
    const message: EditedMessage = { ...target, text: event.text, editedAt };
    const audience = audienceOf(open);
    for (const agentId of audience) await notifier.notify(agentId, { type: 'message', chatId: open.id, message });
    return 'stored';
  }

  /**
   * Stops the spinner on the customer's button once the press is stored. Best effort: Telegram
   * forgets a query within seconds, so a failure is logged, not retried.
   */
  async answerCallback(channel: Channel, callbackQueryId: string): Promise<void> {
    const token = await this.deps.secrets.get(secretNames.channelToken(this.deps.secrets.prefix, channel.id));
    if (!token) return;
    try {
      await this.deps.telegram.answerCallbackQuery(token, { callback_query_id: callbackQueryId });
    } catch (error) {
      logger.warn('answerCallbackQuery failed', { channelId: channel.id, error: error instanceof Error ? error.message : String(error) });
    }
  }
}
