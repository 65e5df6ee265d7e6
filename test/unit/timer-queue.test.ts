import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { delaySeconds, maxDelaySeconds, SqsTimers, timerMessage, type TimerMessage } from '../../functions/adapters/timer-queue';

const queueUrl = 'https://sqs.us-east-1.amazonaws.com/123456789012/omnichat-timers';
const t0 = Date.parse('2026-03-01T09:00:00.000Z');
const sqs = mockClient(SQSClient);
beforeEach(() => sqs.reset());

/** The last message sent, with its delay. */
function lastSent(): { message: TimerMessage; delay: number } {
  const input = sqs.commandCalls(SendMessageCommand).at(-1)!.args[0].input;
  return { message: timerMessage.parse(JSON.parse(input.MessageBody ?? '')), delay: input.DelaySeconds ?? 0 };
}

/** The messages sent to the timer queue, with their delays. */
function sent(): { message: TimerMessage; delay: number }[] {
  return sqs.commandCalls(SendMessageCommand).map((call) => {
    const input = call.args[0].input;
    expect(input.QueueUrl).toBe(queueUrl);
    return { message: timerMessage.parse(JSON.parse(input.MessageBody ?? '')), delay: input.DelaySeconds ?? 0 };
  });
}

describe('timer delays', () => {
  it('never lets a message be received before its time, and wastes less than a second', () => {
    fc.assert(
      fc.property(fc.integer({ min: t0, max: t0 + 86_400_000 }), fc.integer({ min: 0, max: maxDelaySeconds * 1000 }), (now, ahead) => {
        const at = now + ahead;
        const delay = delaySeconds(at, now);
        expect(Number.isInteger(delay)).toBe(true);
        // received no earlier than `at` …
        expect(now + delay * 1000).toBeGreaterThanOrEqual(at);
        // … and no more than a second after it
        expect(now + delay * 1000 - at).toBeLessThan(1000);
      }),
    );
  });

  it('caps a delay at the 900 seconds SQS allows and says 0 when the timer is due', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), fc.integer({ min: -(10 ** 9), max: 10 ** 10 }), (now, ahead) => {
        const delay = delaySeconds(now + ahead, now);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(maxDelaySeconds);
        expect(delay === 0).toBe(ahead <= 0);
      }),
    );
    expect(delaySeconds(t0 + 30_000, t0)).toBe(30);
    expect(delaySeconds(t0 + 30_001, t0)).toBe(31);
    expect(delaySeconds(t0 + 1, t0)).toBe(1);
    expect(delaySeconds(t0 + 20 * 60_000, t0)).toBe(900);
  });
});

describe('SqsTimers', () => {
  it('arms a timer as one message delayed to its second, carrying the time and what it is for', async () => {
    const timers = new SqsTimers(new SQSClient({}), queueUrl, () => new Date(t0 + 250));
    await timers.arm(new Date(t0 + 30_000), { kind: 'acceptTimeout', chatId: 'c-😀', agentId: 'ann', version: 3 });
    expect(sent()).toEqual([
      { message: { at: '2026-03-01T09:00:30.000Z', timer: { kind: 'acceptTimeout', chatId: 'c-😀', agentId: 'ann', version: 3 } }, delay: 30 },
    ]);
  });

  it('makes every timer, however long, hop in steps of at most 900 s and fire at its time, never before', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 * 86_400_000 }),
        // how late each delivery comes after its delay ran out (pollers, load)
        fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 20 }),
        async (ahead, lateness) => {
          sqs.reset();
          let now = t0;
          const timers = new SqsTimers(new SQSClient({}), queueUrl, () => new Date(now));
          const at = t0 + ahead;
          await timers.arm(new Date(at), { kind: 'completionTimeout', chatId: 'c1', token: 'm1' });
          for (let hop = 0; ; hop++) {
            const last = lastSent();
            expect(last.delay).toBeLessThanOrEqual(maxDelaySeconds);
            expect(last.delay).toBeGreaterThan(0);
            // the queue delivers the message once its delay has run out
            now += last.delay * 1000 + (lateness[hop % lateness.length] ?? 0);
            const outcome = await timers.receive(last.message);
            if (outcome === 'due') break;
          }
          // fired at or after its time, every hop carrying that time
          expect(now).toBeGreaterThanOrEqual(at);
          const hops = sent();
          // one message per started 900 s at most (late deliveries only make it fewer)
          expect(hops.length).toBeLessThanOrEqual(Math.ceil(ahead / 1000 / maxDelaySeconds));
          expect(hops.every((h) => h.message.at === new Date(at).toISOString())).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('sends a 20-minute timer as a 900 s message, then on for the remaining 300 s, then fires it', async () => {
    let now = t0;
    const timers = new SqsTimers(new SQSClient({}), queueUrl, () => new Date(now));
    await timers.arm(new Date(t0 + 20 * 60_000), { kind: 'allAgentsBusy', chatId: 'c1' });
    now = t0 + 900_040;
    expect(await timers.receive(sent()[0]!.message)).toBe('hopped');
    now = t0 + 1_200_030;
    expect(await timers.receive(sent()[1]!.message)).toBe('due');
    expect(sent().map((s) => s.delay)).toEqual([900, 300]);
  });

  it('sends a message received a moment early on for the rest, rounded up, rather than firing it', async () => {
    let now = t0;
    const timers = new SqsTimers(new SQSClient({}), queueUrl, () => new Date(now));
    await timers.arm(new Date(t0 + 5_000), { kind: 'allAgentsBusy', chatId: 'c1' });
    now = t0 + 4_990;
    expect(await timers.receive(sent()[0]!.message)).toBe('hopped');
    expect(sent().map((s) => s.delay)).toEqual([5, 1]);
  });

  it('fails, and so leaves the message to be retried, when the queue refuses the next hop', async () => {
    sqs.on(SendMessageCommand).rejects(new Error('throttled'));
    const timers = new SqsTimers(new SQSClient({}), queueUrl, () => new Date(t0));
    await expect(timers.receive({ at: new Date(t0 + 2_000_000).toISOString(), timer: { kind: 'allAgentsBusy', chatId: 'c1' } })).rejects.toThrow('throttled');
  });
});
