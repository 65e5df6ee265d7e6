import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod/mini';
import { timerPayloadSchema } from '../domain/model';
import type { TimerPayload, Timers } from '../domain/ports';

/** The longest delay SQS gives one message (15 minutes). */
export const maxDelaySeconds = 900;

/**
 * Whole seconds a message sent at `now` must stay hidden so that it is received no earlier than
 * `at`: rounded up (a timer may be up to a second late, never early) and capped at SQS's 900 s,
 * after which the timer takes another hop. 0 means the timer is due.
 */
export function delaySeconds(at: number, now: number): number {
  return Math.min(maxDelaySeconds, Math.max(0, Math.ceil((at - now) / 1000)));
}

/** The body of a timer message: when it is due and what it was armed for. */
export const timerMessage = z.object({ at: z.iso.datetime(), timer: timerPayloadSchema });
export type TimerMessage = z.infer<typeof timerMessage>;

/**
 * Timers as delayed messages on a standard SQS queue (FIFO queues take no per-message delay).
 * A timer due within 15 minutes is one message; a longer one hops: the consumer sends it on
 * with the remaining delay until it is due. Nothing is ever deleted to disarm a timer: the
 * consumer's decisions check the version or token the timer carries.
 */
export class SqsTimers implements Timers {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async arm(at: Date, payload: TimerPayload): Promise<void> {
    await this.send({ at: at.toISOString(), timer: payload });
  }

  /**
   * What to do with a received timer message: `due` when its time has come, otherwise it is sent
   * on with the remaining delay (a hop) and `hopped` is answered.
   */
  async receive(message: TimerMessage): Promise<'due' | 'hopped'> {
    if (delaySeconds(Date.parse(message.at), this.clock().getTime()) === 0) return 'due';
    await this.send(message);
    return 'hopped';
  }

  private async send(message: TimerMessage): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: delaySeconds(Date.parse(message.at), this.clock().getTime()),
      }),
    );
  }
}
