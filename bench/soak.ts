/**
 * `npm run soak [-- --messages 10000 --conversations 200 --kills 3 --fault-rate 0.05 --agents 4]`:
 * the faulted soak (test/support/soak.ts) on its own DynamoDB Local and SQS emulator. Prints figures.
 */
import { parseArgs } from 'node:util';
import { runSoak } from '../test/support/soak';
import { emulators, heading, note, printTable, projectRoot, runIfMain } from './support';

export async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      messages: { type: 'string', default: '10000' },
      conversations: { type: 'string', default: '200' },
      kills: { type: 'string', default: '3' },
      'fault-rate': { type: 'string', default: '0.05' },
      agents: { type: 'string', default: '4' },
      concurrency: { type: 'string', default: '24' },
      'runtime-log': { type: 'string' },
    },
  });
  const { dynamodbEndpoint, sqsEndpoint } = await emulators();
  heading(`Faulted soak: ${values.messages} messages, ${values.conversations} conversations, ${values.kills} kills, ${Number(values['fault-rate']) * 100}% faults`);
  const f = await runSoak({
    projectRoot,
    dynamodbEndpoint,
    sqsEndpoint,
    messages: Number(values.messages),
    conversations: Number(values.conversations),
    kills: Number(values.kills),
    faultRate: Number(values['fault-rate']),
    agents: Number(values.agents),
    concurrency: Number(values.concurrency),
    log: note,
    ...(values['runtime-log'] ? { runtimeLogFile: values['runtime-log'] } : {}),
  });
  printTable(
    ['sent', 'deliveries', 'acknowledged', 'refused', 'stored', 'duplicates', 'lost', 'out of order', 'in DLQ', 'kills', 'wall time'],
    [[f.sent, f.deliveries, f.acknowledged, f.refused, f.stored, f.duplicates, f.lost, f.outOfOrder, f.inDlq, f.kills, `${(f.wallMs / 1000).toFixed(1)} s`]],
  );
  printTable(
    ['service', 'requests', 'throttled', '5xx', 'timeout before', 'timeout after', 'reset after'],
    (['dynamodb', 'sqs'] as const).map((s) => [s, f.faults[s].requests, f.faults[s].throttle, f.faults[s].serverError, f.faults[s].timeoutBefore, f.faults[s].timeoutAfter, f.faults[s].resetAfter]),
  );
  note(`${f.stillQueued} message(s) were still queued when the drain gave up after 300 s (counted as lost)`);
  note(`agents saw ${f.seenByAgents} customer messages arrive (order is measured on those)`);
  note(`agents replied ${f.agentReplies} times and closed ${f.agentCloses} chats`);
  for (const example of f.examples) note(example);
}

runIfMain(import.meta.url, main);
