import { Duration } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { queues } from '../functions/shared/resources';
import { queueConsumers } from '../functions/shared/routes';
import type { FunctionEnvironment } from './function-environment';
import type { HandlerFunctions } from './handler-function';
import { fifoQueueWithDeadLetters } from './ingest';
import type { OmnichatSettings } from './settings';

export interface OutboundProps {
  readonly functions: HandlerFunctions;
  readonly environment: FunctionEnvironment;
  readonly settings: OmnichatSettings;
}

/**
 * Last stage: agents' replies wait on a FIFO queue (one message group per conversation, so
 * they leave in order) and the sender delivers them to the Graph API or the Bot API.
 */
export class Outbound extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly sender: NodejsFunction;

  constructor(scope: Construct, id: string, props: OutboundProps) {
    super(scope, id);

    const outbound = fifoQueueWithDeadLetters(this, 'OutboundQueue');
    this.queue = outbound.queue;
    this.deadLetterQueue = outbound.deadLetterQueue;
    props.environment.provide('OUTBOUND_QUEUE_URL', this.queue.queueUrl);

    this.sender = props.functions.create(this, 'Sender', queueConsumers.outbound, {
      timeout: Duration.seconds(queues.consumerTimeoutSeconds),
    });
    this.sender.addEventSource(new SqsEventSource(this.queue, {
        batchSize: queues.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: props.settings.senderConcurrency,
      }),
    );
  }

  /** Lets functions put replies on the outbound queue. */
  grantEnqueue(...grantees: IGrantable[]): void {
    for (const grantee of grantees) this.queue.grantSendMessages(grantee);
  }
}
