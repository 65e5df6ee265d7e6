import { CfnCondition, CfnParameter, Duration, Fn, Stack } from 'aws-cdk-lib';
import type { IHttpApi, IWebSocketApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  Stats,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { CfnSubscription, Topic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { productMetrics } from '../functions/shared/metric-names';

export interface MonitoringProps {
  /** Every Lambda of the stack, by a readable name. */
  readonly functions: ReadonlyMap<string, NodejsFunction>;
  /** Every dead-letter queue, by a readable name. */
  readonly deadLetterQueues: ReadonlyMap<string, IQueue>;
  /** The queue customers' messages wait in; its oldest message says how far routing lags. */
  readonly inboundQueue: IQueue;
  readonly httpApi: IHttpApi;
  readonly webSocketApi: IWebSocketApi;
  readonly webSocketStage: string;
  readonly table: ITable;
}

/** Where the handlers publish their business metrics: one namespace per stack. */
export function metricsNamespace(stack: Stack): string {
  return `Omnichat/${stack.stackName}`;
}

/** Inbound messages older than this mean routing has fallen behind. */
export const inboundAgeAlarmSeconds = 60;

/**
 * Tells people when the product fails: CloudWatch alarms to one SNS topic (the `AlarmEmail`
 * parameter subscribes an address), and one dashboard with the business figures the handlers
 * publish as embedded metrics beside the services' own.
 */
export class Monitoring extends Construct {
  readonly topic: Topic;
  readonly dashboard: Dashboard;
  readonly alarms: Alarm[] = [];
  /** The CloudWatch namespace of the business metrics. */
  readonly namespace: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.namespace = metricsNamespace(stack);

    // CloudWatch may only publish to an encrypted topic whose key lets it: a key of our own.
    const key = new Key(this, 'AlarmKey', {
      description: 'Encrypts Omnichat alarm notifications',
      enableKeyRotation: true,
    });
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarms',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new Topic(this, 'Alarms', { displayName: 'Omnichat alarms', masterKey: key, enforceSSL: true });

    const email = new CfnParameter(stack, 'AlarmEmail', {
      type: 'String',
      default: '',
      description: 'E-mail address told when an Omnichat alarm fires (empty: subscribe to the AlarmTopicArn output yourself).',
      allowedPattern: '^$|^[^@\\s]+@[^@\\s]+$',
    });
    const hasEmail = new CfnCondition(this, 'HasAlarmEmail', { expression: Fn.conditionNot(Fn.conditionEquals(email.valueAsString, '')) });
    const subscription = new CfnSubscription(this, 'AlarmEmailSubscription', {
      topicArn: this.topic.topicArn,
      protocol: 'email',
      endpoint: email.valueAsString,
    });
    subscription.cfnOptions.condition = hasEmail;

    const action = new SnsAction(this.topic);
    const alarm = (id: string, metric: Metric | MathExpression, threshold: number, description: string, periods = 1) => {
      const created = metric.createAlarm(this, id, {
        threshold,
        evaluationPeriods: periods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
      return created;
    };
    const minute = Duration.minutes(1);

    for (const [name, queue] of props.deadLetterQueues) {
      alarm(
        `${name}DeadLetters`,
        queue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: Stats.MAXIMUM }),
        1,
        `A message reached the ${name} dead-letter queue: it failed every retry. GET /api/dead-letters names it and its error.`,
      );
    }
    alarm(
      'InboundAge',
      props.inboundQueue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: Stats.MAXIMUM }),
      inboundAgeAlarmSeconds,
      `A customer message has waited over ${inboundAgeAlarmSeconds} s in the inbound queue: routing is failing or throttled.`,
    );
    for (const [name, fn] of props.functions) {
      alarm(`${name}Errors`, fn.metricErrors({ period: minute, statistic: Stats.SUM }), 1, `The ${name} function failed.`);
      alarm(`${name}Throttles`, fn.metricThrottles({ period: minute, statistic: Stats.SUM }), 1, `The ${name} function was throttled.`);
    }
    const apiMetric = (metricName: string, dimensions: Record<string, string>) =>
      new Metric({ namespace: 'AWS/ApiGateway', metricName, dimensionsMap: dimensions, period: minute, statistic: Stats.SUM });
    alarm('HttpApi5xx', apiMetric('5xx', { ApiId: props.httpApi.apiId }), 1, 'The HTTP API (webhooks, management API) answered 5xx.');
    const socketDimensions = { ApiId: props.webSocketApi.apiId, Stage: props.webSocketStage };
    alarm(
      'WebSocket5xx',
      new MathExpression({
        expression: 'execution + integration',
        usingMetrics: { execution: apiMetric('ExecutionError', socketDimensions), integration: apiMetric('IntegrationError', socketDimensions) },
        period: minute,
        label: 'WebSocket errors',
      }),
      1,
      'The agent WebSocket API failed to run a route (execution or integration errors).',
    );
    const operations = ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'TransactWriteItems', 'BatchWriteItem'];
    alarm(
      'TableThrottles',
      new MathExpression({
        expression: operations.map((_, i) => `t${i}`).join(' + '),
        usingMetrics: Object.fromEntries(operations.map((operation, i) => [`t${i}`, tableMetric(props.table, 'ThrottledRequests', operation)])),
        period: minute,
        label: 'Throttled requests',
      }),
      1,
      'DynamoDB throttled requests of the Omnichat table.',
    );
    alarm(
      'TableSystemErrors',
      new MathExpression({
        expression: operations.map((_, i) => `e${i}`).join(' + '),
        usingMetrics: Object.fromEntries(operations.map((operation, i) => [`e${i}`, tableMetric(props.table, 'SystemErrors', operation)])),
        period: minute,
        label: 'Failed requests',
      }),
      1,
      'DynamoDB failed requests of the Omnichat table (5xx).',
    );
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: `${stack.stackName}-operations`.slice(0, 255) });
    const wide = { width: 12, height: 6 };
    this.dashboard.addWidgets(
      new TextWidget({ markdown: `# Omnichat ${stack.stackName}\nBusiness figures are in \`${this.namespace}\`; alarms go to the Alarms topic.`, width: 24, height: 2 }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Messages and chats',
        left: [
          this.metric(productMetrics.inboundMessages, Stats.SUM, 'inbound messages'),
          this.metric(productMetrics.offers, Stats.SUM, 'offers'),
          this.metric(productMetrics.accepts, Stats.SUM, 'accepts'),
          this.metric(productMetrics.failedSends, Stats.SUM, 'failed sends'),
        ],
        ...wide,
      }),
      new GraphWidget({
        title: 'Customer waits (ms)',
        left: [
          this.metric(productMetrics.timeToOffer, Stats.percentile(50), 'time to offer p50'),
          this.metric(productMetrics.timeToOffer, Stats.percentile(90), 'time to offer p90'),
          this.metric(productMetrics.timeToAccept, Stats.percentile(50), 'time to accept p50'),
          this.metric(productMetrics.queueWait, Stats.percentile(50), 'queue wait p50'),
          this.metric(productMetrics.queueWait, Stats.percentile(90), 'queue wait p90'),
        ],
        ...wide,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Dead-letter queues (messages)',
        left: [...props.deadLetterQueues].map(([name, queue]) =>
          queue.metricApproximateNumberOfMessagesVisible({ period: minute, statistic: Stats.MAXIMUM, label: name }),
        ),
        ...wide,
      }),
      new SingleValueWidget({
        title: 'Oldest inbound message (s)',
        metrics: [props.inboundQueue.metricApproximateAgeOfOldestMessage({ period: minute, statistic: Stats.MAXIMUM })],
        ...wide,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Lambda duration p90 (ms)',
        left: [...props.functions].map(([name, fn]) => fn.metricDuration({ period: minute, statistic: Stats.percentile(90), label: name })),
        ...wide,
      }),
      new GraphWidget({
        title: 'Lambda errors',
        left: [...props.functions].map(([name, fn]) => fn.metricErrors({ period: minute, statistic: Stats.SUM, label: name })),
        ...wide,
      }),
    );
  }

  /** A business metric the handlers publish (functions/shared/metric-names.ts). */
  metric(name: string, statistic: string, label?: string): Metric {
    return new Metric({
      namespace: this.namespace,
      metricName: name,
      dimensionsMap: { service: 'omnichat' },
      period: Duration.minutes(1),
      statistic,
      ...(label ? { label } : {}),
    });
  }
}

function tableMetric(table: ITable, metricName: string, operation: string): Metric {
  return new Metric({
    namespace: 'AWS/DynamoDB',
    metricName,
    dimensionsMap: { TableName: table.tableName, Operation: operation },
    period: Duration.minutes(1),
    statistic: Stats.SUM,
  });
}
