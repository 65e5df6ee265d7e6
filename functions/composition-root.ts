import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AutomatedMessages } from './services/automated-messages';
import { ChatEndings, ClosingDispatcher } from './services/handover';
import { Membership } from './services/membership';
import { TelegramFileLinks } from './services/telegram-file-links';
import { readEnv } from './shared/env';
import { instrumented, recordedMetrics } from './shared/instrument';
import { SocketNotifier } from './adapters/agent-socket';
import { AdminStore } from './adapters/dynamodb/admin-store';
import { DeadLetterQueues, FailureLog } from './adapters/dead-letters';
import { AgentLog } from './adapters/dynamodb/agent-log';
import { ChatStore } from './adapters/dynamodb/chats';
import { Directory } from './adapters/dynamodb/directory';
import { RoutingStore } from './adapters/dynamodb/routing-store';
import { Table } from './adapters/dynamodb/table';
import { EventBusPublisher } from './adapters/event-bus';
import { SqsOutboundQueue } from './adapters/queues';
import { SqsTimers } from './adapters/timer-queue';
import { Secrets } from './adapters/secrets';
import { clientConfig, webhookBudget, workerBudget } from './adapters/client-budget';
import { Remembered } from './adapters/remembered';

/**
 * Builds the adapters a routing-side function needs, once per container. Each getter
 * reads only the environment variables of what it builds.
 */
function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

export const clock = (): Date => new Date();

export const table = /* @__PURE__ */ once(() => Table.fromEnv(readEnv('TABLE_NAME').TABLE_NAME, clientConfig(workerBudget)));
export const directory = /* @__PURE__ */ once(() => new Directory(table()));
export const chatStore = /* @__PURE__ */ once(() => new ChatStore(table()));
export const routingStore = /* @__PURE__ */ once(() => new RoutingStore(table()));
export const adminStore = /* @__PURE__ */ once(() => new AdminStore(table()));
export const agentLog = /* @__PURE__ */ once(() => new AgentLog(table()));
export const sqs = /* @__PURE__ */ once(() => instrumented(new SQSClient(clientConfig(workerBudget))));
export const secrets = /* @__PURE__ */ once(
  () => new Secrets(instrumented(new SecretsManagerClient(clientConfig(workerBudget))), readEnv('SECRETS_PREFIX').SECRETS_PREFIX),
);

/** Apps and channels a webhook has found stay known this long; a failed refresh keeps using them this much longer. */
const webhookLookupMillis = { freshMillis: 60_000, staleMillis: 15 * 60_000 };

/**
 * What the webhooks use: clients that give up within the webhook's deadline (webhookBudget), and
 * the Meta app and channel lookups remembered like the secrets are, so a delivery for a known
 * channel needs no table read at all.
 */
export const webhookAdapters = /* @__PURE__ */ once(() => {
  const config = clientConfig(webhookBudget);
  const found = new Directory(Table.fromEnv(readEnv('TABLE_NAME').TABLE_NAME, config));
  return {
    /** Uncached, for the rare reads that must see the latest (the subscription handshake's verify token). */
    directory: found,
    messengerApps: new Remembered((appId) => found.messengerApp(appId), webhookLookupMillis),
    channels: new Remembered((channelId) => found.channel(channelId), webhookLookupMillis),
    sqs: new SQSClient(config),
    secrets: new Secrets(new SecretsManagerClient(config), readEnv('SECRETS_PREFIX').SECRETS_PREFIX),
  };
});
export const outboundQueue = /* @__PURE__ */ once(() => new SqsOutboundQueue(sqs(), readEnv('OUTBOUND_QUEUE_URL').OUTBOUND_QUEUE_URL));

export const socketNotifier = /* @__PURE__ */ once(() => {
  const { SOCKET_CALLBACK_URL } = readEnv('SOCKET_CALLBACK_URL');
  return new SocketNotifier(instrumented(new ApiGatewayManagementApiClient({ ...clientConfig(workerBudget), endpoint: SOCKET_CALLBACK_URL })), agentLog(), clock);
});

/** Agents see Telegram files through short-lived signed links to our file route, never with the bot token. */
export const fileLinks = /* @__PURE__ */ once(
  () => new TelegramFileLinks({ secrets: secrets(), chats: chatStore(), baseUrl: readEnv('PUBLIC_API_URL').PUBLIC_API_URL, clock }),
);

/** What routing uses to tell agents: the socket, with file links signed on the way. */
export const agentNotifier = /* @__PURE__ */ once(() => fileLinks().notifier(socketNotifier()));

/** Accept, completion and "all agents busy" timeouts: delayed messages on the timer queue. */
export const timers = /* @__PURE__ */ once(() => new SqsTimers(sqs(), readEnv('TIMER_QUEUE_URL').TIMER_QUEUE_URL, clock));

export const eventBus = /* @__PURE__ */ once(() => new EventBusPublisher(instrumented(new EventBridgeClient(clientConfig(workerBudget))), readEnv('EVENT_BUS_NAME').EVENT_BUS_NAME));

export const dispatcher = /* @__PURE__ */ once(() => {
  const socket = socketNotifier();
  const built = new ClosingDispatcher(
    {
      store: routingStore(),
      chats: chatStore(),
      directory: directory(),
      log: agentLog(),
      notifier: agentNotifier(),
      timers: timers(),
      events: eventBus(),
      clock,
      metrics: recordedMetrics,
    },
    chatEndings,
  );
  socket.onGone = (agentId, connectionId) => built.disconnected(connectionId, agentId);
  return built;
});

export const membership = /* @__PURE__ */ once(() => new Membership({ store: routingStore(), directory: directory(), dispatcher: dispatcher(), clock }));

/** Greeting, "all agents busy" and closing messages, sent as the Page. */
export const automatedMessages = /* @__PURE__ */ once(
  () => new AutomatedMessages({ chats: chatStore(), outbound: outboundQueue(), notifier: socketNotifier(), timers: timers(), clock }),
);

/** Closing messages and thread pass-backs after a chat closes, queued for the sender. */
export const chatEndings = /* @__PURE__ */ once(() => {
  return new ChatEndings({ outbound: outboundQueue(), automated: automatedMessages(), clock });
});

/** Failure records of SQS messages a consumer could not process (the reason SQS does not keep). */
export const failureLog = /* @__PURE__ */ once(() => new FailureLog(table(), clock));

/** The inbound and outbound dead-letter queues, for admins to list and redrive. */
export const deadLetterQueues = /* @__PURE__ */ once(() => {
  const env = readEnv('INBOUND_QUEUE_URL', 'INBOUND_DLQ_URL', 'OUTBOUND_QUEUE_URL', 'OUTBOUND_DLQ_URL');
  return new DeadLetterQueues(
    sqs(),
    {
      inbound: { dlqUrl: env.INBOUND_DLQ_URL, sourceUrl: env.INBOUND_QUEUE_URL },
      outbound: { dlqUrl: env.OUTBOUND_DLQ_URL, sourceUrl: env.OUTBOUND_QUEUE_URL },
    },
    failureLog(),
  );
});
