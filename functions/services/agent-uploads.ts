import { randomUUID } from 'node:crypto';
import type { Attachment, Channel, RoutedChat } from '../domain/model';
import type { AgentEvent, AgentNotifier, ChatStore, Directory, ReplyFrame } from '../domain/ports';
import { OmnichatError } from '../domain/errors';
import {
  downloadLinkSeconds,
  kindOf,
  maxUploadBytes,
  uploadKeyOf,
  uploadKeyPrefix,
  uploadScheme,
  uploadUrlSeconds,
  type AttachmentStore,
  type UploadedAttachment,
} from '../domain/uploads';

export interface AgentUploadsDeps {
  chats: Pick<ChatStore, 'chat'>;
  directory: Pick<Directory, 'channel'>;
  /** Built on first use: functions that never touch an attachment need no bucket. */
  store: () => AttachmentStore;
}

/** A refusal of an upload or of an uploaded attachment, answered as an `error` frame with its code. */
export class AttachmentRefused extends OmnichatError {
  constructor(code: 'attachments_disabled' | 'file_too_large' | 'not_your_chat' | 'attachment_missing' | 'bad_frame', message: string, field?: string) {
    super(message, { code, status: code === 'not_your_chat' ? 403 : code === 'file_too_large' ? 413 : code === 'bad_frame' ? 400 : 409, ...(field ? { details: [{ field, message }] } : {}) });
  }
}

/**
 * Agents' attachments: a presigned upload URL for a chat the agent holds, the check that an
 * attachment named at `send` was uploaded for that chat, and signed download links for agents.
 */
export class AgentUploads {
  constructor(private readonly deps: AgentUploadsDeps) {}

  /** The `upload` frame: where to PUT the file, and the attachment object `send` then names. */
  async upload(agentId: string, frame: { chatId: string; name: string; contentType: string; size: number }): Promise<ReplyFrame> {
    const { chat, channel } = await this.heldChat(agentId, frame.chatId);
    const limit = maxUploadBytes(channel.type);
    if (frame.size > limit) throw new AttachmentRefused('file_too_large', `${channel.type === 'messenger' ? 'Messenger' : 'Telegram'} takes files of at most ${limit} bytes.`, 'size');
    const key = `${uploadKeyPrefix(chat.id)}${randomUUID()}`;
    const signed = await this.deps.store().presignUpload({ key, contentType: frame.contentType, size: frame.size, expiresInSeconds: uploadUrlSeconds });
    const attachment: UploadedAttachment = { type: kindOf(frame.contentType), key, name: frame.name, contentType: frame.contentType, size: frame.size };
    return { type: 'upload', url: signed.url, method: 'PUT', headers: signed.headers, expiresAt: signed.expiresAt, attachment };
  }

  /** The attachments of a `send`, as stored: each must have been uploaded for this chat, within the channel's limit. */
  async resolve(chat: RoutedChat, channel: Channel | undefined, attachments: UploadedAttachment[]): Promise<Attachment[]> {
    if (channel?.agentAttachments === false) throw new AttachmentRefused('attachments_disabled', 'This channel does not take agents’ attachments.');
    const limit = channel ? maxUploadBytes(channel.type) : Number.POSITIVE_INFINITY;
    return Promise.all(
      attachments.map(async (a, i) => {
        if (!a.key.startsWith(uploadKeyPrefix(chat.id))) throw new AttachmentRefused('bad_frame', 'That attachment was not uploaded for this chat.', `attachments.${i}.key`);
        const object = await this.deps.store().head(a.key);
        if (!object) throw new AttachmentRefused('attachment_missing', `${a.name} was not uploaded (or its upload failed); upload it again.`, `attachments.${i}.key`);
        if (object.size > limit) throw new AttachmentRefused('file_too_large', `The channel takes files of at most ${limit} bytes.`, `attachments.${i}.size`);
        return { type: a.type, url: `${uploadScheme}${a.key}`, name: a.name };
      }),
    );
  }

  /** The message with each uploaded attachment as a signed download link; the stored message keeps the key. */
  async present<M extends { attachments?: Attachment[] }>(message: M): Promise<M> {
    if (!message.attachments?.some((a) => uploadKeyOf(a.url) !== undefined)) return message;
    const attachments = await Promise.all(
      message.attachments.map(async (a) => {
        const key = uploadKeyOf(a.url);
        return key === undefined ? a : { ...a, url: await this.deps.store().presignDownload(key, a.name, downloadLinkSeconds) };
      }),
    );
    return { ...message, attachments };
  }

  /** A notifier that signs the download links of `message` and `chatAssigned` events before passing them on. */
  notifier(inner: AgentNotifier): AgentNotifier {
    return { notify: async (agentId, event) => inner.notify(agentId, await this.withLinks(event)) };
  }

  private async withLinks(event: AgentEvent): Promise<AgentEvent> {
    if (event.type === 'chatAssigned') return { ...event, messages: await Promise.all(event.messages.map((m) => this.present(m))) };
    if (event.type === 'message') return { ...event, message: await this.present(event.message) };
    return event;
  }

  private async heldChat(agentId: string, chatId: string): Promise<{ chat: RoutedChat; channel: Channel }> {
    const chat = await this.deps.chats.chat(chatId);
    if (!chat || chat.state !== 'assigned' || chat.agentId !== agentId) throw new AttachmentRefused('not_your_chat', 'You can only upload to chats assigned to you.');
    const channel = await this.deps.directory.channel(chat.channelId);
    if (!channel) throw new AttachmentRefused('not_your_chat', 'The chat’s channel no longer exists.');
    if (channel.agentAttachments === false) throw new AttachmentRefused('attachments_disabled', 'This channel does not take agents’ attachments.');
    return { chat, channel };
  }
}

/** Presents both kinds of stored files to agents: Telegram files and uploaded attachments. */
export class AttachmentLinks {
  constructor(
    private readonly telegram: { presentAll<M extends { attachments?: Attachment[] }>(channelId: string, messages: M[]): Promise<M[]>; notifier(inner: AgentNotifier): AgentNotifier },
    private readonly uploads: Pick<AgentUploads, 'present' | 'notifier'>,
  ) {}

  async presentAll<M extends { attachments?: Attachment[] }>(channelId: string, messages: M[]): Promise<M[]> {
    const linked = await this.telegram.presentAll(channelId, messages);
    return Promise.all(linked.map((m) => this.uploads.present(m)));
  }

  notifier(inner: AgentNotifier): AgentNotifier {
    return this.uploads.notifier(this.telegram.notifier(inner));
  }
}
