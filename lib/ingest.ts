import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { z } from 'zod';
import { queues } from '../functions/shared/resources';
import { httpRoutes, type HandlerId } from '../functions/shared/routes';
import type { FunctionEnvironment } from './function-environment';
import type { HandlerFunctions } from './handler-function';
import { acknowledge } from './nag';
import type { OmnichatSettings } from './settings';

const routeKey = z.tuple([z.enum(HttpMethod), z.string().startsWith('/')]);

/** Splits an HTTP API route key (`POST /webhooks/telegram/{channelId}`) into method and path. */
export function parseRouteKey(key: string): { method: HttpMethod; path: string } {
  const [method, path] = routeKey.parse(key.split(' '));
  return { method, path };
}

/** A FIFO queue whose failed messages move to a FIFO dead-letter queue after `maxReceiveCount` tries. */
export function fifoQueueWithDeadLetters(scope: Construct, id: string): { queue: Queue; deadLetterQueue: Queue } {
  const deadLetterQueue = new Queue(scope, `${id}DeadLetterQueue`, {
    fifo: true,
    contentBasedDeduplication: false,
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  const queue = new Queue(scope, id, {
    fifo: true,
    // Producers set MessageDeduplicationId from the platform's event id.
    contentBasedDeduplication: false,
    // High-throughput FIFO: ordering and deduplication are only needed within one conversation.
    deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
    fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
    visibilityTimeout: Duration.seconds(queues.visibilityTimeoutSeconds),
    retentionPeriod: Duration.days(4),
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: queues.maxReceiveCount },
  });
  return { queue, deadLetterQueue };
}

/** One JSON line per request; HTTP APIs know routes, not REST resources. */
export const httpAccessLogFormat = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    ip: '$context.identity.sourceIp',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    status: '$context.status',
    responseLength: '$context.responseLength',
    latency: '$context.responseLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
  }),
);

export interface IngestProps {
  readonly functions: HandlerFunctions;
  readonly environment: FunctionEnvironment;
  readonly settings: OmnichatSettings;
}

/**
 * First stage: the public HTTP API, the webhook functions that verify platform signatures,
 * and the inbound FIFO queue (one message group per conversation) they enqueue onto.
 */
export class Ingest extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly inboundQueue: Queue;
  readonly inboundDeadLetterQueue: Queue;
  /** One function per webhook handler of `httpRoutes`. */
  readonly webhooks: ReadonlyMap<HandlerId, NodejsFunction>;

  constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id);

    const inbound = fifoQueueWithDeadLetters(this, 'InboundQueue');
    this.inboundQueue = inbound.queue;
    this.inboundDeadLetterQueue = inbound.deadLetterQueue;
    props.environment.provide('INBOUND_QUEUE_URL', this.inboundQueue.queueUrl);

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Omnichat webhooks and management API',
      // The stage is declared below, with access logs and throttling.
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'HttpApiAccessLogs', {
      retention: props.settings.logRetentionDays,
      removalPolicy: props.settings.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: httpAccessLogFormat },
      throttle: { rateLimit: 200, burstLimit: 400 },
    });
    props.environment.provide('PUBLIC_API_URL', this.httpApi.apiEndpoint);

    const webhooks = new Map<HandlerId, NodejsFunction>();
    const integrations = new Map<HandlerId, HttpLambdaIntegration>();
    for (const route of httpRoutes.filter((r) => r.auth === 'none')) {
      const { method, path } = parseRouteKey(route.routeKey);
      let integration = integrations.get(route.handler);
      if (!integration) {
        const fn = props.functions.create(this, functionId(route.handler), route.handler);
        integration = new HttpLambdaIntegration(`${functionId(route.handler)}Integration`, fn);
        webhooks.set(route.handler, fn);
        integrations.set(route.handler, integration);
      }
      for (const created of this.httpApi.addRoutes({ path, methods: [method], integration })) {
        acknowledge(
          created,
          'AwsSolutions-APIG4',
          'Platform webhooks and agents\' file links cannot carry our tokens; the handler checks the Meta signature, the Telegram secret token or the link\'s HMAC and expiry, and refuses otherwise.',
        );
      }
    }
    this.webhooks = webhooks;
  }

  /** The function serving a webhook handler of `httpRoutes`. */
  webhook(handler: HandlerId): NodejsFunction {
    const fn = this.webhooks.get(handler);
    if (!fn) throw new Error(`No webhook route is served by ${handler}`);
    return fn;
  }

  /** Lets a function put messages on the inbound queue. */
  grantEnqueue(...grantees: IGrantable[]): void {
    for (const grantee of grantees) this.inboundQueue.grantSendMessages(grantee);
  }
}

/** `ingest/messenger-webhook` → `MessengerWebhook`. */
export function functionId(handler: HandlerId): string {
  const name = handler.split('/').pop() ?? handler;
  return name.replace(/(^|-)([a-z])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
}
