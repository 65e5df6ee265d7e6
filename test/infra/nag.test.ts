import { Validations } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { z } from 'zod';
import { synthesizeStack } from './synthesized-stack';

function violationsOf(stack: ReturnType<typeof synthesizeStack>['stack']) {
  return new AwsSolutionsChecks(stack).validateScope(stack).violations.map((v) => ({
    rule: v.ruleName,
    severity: v.severity,
    resources: v.violatingResources.map((r) => r.constructPath),
  }));
}

describe('cdk-nag AWS Solutions checks', () => {
  // The stack as deployed by default, synthesized as `cdk synth` does before the checks run.
  let stack: ReturnType<typeof synthesizeStack>['stack'];
  beforeAll(() => {
    ({ stack } = synthesizeStack());
  });

  it('find neither errors nor warnings in the stack', () => {
    // when the AWS Solutions pack checks the default stack
    const violations = violationsOf(stack);

    // then nothing is reported
    expect(violations).toEqual([]);
  });

  it('find neither errors nor warnings when threat protection and the logging role are turned off', () => {
    const { stack: lean } = synthesizeStack({ threatProtection: false, apiGatewayLogsRole: false });
    expect(violationsOf(lean)).toEqual([]);
  });

  it('find neither errors nor warnings when the account and region are known, as in `cdk deploy`', () => {
    const { stack: placed } = synthesizeStack({}, { account: '123456789012', region: 'eu-west-1' });
    expect(violationsOf(placed)).toEqual([]);
  });

  it('still report a finding nobody acknowledged', () => {
    // given a stack with one queue added without TLS enforcement or a dead-letter queue
    const { stack: changed } = synthesizeStack();
    new Queue(changed, 'Unchecked');

    // then the pack reports it, so the clean results above mean something
    expect(violationsOf(changed)).toEqual([
      { rule: 'AwsSolutions-SQS3', severity: 'error', resources: ['OmnichatTest/Unchecked/Resource'] },
      { rule: 'AwsSolutions-SQS4', severity: 'error', resources: ['OmnichatTest/Unchecked/Resource'] },
    ]);
  });

  it('carry a written reason for every acknowledged finding', () => {
    const acknowledged = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(z.record(z.string(), z.string()).parse(m.data)));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [rule, reason] of acknowledged) {
      expect(rule).toMatch(/AwsSolutions-/);
      expect(reason.length).toBeGreaterThan(40);
    }
  });
});
