import type { WatchersPort } from './dispatcher';
import type { Channel, ChannelType, Message, RoutedChat, ThreadControlJob } from '../domain/model';
import type { AgentNotifier, ChatStore, Directory, EventPublisher, OutboundJob } from '../domain/ports';
import { GraphApiError, type MessengerPlatform } from '../domain/platforms';
import { logger } from '../shared/logger';
import { secretNames } from '../domain/secret-names';
import type { SecretStore } from '../domain/ports';
import { OmnichatError } from '../domain/errors';
import type { PlatformSender, SendFailure } from '../domain/platform-sender';

export interface DeliveryDeps {
  /** Supervisors watching a chat get its messages' status too. */
  watchers?: WatchersPort;
  chats: ChatStore;
  directory: Directory;
  secrets: SecretStore;
  senders: Partial<Record<ChannelType, PlatformSender>>;
  notifier: AgentNotifier;
  /** `ChannelFailed` goes on the bus when a platform rejects a channel's token. */
  events: EventPublisher;
  /** Thread control (handover) calls ride the same queue, in order with the chat's messages. */
  graph: MessengerPlatform;
}

/** A send that may succeed later (network, 5xx, rate limit): the queue retries it. */
export class RetryableSendFailure extends OmnichatError {
  constructor(
    message: string,
    cause: unknown,
    /** The platform asked for this pause before the next try. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message, { code: 'send_retry', status: 503, cause });
  }
}

export type DeliveryOutcome = 'sent' | 'failed' | 'already_done';

/**
 * Sends one agent reply to the customer's platform and tells the agent what became of it.
 * Final failures are shown to the agent as `failed`, never dropped.
 */
export class Delivery {
  constructor(private readonly deps: DeliveryDeps) {}

  async deliver(job: OutboundJob, attempt: { final: boolean }): Promise<DeliveryOutcome> {
    if (job.threadControl) return this.passThread({ ...job, threadControl: job.threadControl }, attempt);
    const { chats, directory } = this.deps;
    const message = await chats.messageAt({ chatId: job.chatId, sentAt: job.sentAt, id: job.messageId });
    if (!message || message.status !== 'pending') return 'already_done';
    const chat = await chats.chat(job.chatId);
    const channel = chat ? await directory.channel(chat.channelId) : undefined;
    if (!chat || !channel) return this.fail(job, message, chat, 'The chat or its channel no longer exists.');
    const sender = this.deps.senders[channel.type];
    if (!sender) return this.fail(job, message, chat, `Sending to ${channel.type} channels is not available.`);
    // until an admin rotates the token, every send would fail the same way: say so at once
    if (channel.provisioningState === 'failed') return this.fail(job, message, chat, `The channel is failed: ${channel.lastError ?? 'its token was rejected'}.`);
    try {
      const token = await this.deps.secrets.get(secretNames.channelToken(this.deps.secrets.prefix, channel.id));
      if (!token) return this.fail(job, message, chat, 'The channel has no stored access token.');
      const { platformMessageId } = await sender.send({ channel, chat, message, token });
      await chats.setMessageStatus({ chatId: job.chatId, sentAt: job.sentAt, id: job.messageId }, { status: 'sent', platformMessageId });
      await this.tell(chat, message, 'sent');
      return 'sent';
    } catch (error) {
      const failure: SendFailure = sender.classify(error) ?? { retryable: !(error instanceof OmnichatError), reason: reasonOf(error) };
      if (failure.channelFailed) await this.markChannelFailed(channel, failure.channelFailed);
      if (failure.retryable && !attempt.final) {
        throw new RetryableSendFailure('The platform did not take the message; it will be retried.', error, failure.retryAfterSeconds);
      }
      return this.fail(job, message, chat, failure.reason);
    }
  }

  private async markChannelFailed(channel: Channel, reason: string): Promise<void> {
    this.deps.secrets.forget(secretNames.channelToken(this.deps.secrets.prefix, channel.id));
    await this.deps.directory.saveChannel({ ...channel, provisioningState: 'failed', lastError: reason });
    await this.deps.events.publish('ChannelFailed', { channelId: channel.id, channelType: channel.type, reason });
  }

  /** Passes the thread back to the bot; a refusal (handover disabled, wrong app) is logged once, not retried. */
  private async passThread(job: ThreadControlJob, attempt: { final: boolean }): Promise<DeliveryOutcome> {
    const chat = await this.deps.chats.chat(job.chatId);
    const channel = chat ? await this.deps.directory.channel(chat.channelId) : undefined;
    if (!chat || !channel?.pageId) return 'already_done';
    try {
      const token = await this.deps.secrets.get(secretNames.channelToken(this.deps.secrets.prefix, channel.id));
      if (!token) throw new OmnichatError('The channel has no stored access token.', { code: 'channel_misconfigured', status: 409 });
      await this.deps.graph.passThreadControl(channel.pageId, token, { recipientId: chat.customer.id, ...job.threadControl });
      return 'sent';
    } catch (error) {
      if (error instanceof GraphApiError && error.isTokenInvalid) await this.markChannelFailed(channel, `Page access token rejected by Meta (code 190): ${error.message}`);
      const retryable = error instanceof GraphApiError && error.retryable;
      if (retryable && !attempt.final) throw new RetryableSendFailure('Meta did not take the thread control call; it will be retried.', error);
      logger.warn('thread control refused', { chatId: chat.id, channelId: channel.id, error: error instanceof Error ? error.message : String(error) });
      return 'failed';
    }
  }

  private async fail(job: OutboundJob, message: Message, chat: RoutedChat | undefined, reason: string): Promise<DeliveryOutcome> {
    await this.deps.chats.setMessageStatus({ chatId: job.chatId, sentAt: job.sentAt, id: job.messageId }, { status: 'failed', error: reason });
    if (chat) await this.tell(chat, message, 'failed', reason);
    return 'failed';
  }

  private async tell(chat: RoutedChat, message: Message, status: Message['status'], error?: string): Promise<void> {
    const event = { type: 'messageStatus' as const, chatId: chat.id, messageId: message.id, status, ...(error ? { error } : {}) };
    const agentId = message.agentId ?? chat.agentId;
    if (agentId) await this.deps.notifier.notify(agentId, event);
    await this.deps.watchers?.forward(chat, event);
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof OmnichatError) return error.message;
  return 'The message could not be delivered.';
}
