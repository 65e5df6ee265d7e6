import { Match, type Template } from 'aws-cdk-lib/assertions';
import { productMetrics } from '../../functions/shared/metric-names';
import { queues } from '../../functions/shared/resources';
import { environmentOf, functionFor, synthesizeStack } from './synthesized-stack';

let template: Template;
let functionIds: string[];
beforeAll(() => {
  ({ template } = synthesizeStack({ routerConcurrency: 40, senderConcurrency: 8 }));
  functionIds = Object.entries(template.findResources('AWS::Lambda::Function'))
    .filter(([, resource]) => String((resource as { Properties: { Description?: string } }).Properties.Description ?? '').startsWith('Omnichat '))
    .map(([id]) => id);
});

type AlarmProps = { MetricName?: string; Namespace?: string; Dimensions?: Array<{ Name: string; Value: unknown }>; Threshold: number; AlarmActions: unknown[]; Metrics?: unknown[] };

function alarms(): AlarmProps[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((r) => (r as { Properties: AlarmProps }).Properties);
}

function refersTo(value: unknown, logicalIdPrefix: string): boolean {
  return JSON.stringify(value).includes(`"${logicalIdPrefix}`);
}

describe('alarms', () => {
  it('sends every alarm, and its recovery, to one encrypted topic; an e-mail parameter subscribes someone', () => {
    const topics = template.findResources('AWS::SNS::Topic');
    expect(Object.keys(topics)).toHaveLength(1);
    const [topicId, topic] = Object.entries(topics)[0]!;
    expect((topic as { Properties: Record<string, unknown> }).Properties.KmsMasterKeyId).toBeDefined();
    for (const alarm of alarms()) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
    }
    template.hasParameter('AlarmEmail', { Type: 'String', Default: '' });
    template.hasResource('AWS::SNS::Subscription', {
      Condition: Match.stringLikeRegexp('HasAlarmEmail'),
      Properties: { Protocol: 'email', Endpoint: { Ref: 'AlarmEmail' }, TopicArn: { Ref: topicId } },
    });
    // CloudWatch can only publish to an encrypted topic whose key lets it
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ]),
      },
    });
    template.hasOutput('AlarmTopicArn', { Value: { Ref: topicId } });
  });

  it('fires on the first message in any dead-letter queue', () => {
    const deadLetterQueues = Object.entries(template.findResources('AWS::SQS::Queue'))
      .filter(([id]) => /DeadLetter/.test(id))
      .map(([id]) => id);
    expect(deadLetterQueues.length).toBeGreaterThanOrEqual(3);
    for (const queue of deadLetterQueues) {
      const watching = alarms().filter((a) => a.MetricName === 'ApproximateNumberOfMessagesVisible' && refersTo(a.Dimensions, queue));
      expect(watching).toHaveLength(1);
      expect(watching[0]!.Threshold).toBe(1);
    }
  });

  it('fires when a customer message has waited a minute in the inbound queue', () => {
    const age = alarms().filter((a) => a.MetricName === 'ApproximateAgeOfOldestMessage');
    expect(age).toHaveLength(1);
    expect(age[0]!.Threshold).toBe(60);
    expect(refersTo(age[0]!.Dimensions, 'IngestInboundQueue')).toBe(true);
  });

  it('fires on errors and on throttles of every Omnichat function', () => {
    expect(functionIds.length).toBeGreaterThanOrEqual(11);
    for (const id of functionIds) {
      for (const metric of ['Errors', 'Throttles']) {
        const watching = alarms().filter((a) => a.MetricName === metric && refersTo(a.Dimensions, id));
        expect({ id, metric, count: watching.length }).toEqual({ id, metric, count: 1 });
      }
    }
  });

  it('fires on 5xx of the HTTP API and on errors of the WebSocket API', () => {
    const http = alarms().filter((a) => a.MetricName === '5xx' && a.Namespace === 'AWS/ApiGateway');
    expect(http).toHaveLength(1);
    const socket = alarms().filter((a) => JSON.stringify(a.Metrics ?? []).includes('ExecutionError'));
    expect(socket).toHaveLength(1);
    expect(JSON.stringify(socket[0]!.Metrics)).toContain('IntegrationError');
  });

  it('fires on throttled and on failed DynamoDB requests of the table', () => {
    for (const metric of ['ThrottledRequests', 'SystemErrors']) {
      const watching = alarms().filter((a) => JSON.stringify(a.Metrics ?? []).includes(`"${metric}"`));
      expect(watching).toHaveLength(1);
      const text = JSON.stringify(watching[0]!.Metrics);
      for (const operation of ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'TransactWriteItems']) expect(text).toContain(`"${operation}"`);
    }
  });
});

describe('dashboard and metrics', () => {
  it('shows the business figures, dead letters, Lambda duration and errors on one dashboard', () => {
    const dashboards = template.findResources('AWS::CloudWatch::Dashboard');
    expect(Object.keys(dashboards)).toHaveLength(1);
    const body = JSON.stringify(Object.values(dashboards)[0]);
    for (const name of Object.values(productMetrics)) expect(body).toContain(name);
    for (const name of ['ApproximateNumberOfMessagesVisible', 'Duration', 'Errors', 'ApproximateAgeOfOldestMessage']) expect(body).toContain(name);
  });

  it('tells every function that publishes business metrics where they go; the webhooks publish none', () => {
    for (const handler of ['routing/router', 'routing/timer', 'outbound/sender', 'socket/action', 'socket/connect', 'admin/api']) {
      expect(environmentOf(functionFor(template, handler)).POWERTOOLS_METRICS_NAMESPACE).toBe('Omnichat/OmnichatTest');
    }
    for (const handler of ['ingest/messenger-webhook', 'ingest/telegram-webhook', 'socket/authorizer']) {
      expect(environmentOf(functionFor(template, handler)).POWERTOOLS_METRICS_NAMESPACE).toBeUndefined();
    }
  });
});

describe('concurrency', () => {
  it('bounds how many routers and senders run at once, as the settings say', () => {
    const router = functionFor(template, 'routing/router');
    const sender = functionFor(template, 'outbound/sender');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: router.logicalId },
      BatchSize: queues.batchSize,
      ScalingConfig: { MaximumConcurrency: 40 },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: sender.logicalId },
      ScalingConfig: { MaximumConcurrency: 8 },
    });
  });
});
