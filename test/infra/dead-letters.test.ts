import type { Template } from 'aws-cdk-lib/assertions';
import type { OmnichatStack } from '../../lib/omnichat-stack';
import { environmentOf, functionFor, statementsAllowing, synthesizeStack } from './synthesized-stack';

let template: Template;
let stack: OmnichatStack;
beforeAll(() => {
  ({ template, stack } = synthesizeStack());
});

const arnOf = (queue: { queueArn: string }) => stack.resolve(queue.queueArn) as unknown;
const urlOf = (queue: { queueUrl: string }) => stack.resolve(queue.queueUrl) as unknown;
const resources = (statements: { Resource: unknown }[]) => statements.flatMap((s) => [s.Resource].flat());

describe('dead-letter access of the management API', () => {
  it('receives, releases and deletes on the inbound and outbound dead-letter queues, and on nothing else', () => {
    const api = functionFor(template, 'admin/api');
    const dlqs = [arnOf(stack.ingest.inboundDeadLetterQueue), arnOf(stack.outbound.deadLetterQueue)];
    for (const action of ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage']) {
      expect(resources(statementsAllowing(template, api, action))).toEqual(dlqs);
    }
  });

  it('sends only to the two source queues, the way back for a redriven message, besides arming timeouts', () => {
    const api = functionFor(template, 'admin/api');
    // the timer queue: like every chat driver, the admin API arms timeouts (a transfer offers the chat)
    expect(resources(statementsAllowing(template, api, 'sqs:SendMessage'))).toEqual([arnOf(stack.routing.timerQueue), arnOf(stack.ingest.inboundQueue), arnOf(stack.outbound.queue)]);
  });

  it('reads the dead-letter queue URLs from its environment; no other function gets them or may receive from them', () => {
    const variables = environmentOf(functionFor(template, 'admin/api'));
    expect(variables.INBOUND_DLQ_URL).toEqual(urlOf(stack.ingest.inboundDeadLetterQueue));
    expect(variables.OUTBOUND_DLQ_URL).toEqual(urlOf(stack.outbound.deadLetterQueue));
    for (const handler of ['routing/router', 'routing/timer', 'outbound/sender', 'socket/action', 'ingest/messenger-webhook']) {
      const fn = functionFor(template, handler);
      expect(environmentOf(fn).INBOUND_DLQ_URL).toBeUndefined();
      const dlqArn = JSON.stringify(arnOf(stack.ingest.inboundDeadLetterQueue));
      expect(JSON.stringify(resources(statementsAllowing(template, fn, 'sqs:ReceiveMessage')))).not.toContain(dlqArn);
    }
  });
});
