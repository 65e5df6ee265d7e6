/**
 * Timer precision: timers armed on the timer queue of the SQS emulator, polled by the local event
 * source mapping the way Lambda polls it, with a consumer that does what the timer function does
 * (send on what is not due, fire what is). Prints how late each fired after its set time.
 * Run alone with `node --import tsx bench/timers.ts`.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { SqsTimers, timerMessage } from '../functions/adapters/timer-queue';
import { queues } from '../functions/shared/resources';
import { startEventSourceMapping } from '../local/event-source-mapping';
import { ensureQueues } from '../local/provision';
import { heading, ms, note, onCleanup, printTable, runIfMain, sleep, summarize } from './support';

const region = 'us-east-1';
const timersPerRound = 40;

export async function main(): Promise<void> {
  heading('timers: how late a timer fires after its set time (timer queue in the SQS emulator, polled like Lambda)');
  const { startFauxqs } = await import('fauxqs');
  const fauxqs = await startFauxqs({ port: 0, logger: false, host: 'localhost' });
  onCleanup(() => fauxqs.stop());
  const sqs = new SQSClient({ endpoint: fauxqs.address, region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const provisioned = await ensureQueues(sqs, `b${Date.now().toString(36)}-`);
  const timers = new SqsTimers(sqs, provisioned.timer.url);
  const late: number[] = [];
  let early = 0;
  let hops = 0;
  const mapping = startEventSourceMapping({
    sqs,
    queueUrl: provisioned.timer.url,
    queueArn: provisioned.timer.arn,
    region,
    batchSize: queues.batchSize,
    pollers: 3,
    visibilityTimeoutSeconds: queues.consumerTimeoutSeconds,
    retryDelaySeconds: 2,
    log: () => undefined,
    invoke: async (event: SQSEvent) => {
      for (const record of event.Records) {
        const message = timerMessage.parse(JSON.parse(record.body));
        if ((await timers.receive(message)) === 'hopped') hops++;
        else {
          const lateness = Date.now() - Date.parse(message.at);
          if (lateness < 0) early++;
          late.push(lateness);
        }
      }
    },
  });
  onCleanup(() => mapping.stop());
  // timers 1 to 8 s ahead at random fractions of a second, armed over two seconds
  for (let i = 0; i < timersPerRound; i++) {
    await timers.arm(new Date(Date.now() + 1_000 + Math.random() * 7_000), { kind: 'allAgentsBusy', chatId: `bench-${i}` });
    await sleep(50);
  }
  // and one that is received before its time, as the last hop of a long timer is
  const hopped = new Date(Date.now() + 2_500).toISOString();
  await sqs.send(new SendMessageCommand({
    QueueUrl: provisioned.timer.url,
    MessageBody: JSON.stringify({ at: hopped, timer: { kind: 'completionTimeout', chatId: 'bench-long', token: 't' } }),
  }));
  const deadline = Date.now() + 20_000;
  while (late.length < timersPerRound + 1 && Date.now() < deadline) await sleep(100);
  const s = summarize(late);
  printTable(
    ['timers fired', 'fired early', 'hops', 'min late', 'p50 late', 'p90 late', 'p99 late', 'max late'],
    [[String(s.n), String(early), String(hops), ms(s.min), ms(s.p50), ms(s.p90), ms(s.p99), ms(s.max)]],
  );
  note('Lateness = receipt by the consumer minus the set time. Delays are whole seconds rounded up, so up to 1 s of it is the');
  note('rounding; the rest is the emulator releasing the message and the poller receiving it. SQS in AWS adds its own');
  note('delivery latency, which this local figure does not show.');
}

runIfMain(import.meta.url, main);
