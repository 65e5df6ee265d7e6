import { GraphApiError, type GraphApi } from '../adapters/graph-api';
import { OmnichatError } from '../shared/errors';
import type { PlatformSender, SendFailure } from './platform-sender';

/** Replies through the Send API as the Page, inside the 24-hour window (`RESPONSE`). */
export class MessengerSender implements PlatformSender {
  constructor(private readonly graph: GraphApi) {}

  async send({ channel, chat, message, token }: Parameters<PlatformSender['send']>[0]): Promise<{ platformMessageId: string }> {
    if (!channel.pageId) throw new OmnichatError('The channel has no Page id.', { code: 'channel_misconfigured', status: 409 });
    const sent = await this.graph.sendMessage(channel.pageId, token, { recipientId: chat.customer.id, text: message.text, messagingType: 'RESPONSE' });
    return { platformMessageId: sent.messageId };
  }

  classify(error: unknown): SendFailure | undefined {
    if (!(error instanceof GraphApiError)) return undefined;
    return {
      retryable: error.retryable,
      ...(error.isTokenInvalid ? { channelFailed: `Page access token rejected by Meta (code 190): ${error.message}` } : {}),
      reason: error.message,
    };
  }
}
