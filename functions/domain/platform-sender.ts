import { type Channel, type Message, type RoutedChat } from './model';

/** What became of a failed send, in the product's terms. */
export interface SendFailure {
  /** Worth trying again later (network, 5xx, rate limit). */
  retryable: boolean;
  /** The platform asked us to wait this long before the next try. */
  retryAfterSeconds?: number;
  /** The channel's token no longer works: the channel is marked failed with this reason. */
  channelFailed?: string;
  /** What the agent is told when the failure is final. */
  reason: string;
}

/** Sends agents' messages to one platform. */
export interface PlatformSender {
  /** `buttons`: answer buttons under the message's text (the last part of it), each with the payload a tap sends back. */
  send(input: { channel: Channel; chat: RoutedChat; message: Message; token: string; buttons?: { title: string; payload: string }[] }): Promise<{ platformMessageId: string }>;
  /** Classifies an error `send` threw; undefined for errors that are not the platform's. */
  classify(error: unknown): SendFailure | undefined;
}
