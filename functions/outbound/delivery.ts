import type { Channel, Message } from '../domain/model';
import type { AgentNotifier, OutboundJob } from '../domain/ports';
import type { ChatItem, ChatStore } from '../adapters/dynamodb/chats';
import type { Directory } from '../adapters/dynamodb/directory';
import { GraphApiError, type GraphApi } from '../adapters/graph-api';
import { secretNames, type Secrets } from '../adapters/secrets';
import { OmnichatError } from '../shared/errors';

export interface DeliveryDeps {
  chats: ChatStore;
  directory: Directory;
  secrets: Secrets;
  graph: GraphApi;
  notifier: AgentNotifier;
}

/** A send that may succeed later (network, 5xx, rate limit): the queue retries it. */
export class RetryableSendFailure extends OmnichatError {
  constructor(message: string, cause: unknown) {
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
    const { chats, directory } = this.deps;
    const message = await chats.messageAt({ chatId: job.chatId, sentAt: job.sentAt, id: job.messageId });
    if (!message || message.status !== 'pending') return 'already_done';
    const chat = await chats.chat(job.chatId);
    const channel = chat ? await directory.channel(chat.channelId) : undefined;
    if (!chat || !channel) return this.fail(job, message, chat, 'The chat or its channel no longer exists.');
    try {
      const platformMessageId = await this.sendToPlatform(channel, chat, message);
      await chats.setMessageStatus({ chatId: job.chatId, sentAt: job.sentAt, id: job.messageId }, { status: 'sent', platformMessageId });
      await this.tell(chat, message, 'sent');
      return 'sent';
    } catch (error) {
      if (error instanceof GraphApiError && error.isTokenInvalid) await this.markChannelFailed(channel, error);
      const retryable = error instanceof GraphApiError ? error.retryable : !(error instanceof OmnichatError);
      if (retryable && !attempt.final) throw new RetryableSendFailure('The platform did not take the message; it will be retried.', error);
      return this.fail(job, message, chat, reasonOf(error));
    }
  }

  private async sendToPlatform(channel: Channel, chat: ChatItem, message: Message): Promise<string> {
    const token = await this.deps.secrets.get(secretNames.channelToken(this.deps.secrets.prefix, channel.id));
    if (!token) throw new OmnichatError('The channel has no stored access token.', { code: 'token_missing', status: 409 });
    if (channel.type !== 'messenger' || !channel.pageId) {
      throw new OmnichatError(`Sending to ${channel.type} channels is not available.`, { code: 'channel_unsupported', status: 409 });
    }
    const sent = await this.deps.graph.sendMessage(channel.pageId, token, { recipientId: chat.customer.id, text: message.text, messagingType: 'RESPONSE' });
    return sent.messageId;
  }

  private async markChannelFailed(channel: Channel, error: GraphApiError): Promise<void> {
    this.deps.secrets.forget(secretNames.channelToken(this.deps.secrets.prefix, channel.id));
    await this.deps.directory.saveChannel({ ...channel, provisioningState: 'failed', lastError: `Page access token rejected by Meta (code 190): ${error.message}` });
  }

  private async fail(job: OutboundJob, message: Message, chat: ChatItem | undefined, reason: string): Promise<DeliveryOutcome> {
    await this.deps.chats.setMessageStatus({ chatId: job.chatId, sentAt: job.sentAt, id: job.messageId }, { status: 'failed', error: reason });
    if (chat) await this.tell(chat, message, 'failed', reason);
    return 'failed';
  }

  private async tell(chat: ChatItem, message: Message, status: Message['status'], error?: string): Promise<void> {
    const agentId = message.agentId ?? chat.agentId;
    if (!agentId) return;
    await this.deps.notifier.notify(agentId, { type: 'messageStatus', chatId: chat.id, messageId: message.id, status, ...(error ? { error } : {}) });
  }
}

function reasonOf(error: unknown): string {
  if (error instanceof GraphApiError || error instanceof OmnichatError) return error.message;
  return 'The message could not be delivered.';
}
