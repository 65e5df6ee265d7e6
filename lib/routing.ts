import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { queues, table as tableShape } from '../functions/shared/resources';
import { queueConsumers } from '../functions/shared/routes';
import type { FunctionEnvironment } from './function-environment';
import type { HandlerFunctions } from './handler-function';
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
 * and queues, the timeouts (delayed messages on the timer queue, consumed by the timer
 * function), and the event bus integrations listen on.
 */
export class Routing extends Construct {
  readonly table: Table;
  readonly router: NodejsFunction;
  readonly timer: NodejsFunction;
  /** Timers as delayed messages (standard queue: per-message DelaySeconds up to 15 minutes). */
  readonly timerQueue: Queue;
  /** Timer messages the timer function failed on `maxReceiveCount` times. */
  readonly timerDeadLetterQueue: Queue;
  readonly eventBus: EventBus;

  constructor(scope: Construct, id: string, props: RoutingProps) {
    super(scope, id);
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
        ...(index.projection === 'keys'
          ? { projectionType: ProjectionType.KEYS_ONLY }
          : { projectionType: ProjectionType.INCLUDE, nonKeyAttributes: [...index.projection] }),
      });
    }
    environment.provide('TABLE_NAME', this.table.tableName);

    this.eventBus = new EventBus(this, 'EventBus', { description: 'Omnichat chat lifecycle events and chat actions' });
    environment.provide('EVENT_BUS_NAME', this.eventBus.eventBusName);

    // Timers: delayed messages on a standard queue (FIFO queues take no per-message delay); a
    // timer that keeps failing moves to the dead-letter queue after maxReceiveCount tries.
    this.timerDeadLetterQueue = new Queue(this, 'TimerDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.timerQueue = new Queue(this, 'TimerQueue', {
      visibilityTimeout: Duration.seconds(queues.visibilityTimeoutSeconds),
      // the longest a timer waits between hops is 15 minutes; four days leave room for retries
      retentionPeriod: Duration.days(4),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.timerDeadLetterQueue, maxReceiveCount: queues.maxReceiveCount },
    });
    environment.provide('TIMER_QUEUE_URL', this.timerQueue.queueUrl);

    const consumerTimeout = Duration.seconds(queues.consumerTimeoutSeconds);
    this.router = props.functions.create(this, 'Router', queueConsumers.inbound, { timeout: consumerTimeout });
    this.router.addEventSource(
      new SqsEventSource(props.inboundQueue, {
        batchSize: queues.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: settings.routerConcurrency,
      }),
    );
    this.timer = props.functions.create(this, 'Timer', queueConsumers.timer, { timeout: consumerTimeout });
    // No batching window: a due timer goes to the function the moment a poller receives it.
    this.timer.addEventSource(new SqsEventSource(this.timerQueue, { batchSize: queues.batchSize, reportBatchItemFailures: true }));
    // The timer function sends on timers not yet due (longer than SQS's 15 minutes): grantTimers, as a chat driver.
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

  /** Lets functions arm timeouts: send delayed messages to the timer queue. */
  grantTimers(...grantees: IGrantable[]): void {
    for (const grantee of grantees) this.timerQueue.grantSendMessages(grantee);
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
