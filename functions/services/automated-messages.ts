import { randomUUID } from 'node:crypto';
import { languageKeys } from '../domain/language';
import type { AutomatedMessageTexts as Settings, Message, RoutedChat } from '../domain/model';
import { type AgentNotifier, type ChatStore, type OutboundQueue, type Timers } from '../domain/ports';

export type AutomatedKind = 'greeting' | 'allAgentsBusy' | 'closing' | 'attachmentRefused' | 'outOfHours' | 'maxWaitExpired' | 'positionInLine';

/** The text of one automated message for a chat's language, falling back to the `default` entry. */
export function automatedText(settings: Settings | undefined, language: string | null, kind: AutomatedKind): string | undefined {
  if (!settings) return undefined;
  // the most specific language that has this message (`pt-BR`, then `pt`), else `default`
  for (const key of languageKeys(language)) {
    const text = settings.languages[key]?.[kind];
    if (text !== undefined) return text;
  }
  return settings.languages['default']?.[kind];
}

/**
 * Greeting, "all agents are busy", closing and other automated messages, per channel and
 * language, on Messenger and Telegram alike. They are stored as outgoing messages without an
 * agent (which is what makes the sender send them as the Page or the bot; on Messenger only
 * within the 24-hour window, never tagged) and leave through the outbound queue in order with
 * the agents' replies.
 */
export class AutomatedMessages {
  constructor(private readonly deps: { chats: ChatStore; outbound: OutboundQueue; notifier: AgentNotifier; timers: Timers; clock: () => Date }) {}

  /** A chat entered routing: greet the customer and, if the channel says so, arm the "all agents busy" timer. */
  async welcome(chat: RoutedChat): Promise<void> {
    await this.send(chat, 'greeting');
    const after = (await this.deps.chats.automatedMessages(chat.channelId))?.allAgentsBusyAfterSeconds;
    if (!after) return;
    const at = new Date(Date.parse(chat.createdAt) + after * 1000);
    await this.deps.timers.arm(at, { kind: 'allAgentsBusy', chatId: chat.id });
  }

  /** The "all agents busy" timer fired: tell the customer, unless an agent took the chat meanwhile. */
  async busyTimerFired(chatId: string): Promise<void> {
    const chat = await this.deps.chats.chat(chatId);
    if (chat && (chat.state === 'waiting' || chat.state === 'offered')) await this.send(chat, 'allAgentsBusy');
  }

  /**
   * Sends the channel's message of this kind, if it has one; the message, or undefined.
   * `values` fill the text's `{name}` placeholders; `once` is what makes a retry send it once
   * (the kind by default: once per chat).
   */
  async send(chat: RoutedChat, kind: AutomatedKind, options: { values?: Record<string, string>; once?: string } = {}): Promise<Message | undefined> {
    const { chats, outbound, notifier, clock } = this.deps;
    const template = automatedText(await chats.automatedMessages(chat.channelId), chat.language, kind);
    if (!template) return undefined;
    const text = template.replace(/\{(\w+)\}/g, (whole, name: string) => options.values?.[name] ?? whole);
    const now = clock();
    const message: Message = { id: randomUUID(), chatId: chat.id, direction: 'out', text, sentAt: now.toISOString(), status: 'pending' };
    // a retried event must not greet twice: the kind is remembered per chat
    const delivery = { channelType: 'automated', channelKey: chat.id, deliveryId: options.once ?? kind };
    if (!(await chats.append(chat.id, { message, delivery }, now))) return undefined;
    await outbound.enqueue({ chatId: chat.id, messageId: message.id, sentAt: message.sentAt });
    if (chat.agentId && chat.state === 'assigned') await notifier.notify(chat.agentId, { type: 'message', chatId: chat.id, message });
    return message;
  }

  /** A customer message in a chat nobody has taken yet: past the set wait, tell the customer once that everyone is busy. */
  async stillWaiting(chat: RoutedChat, now: Date): Promise<void> {
    if (chat.state !== 'waiting' && chat.state !== 'offered') return;
    const settings = await this.deps.chats.automatedMessages(chat.channelId);
    const after = settings?.allAgentsBusyAfterSeconds;
    if (!after || now.getTime() - Date.parse(chat.createdAt) < after * 1000) return;
    await this.send(chat, 'allAgentsBusy');
  }
}
