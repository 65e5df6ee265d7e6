import type { ChatStore, Directory, SecretStore } from '../domain/ports';
import { customerLastWroteAt } from '../domain/model';
import { messagingWindow } from '../domain/messaging-window';
import { secretNames } from '../domain/secret-names';
import { OmnichatError } from '../domain/errors';
import { logger } from '../shared/logger';

/** One typing or seen indicator per chat per this many milliseconds reaches the platform. */
export const signalWindowMs = 5000;

export interface ChatSignalsDeps {
  chats: Pick<ChatStore, 'chat'>;
  directory: Pick<Directory, 'channel'>;
  secrets: Pick<SecretStore, 'get' | 'prefix'>;
  /** True for the one frame per chat and window that may reach the platform (a conditional write). */
  gate: { pass(chatId: string, kind: 'typing' | 'seen', now: Date, windowMs: number): Promise<boolean> };
  graph: { senderAction(pageId: string, token: string, input: { recipientId: string; action: 'typing_on' | 'mark_seen' }): Promise<void> };
  telegram: { sendChatAction(token: string, params: { chat_id: string; action: 'typing' }): Promise<void> };
  clock: () => Date;
}

export type SignalOutcome = 'sent' | 'limited' | 'unsupported' | 'failed';

/**
 * The agent is typing, or has opened the chat: the customer sees it (Messenger `typing_on` /
 * `mark_seen`, Telegram `sendChatAction typing`; Telegram has no seen). Called straight from the
 * socket, not through the outbound queue: an indicator is worth something only now, must not wait
 * behind (or hold up) the chat's replies in their FIFO group, and is never retried. A platform
 * failure is logged and the frame still answers nothing.
 */
export class ChatSignals {
  constructor(private readonly deps: ChatSignalsDeps) {}

  async signal(agentId: string, chatId: string, kind: 'typing' | 'seen'): Promise<SignalOutcome> {
    const { chats, directory, clock } = this.deps;
    const chat = await chats.chat(chatId);
    if (!chat || chat.state !== 'assigned' || chat.agentId !== agentId) {
      throw new OmnichatError('You can only signal in chats assigned to you.', { code: 'not_your_chat', status: 403 });
    }
    if (kind === 'seen' && chat.channelType !== 'messenger') return 'unsupported';
    const now = clock();
    if (chat.channelType === 'messenger') {
      // sender actions are allowed only inside the 24 h window, whatever the channel's tag
      const window = messagingWindow({ customerLastMessageAt: customerLastWroteAt(chat), now, humanAgentTag: false, automated: false });
      if (!window.allowed) return 'unsupported';
    }
    if (!(await this.deps.gate.pass(chat.id, kind, now, signalWindowMs))) return 'limited';
    const channel = await directory.channel(chat.channelId);
    if (!channel || channel.provisioningState === 'failed') return 'failed';
    try {
      const token = await this.deps.secrets.get(secretNames.channelToken(this.deps.secrets.prefix, channel.id));
      if (!token) return 'failed';
      if (channel.type === 'messenger' && channel.pageId) {
        await this.deps.graph.senderAction(channel.pageId, token, { recipientId: chat.customer.id, action: kind === 'typing' ? 'typing_on' : 'mark_seen' });
      } else if (channel.type === 'telegram') {
        await this.deps.telegram.sendChatAction(token, { chat_id: chat.customer.id, action: 'typing' });
      } else return 'failed';
      return 'sent';
    } catch (error) {
      logger.warn('chat signal not shown', { chatId: chat.id, kind, error: error instanceof Error ? error.message : String(error) });
      return 'failed';
    }
  }
}
