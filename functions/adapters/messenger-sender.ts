import { GraphApiError, type GraphApi, type SendMessageInput } from './graph-api';
import { messagingWindow } from '../domain/messaging-window';
import { customerLastWroteAt } from '../domain/model';
import { OmnichatError } from '../domain/errors';
import type { PlatformSender, SendFailure } from '../domain/platform-sender';
import { platformLimits, uploadKeyOf, type AttachmentStore } from '../domain/uploads';

/** A reply Meta's messaging window does not allow now; final, never retried. */
export class OutsideMessagingWindow extends OmnichatError {
  constructor(message: string) {
    super(message, { code: 'outside_messaging_window', status: 409 });
  }
}

/** Short in-call pauses for a rate-limited Send API call, before the queue's own (longer) retry. */
const rateLimitPausesMs = [1000, 3000];
/** What the queue waits after the in-call pauses were not enough. */
const rateLimitRetryAfterSeconds = 60;

type SendableType = NonNullable<SendMessageInput['attachment']>['type'];
const attachmentTypes: ReadonlySet<string> = new Set<SendableType>(['image', 'video', 'audio', 'file']);
const isSendable = (type: string): type is SendableType => attachmentTypes.has(type);

/**
 * Replies through the Send API as the Page: `RESPONSE` inside 24 h of the customer's last message,
 * `MESSAGE_TAG`/`HUMAN_AGENT` up to 7 days where the channel allows it (never for automated
 * messages, which have no agent). Attachments go first, each as its own message, then the text.
 */
export class MessengerSender implements PlatformSender {
  constructor(
    private readonly graph: GraphApi,
    private readonly clock: () => Date = () => new Date(),
    private readonly pause: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    /** Agents' uploaded files, read and uploaded to the Send API as the attachment's bytes. */
    private readonly files?: Pick<AttachmentStore, 'read'>,
  ) {}

  async send({ channel, chat, message, token, buttons }: Parameters<PlatformSender['send']>[0]): Promise<{ platformMessageId: string }> {
    if (!channel.pageId) throw new OmnichatError('The channel has no Page id.', { code: 'channel_misconfigured', status: 409 });
    const pageId = channel.pageId;
    const window = messagingWindow({ customerLastMessageAt: customerLastWroteAt(chat), now: this.clock(), humanAgentTag: channel.humanAgentTag, automated: message.agentId === undefined });
    if (!window.allowed) throw new OutsideMessagingWindow(window.reason);
    const how = window.messagingType === 'MESSAGE_TAG' ? { messagingType: window.messagingType, tag: window.tag } : { messagingType: window.messagingType };
    const parts: (() => Promise<{ messageId: string }>)[] = [];
    for (const a of message.attachments ?? []) {
      const type = isSendable(a.type) ? a.type : 'file';
      const key = uploadKeyOf(a.url);
      if (key !== undefined) {
        parts.push(async () => {
          if (!this.files) throw new OmnichatError('Uploaded attachments cannot be read here.', { code: 'not_configured', status: 503 });
          const { body, contentType } = await this.files.read(key, platformLimits.messenger.any);
          return this.graph.sendAttachmentUpload(pageId, token, { recipientId: chat.customer.id, type, file: { body, contentType, name: a.name ?? 'file' }, ...how });
        });
      } else {
        const part: SendMessageInput = { recipientId: chat.customer.id, attachment: { type, url: a.url }, ...how };
        parts.push(() => this.graph.sendMessage(pageId, token, part));
      }
    }
    if (message.text !== undefined) {
      const part: SendMessageInput = { recipientId: chat.customer.id, text: message.text, ...how, ...(buttons?.length ? { quickReplies: buttons } : {}) };
      parts.push(() => this.graph.sendMessage(pageId, token, part));
    }
    if (parts.length === 0) throw new OmnichatError('The message has neither text nor attachments.', { code: 'empty_message', status: 400 });
    let platformMessageId = '';
    for (const part of parts) platformMessageId = (await this.withRateLimitPauses(part)).messageId;
    return { platformMessageId };
  }

  classify(error: unknown): SendFailure | undefined {
    if (!(error instanceof GraphApiError)) return undefined;
    return {
      retryable: error.retryable,
      ...(error.isRateLimited ? { retryAfterSeconds: rateLimitRetryAfterSeconds } : {}),
      ...(error.isTokenInvalid ? { channelFailed: `Page access token rejected by Meta (code 190): ${error.message}` } : {}),
      reason: error.isOutsideWindow ? `Meta refused the message as outside the messaging window: ${error.message}` : error.message,
    };
  }

  private async withRateLimitPauses<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const pauseMs = rateLimitPausesMs[attempt];
        if (!(error instanceof GraphApiError) || !error.isRateLimited || pauseMs === undefined) throw error;
        await this.pause(pauseMs);
      }
    }
  }
}
