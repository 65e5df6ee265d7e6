import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { SqsTimers, timerMessage, type TimerMessage } from '../../functions/adapters/timer-queue';
import type { TimerPayload } from '../../functions/domain/ports';
import { startEventSourceMapping, type EventSourceMapping } from '../../local/event-source-mapping';
import type { ProvisionedQueues } from '../../local/provision';
import { createTestQueues, region, sqs } from '../support/aws';
import { eventually } from '../support/runtime';

/**
 * The timer queue in the SQS emulator, polled by the local event source mapping the way Lambda
 * polls it, with a consumer that does what the timer function does: send on what is not due,
 * fire what is.
 */
describe('timers on the SQS emulator', () => {
  let queues: ProvisionedQueues;
  let mapping: EventSourceMapping;
  let timers: SqsTimers;
  const fired: { timer: TimerPayload; at: number; firedAt: number }[] = [];
  const hops: { timer: TimerPayload; hoppedAt: number }[] = [];
  let failChat: string | undefined;

  beforeAll(async () => {
    queues = await createTestQueues();
    timers = new SqsTimers(sqs(), queues.timer.url);
    mapping = startEventSourceMapping({
      sqs: sqs(),
      queueUrl: queues.timer.url,
      queueArn: queues.timer.arn,
      region,
      batchSize: 10,
      pollers: 2,
      visibilityTimeoutSeconds: 30,
      retryDelaySeconds: 0,
      log: () => undefined,
      invoke: async (event: SQSEvent): Promise<SQSBatchResponse> => {
        const batchItemFailures: { itemIdentifier: string }[] = [];
        for (const record of event.Records) {
          const message = timerMessage.parse(JSON.parse(record.body));
          if (message.timer.chatId === failChat) {
            batchItemFailures.push({ itemIdentifier: record.messageId });
            continue;
          }
          if ((await timers.receive(message)) === 'hopped') hops.push({ timer: message.timer, hoppedAt: Date.now() });
          else fired.push({ timer: message.timer, at: Date.parse(message.at), firedAt: Date.now() });
        }
        return { batchItemFailures };
      },
    });
  });
  afterAll(async () => {
    await mapping?.stop();
  });

  const firedFor = (chatId: string) => fired.filter((f) => f.timer.chatId === chatId);

  it('fires a 2 s timer two to three seconds after it was armed, never before', async () => {
    // given
    const armedAt = Date.now();
    const at = new Date(armedAt + 2_000);
    // when
    await timers.arm(at, { kind: 'acceptTimeout', chatId: 'two-seconds 😀', agentId: 'ann', version: 1 });
    // then
    const [fire] = await eventually(async () => (firedFor('two-seconds 😀').length ? firedFor('two-seconds 😀') : undefined), 10_000);
    expect(fire!.firedAt).toBeGreaterThanOrEqual(at.getTime());
    expect(fire!.firedAt - armedAt).toBeLessThan(3_000);
    expect(hops.filter((h) => h.timer.chatId === 'two-seconds 😀')).toEqual([]);
  });

  it('fires timers set to fractions of a second on time: never early, at most a second late', async () => {
    // given timers 1.1 to 3.9 s ahead, so the rounding to whole seconds shows
    const offsets = [1_100, 1_500, 1_900, 2_300, 2_999, 3_001, 3_900];
    const armedAt = Date.now();
    // when
    await Promise.all(offsets.map((ms, i) => timers.arm(new Date(armedAt + ms), { kind: 'allAgentsBusy', chatId: `fraction-${i}` })));
    // then
    const all = await eventually(async () => {
      const got = offsets.map((_, i) => firedFor(`fraction-${i}`)[0]);
      return got.every((f) => f !== undefined) ? got.map((f) => f!) : undefined;
    }, 15_000);
    for (const f of all) {
      expect(f.firedAt).toBeGreaterThanOrEqual(f.at);
      expect(f.firedAt - f.at).toBeLessThan(1_500);
    }
  });

  it('keeps a 20-minute timer as one message delayed by the full 900 s, not receivable before', async () => {
    // given a timer twenty minutes ahead
    await timers.arm(new Date(Date.now() + 20 * 60_000), { kind: 'completionTimeout', chatId: 'twenty-minutes', token: 'm1' });
    // then SQS holds it as a delayed message, and nothing fires
    const attributes = await sqs().send(new GetQueueAttributesCommand({ QueueUrl: queues.timer.url, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }));
    expect(Number(attributes.Attributes?.ApproximateNumberOfMessagesDelayed)).toBeGreaterThanOrEqual(1);
    expect(firedFor('twenty-minutes')).toEqual([]);
  });

  it('sends on a timer received before its time (the last 900 s hop of a long timer) and fires it at its time', async () => {
    // given the message of a long timer, delivered by its previous hop with 2.5 s still to go
    const at = Date.now() + 2_500;
    const message: TimerMessage = { at: new Date(at).toISOString(), timer: { kind: 'completionTimeout', chatId: 'long-timer', token: 'm7' } };
    await sqs().send(new SendMessageCommand({ QueueUrl: queues.timer.url, MessageBody: JSON.stringify(message) }));
    // then it hops once, then fires at its time
    const [fire] = await eventually(async () => (firedFor('long-timer').length ? firedFor('long-timer') : undefined), 10_000);
    expect(hops.filter((h) => h.timer.chatId === 'long-timer')).toHaveLength(1);
    expect(fire!.firedAt).toBeGreaterThanOrEqual(at);
    expect(fire!.firedAt - at).toBeLessThan(1_500);
  });

  it('moves a timer that keeps failing to the timer dead-letter queue after five tries', async () => {
    // given a timer whose every delivery fails
    failChat = 'always-failing';
    await timers.arm(new Date(Date.now()), { kind: 'allAgentsBusy', chatId: 'always-failing' });
    // then it ends in the DLQ, never fired
    const dead = await eventually(async () => {
      const received = await sqs().send(new ReceiveMessageCommand({ QueueUrl: queues.timer.dlq.url, WaitTimeSeconds: 1, AttributeNames: ['All'] }));
      return received.Messages?.find((m) => m.Body?.includes('always-failing'));
    }, 20_000);
    expect(timerMessage.parse(JSON.parse(dead.Body ?? '')).timer).toEqual({ kind: 'allAgentsBusy', chatId: 'always-failing' });
    expect(firedFor('always-failing')).toEqual([]);
  }, 30_000);
});
