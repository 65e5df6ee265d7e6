import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { type IGrantable, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { queues, table as tableShape } from '../functions/shared/resources';
import { queueConsumers, timerTarget } from '../functions/shared/routes';
import type { FunctionEnvironment } from './function-environment';
import type { HandlerFunctions } from './handler-function';
import { acknowledge, acknowledgeWildcardResource } from './nag';
import type { OmnichatSettings } from './settings';

const tableReadActions = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
const tableWriteActions = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

export interface RoutingProps {
  readonly functions: HandlerFunctions;
  readonly environment: FunctionEnvironment;
  readonly settings: OmnichatSettings;
  readonly inboundQueue: IQueue;
}

/**
 * Second stage: the router that consumes the inbound queue, the table holding chats, agents
 * and queues, the accept and completion timeouts (EventBridge Scheduler one-time schedules
 * that invoke the timer function), and the event bus integrations listen on.
 */
export class Routing extends Construct {
  readonly table: Table;
  readonly router: NodejsFunction;
  readonly timer: NodejsFunction;
  readonly scheduleGroup: CfnScheduleGroup;
  /** The role Scheduler assumes to invoke the timer function. */
  readonly schedulerRole: Role;
  /** Receives Scheduler deliveries that never reached the timer function. */
  readonly timerDeadLetterQueue: Queue;
  readonly eventBus: EventBus;
  /** Every schedule of the group: `arn:…:scheduler:region:account:schedule/<group>/*`. */
  readonly scheduleArns: string;

  constructor(scope: Construct, id: string, props: RoutingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { environment, settings } = props;

    this.table = new Table(this, 'Table', {
      partitionKey: { name: tableShape.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableShape.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: tableShape.timeToLiveAttribute,
      deletionProtection: settings.deletionProtection,
      removalPolicy: settings.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    for (const index of Object.values(tableShape.indexes)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }
    environment.provide('TABLE_NAME', this.table.tableName);

    this.eventBus = new EventBus(this, 'EventBus', { description: 'Omnichat chat lifecycle events and chat actions' });
    environment.provide('EVENT_BUS_NAME', this.eventBus.eventBusName);

    this.scheduleGroup = new CfnScheduleGroup(this, 'ScheduleGroup', { name: settings.schedulerGroup });
    this.scheduleArns = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${settings.schedulerGroup}/*`,
    });
    environment.provide('SCHEDULER_GROUP', settings.schedulerGroup);

    this.timerDeadLetterQueue = new Queue(this, 'TimerDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.timerDeadLetterQueue.addToResourcePolicy(
      new PolicyStatement({
        sid: 'SchedulerDeadLetters',
        principals: [new ServicePrincipal('scheduler.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [this.timerDeadLetterQueue.queueArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          // Scheduler's source is the schedule group, never a single schedule.
          ArnEquals: { 'aws:SourceArn': this.scheduleGroup.attrArn },
        },
      }),
    );
    acknowledge(
      this.timerDeadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself a dead-letter queue: the schedules, created at run time, name it as theirs.',
    );
    environment.provide('TIMER_DLQ_ARN', this.timerDeadLetterQueue.queueArn);

    // A fixed name lets the timer's own environment carry its ARN without referring to itself.
    const timerName = `${stack.stackName}-timer`.slice(-64);
    environment.provide(
      'TIMER_TARGET_ARN',
      stack.formatArn({ service: 'lambda', resource: 'function', resourceName: timerName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    );

    this.schedulerRole = new Role(this, 'SchedulerRole', {
      description: 'Assumed by EventBridge Scheduler to deliver Omnichat timeouts to the timer function',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnEquals: { 'aws:SourceArn': this.scheduleGroup.attrArn },
        },
      }),
    });
    environment.provide('SCHEDULER_ROLE_ARN', this.schedulerRole.roleArn);

    const consumerTimeout = Duration.seconds(queues.consumerTimeoutSeconds);
    this.router = props.functions.create(this, 'Router', queueConsumers.inbound, { timeout: consumerTimeout });
    this.router.addEventSource(
      new SqsEventSource(props.inboundQueue, {
        batchSize: queues.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: settings.routerConcurrency,
      }),
    );
    this.timer = props.functions.create(this, 'Timer', timerTarget, { timeout: consumerTimeout, functionName: timerName });

    this.schedulerRole.addToPolicy(
      new PolicyStatement({ sid: 'InvokeTimer', actions: ['lambda:InvokeFunction'], resources: [this.timer.functionArn] }),
    );
    // Scheduler sends dead letters with the schedule's execution role.
    this.schedulerRole.addToPolicy(
      new PolicyStatement({
        sid: 'SendDeadLetters',
        actions: ['sqs:SendMessage'],
        resources: [this.timerDeadLetterQueue.queueArn],
      }),
    );
  }

  /** Lets functions look items up in the table and its indexes. */
  grantTableRead(...grantees: IGrantable[]): void {
    for (const grantee of grantees) grantee.grantPrincipal.addToPrincipalPolicy(this.tableReadStatement());
  }

  /** Lets functions look items up and write them (single writes and transactions, no scans). */
  grantTableReadWrite(...grantees: IGrantable[]): void {
    for (const grantee of grantees) {
      grantee.grantPrincipal.addToPrincipalPolicy(this.tableReadStatement());
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({ actions: tableWriteActions, resources: [this.table.tableArn] }),
      );
    }
  }

  /** Lets functions arm and disarm timeouts: schedules in this group only, always run by the scheduler role. */
  grantScheduling(...grantees: IGrantable[]): void {
    for (const grantee of grantees) {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'],
          resources: [this.scheduleArns],
        }),
      );
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [this.schedulerRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        }),
      );
      acknowledgeWildcardResource(
        grantee,
        this.scheduleArns,
        'Schedule names are made per chat at run time; the wildcard stays inside the Omnichat schedule group.',
      );
    }
  }

  /** Lets functions publish chat events on the product's bus. */
  grantPublish(...grantees: IGrantable[]): void {
    for (const grantee of grantees) this.eventBus.grantPutEventsTo(grantee);
  }

  private tableReadStatement(): PolicyStatement {
    const indexArns = Object.values(tableShape.indexes).map((index) => `${this.table.tableArn}/index/${index.name}`);
    return new PolicyStatement({ actions: tableReadActions, resources: [this.table.tableArn, ...indexArns] });
  }
}
