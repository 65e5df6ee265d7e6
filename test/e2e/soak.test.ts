import { resolve } from 'node:path';
import { dynamodbEndpoint, sqsEndpoint } from '../support/aws';
import { runSoak } from '../support/soak';

/**
 * The faulted soak, bounded: a few hundred messages from Messenger and Telegram conversations,
 * 30% delivered again, 5% of DynamoDB and SQS calls failing, the runtime killed with SIGKILL
 * mid-load. Every acknowledged message is stored once, agents see each conversation in order,
 * and nothing lands in the dead-letter queue. (`npm run soak` runs the full one and prints figures.)
 */
describe('faulted soak', () => {
  it('keeps every acknowledged message exactly once and in order through faults and kills', async () => {
    const figures = await runSoak({
      projectRoot: resolve(__dirname, '../..'),
      dynamodbEndpoint: dynamodbEndpoint(),
      sqsEndpoint: sqsEndpoint(),
      messages: 120,
      conversations: 24,
      kills: 1,
      agents: 2,
      concurrency: 10,
    });
    // the load really was faulted and the runtime really was killed
    expect(figures.kills).toBe(1);
    expect(figures.faults.dynamodb.throttle + figures.faults.dynamodb.timeoutAfter + figures.faults.dynamodb.serverError).toBeGreaterThan(0);
    expect(figures.faults.sqs.throttle + figures.faults.sqs.timeoutAfter + figures.faults.sqs.serverError).toBeGreaterThan(0);
    expect(figures.deliveries).toBeGreaterThan(figures.sent);
    // and yet
    // (the dead-letter queue and what was still queued beside them, so a failure says where a message went)
    expect({ acknowledged: figures.acknowledged, stored: figures.stored, inDlq: figures.inDlq, examples: figures.examples }).toEqual({ acknowledged: 120, stored: 120, inDlq: 0, examples: [] });
    expect(figures.seenByAgents).toBeGreaterThan(0);
    // agents replied and closed chats while customers kept writing
    expect(figures.agentReplies).toBeGreaterThan(0);
    expect(figures.agentCloses).toBeGreaterThan(0);
    expect(figures).toMatchObject({ sent: 120, refused: 0, lost: 0, duplicates: 0, outOfOrder: 0, inDlq: 0 });
  }, 300_000);
});
