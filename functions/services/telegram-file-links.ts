import { fileLinkKey, signFileLink, telegramFileIdOf } from '../domain/file-links';
import type { Attachment } from '../domain/model';
import { type AgentEvent, type AgentNotifier, type ChatStore } from '../domain/ports';
import { secretNames } from '../domain/secret-names';
import type { SecretStore } from '../domain/ports';

export interface TelegramFileLinksDeps {
  secrets: Pick<SecretStore, 'get' | 'prefix'>;
  chats: Pick<ChatStore, 'chat'>;
  /** Public base URL of the HTTP API that serves `/files/telegram/...`. */
  baseUrl: string;
  clock: () => Date;
}

/**
 * Turns stored `tg-file:<file_id>` attachments into short-lived signed links to our file route,
 * at the moment they are shown to an agent; the stored message keeps the file id.
 */
export class TelegramFileLinks {
  constructor(private readonly deps: TelegramFileLinksDeps) {}

  /** The message with each Telegram file attachment as a signed link (unchanged without a bot token). */
  async present<M extends { attachments?: Attachment[] }>(channelId: string, message: M): Promise<M> {
    if (!message.attachments?.some((a) => telegramFileIdOf(a.url) !== undefined)) return message;
    const token = await this.deps.secrets.get(secretNames.channelToken(this.deps.secrets.prefix, channelId));
    if (!token) return message;
    const key = fileLinkKey(token);
    const now = this.deps.clock();
    const attachments = message.attachments.map((a) => {
      const fileId = telegramFileIdOf(a.url);
      return fileId === undefined ? a : { ...a, url: signFileLink({ baseUrl: this.deps.baseUrl, channelId, fileId, key, now }) };
    });
    return { ...message, attachments };
  }

  async presentAll<M extends { attachments?: Attachment[] }>(channelId: string, messages: M[]): Promise<M[]> {
    return Promise.all(messages.map((m) => this.present(channelId, m)));
  }

  /** A notifier that signs the file links of `message` and `chatAssigned` events before passing them on. */
  notifier(inner: AgentNotifier): AgentNotifier {
    return { notify: async (agentId, event) => inner.notify(agentId, await this.withLinks(event)) };
  }

  private async withLinks(event: AgentEvent): Promise<AgentEvent> {
    if (event.type === 'chatAssigned' && event.chat.channelType === 'telegram') {
      return { ...event, messages: await this.presentAll(event.chat.channelId, event.messages) };
    }
    if (event.type === 'message' && event.message.attachments?.some((a) => telegramFileIdOf(a.url) !== undefined)) {
      const chat = await this.deps.chats.chat(event.chatId, false);
      if (chat?.channelType === 'telegram') return { ...event, message: await this.present(chat.channelId, event.message) };
    }
    return event;
  }
}
