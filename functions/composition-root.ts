import { randomUUID } from 'node:crypto';
import * as z from 'zod/mini';
import { en } from 'zod/v4/locales';
import { DynamoWrapUp } from './adapters/dynamodb/wrap-up';
import { WrapUpService, allQuickReplies } from './services/wrap-up';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { AutomatedMessages } from './services/automated-messages';
import { AgentActions } from './services/agent-actions';
import { AgentWorkspace } from './services/agent-workspace';
import { TransferTargets } from './services/transfer-targets';
import { ChatActions } from './services/chat-actions';
import { ChatIntake } from './services/chat-intake';
import { Delivery } from './services/delivery';
import { Dispatcher } from './services/dispatcher';
import { WaitingLine } from './services/waiting-line';
import { DynamoWaitingLine } from './adapters/dynamodb/waiting-line';
import { Echoes } from './services/echoes';
import { ChatEndings, Handover, ThreadRequests } from './services/handover';
import { Profiles } from './services/profiles';
import { Receipts } from './services/receipts';
import { TelegramEvents } from './services/telegram-events';
import { GraphApi } from './adapters/graph-api';
import { TelegramApi } from './adapters/telegram-api';
import { MessengerSender } from './adapters/messenger-sender';
import { ChatPacer, TelegramSender } from './adapters/telegram-sender';
import { DynamoTelegramChats } from './adapters/dynamodb/telegram-chats';
import { QueueVisibility } from './adapters/queue-visibility';
import { RetryAfter } from './adapters/retry-after';
import { Membership } from './services/membership';
import { Supervision } from './services/supervision';
import { Watchers } from './services/watchers';
import { DynamoWatchStore } from './adapters/dynamodb/watches';
import { TelegramFileLinks } from './services/telegram-file-links';
import { readEnv } from './shared/env';
import { instrumented, recordedMetrics } from './shared/instrument';
import { SocketNotifier } from './adapters/agent-socket';
import { DynamoAdminStore } from './adapters/dynamodb/admin-store';
import { DeadLetterQueues, FailureLog } from './adapters/dead-letters';
import { DynamoAgentLog } from './adapters/dynamodb/agent-log';
import { DynamoChatStore } from './adapters/dynamodb/chats';
import { DynamoDirectory } from './adapters/dynamodb/directory';
import { DynamoRoutingStore } from './adapters/dynamodb/routing-store';
import { Table } from './adapters/dynamodb/table';
import { invocationRoutingPasses } from './adapters/invocation-memo';
import { DynamoReports } from './adapters/dynamodb/reports';
import { DynamoSurveys } from './adapters/dynamodb/surveys';
import { Surveys } from './services/surveys';
import { defaultServiceLevelSeconds } from './domain/model';
import { EventBusPublisher } from './adapters/event-bus';
import { SqsOutboundQueue } from './adapters/queues';
import { SqsTimers } from './adapters/timer-queue';
import { Secrets } from './adapters/secrets';
import { clientConfig, workerBudget } from './adapters/client-budget';
import { S3Client } from '@aws-sdk/client-s3';
import { S3Attachments } from './adapters/s3-attachments';
import { AgentUploads, AttachmentLinks } from './services/agent-uploads';
import { ChatSignals } from './services/chat-signals';
import { DynamoSignalGate } from './adapters/dynamodb/signal-gate';
import type { AttachmentStore } from './domain/uploads';
import type { AdminStore, AgentLog, AgentNotifier, ChatStore, Directory, RoutingStore } from './domain/ports';

// zod/mini ships no messages: refusals (a file link's 400) and logged parse failures read as zod classic's did.
z.config(en());

/**
 * The one place objects are built: every adapter and service a Lambda function uses, once per
 * container, on first use. Handlers only call these getters; each getter reads only the
 * environment variables of what it builds, so a function needs only the variables of what it uses.
 */
function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

export const clock = (): Date => new Date();

export const table = /* @__PURE__ */ once(() => Table.fromEnv(readEnv('TABLE_NAME').TABLE_NAME, clientConfig(workerBudget)));
export const directory: () => Directory = /* @__PURE__ */ once(() => new DynamoDirectory(table()));
export const chatStore: () => ChatStore = /* @__PURE__ */ once(() => new DynamoChatStore(table()));
export const routingStore: () => RoutingStore = /* @__PURE__ */ once(() => new DynamoRoutingStore(table(), clock));
export const adminStore: () => AdminStore = /* @__PURE__ */ once(() => new DynamoAdminStore(table()));
export const agentLog: () => AgentLog = /* @__PURE__ */ once(() => new DynamoAgentLog(table()));
/** Report figures, added per (queue, hour) and (agent, hour) as chats move; read by the report routes. */
export const reports = /* @__PURE__ */ once(
  () => new DynamoReports(table(), async (queueId) => (await directory().queue(queueId))?.serviceLevelSeconds ?? defaultServiceLevelSeconds, () => recordedMetrics.count('ReportWriteFailed')),
);
export const surveyStore = /* @__PURE__ */ once(() => new DynamoSurveys(table()));
export const sqs = /* @__PURE__ */ once(() => instrumented(new SQSClient(clientConfig(workerBudget))));
export const secrets = /* @__PURE__ */ once(
  () => new Secrets(instrumented(new SecretsManagerClient(clientConfig(workerBudget))), readEnv('SECRETS_PREFIX').SECRETS_PREFIX),
);

export const outboundQueue = /* @__PURE__ */ once(() => new SqsOutboundQueue(sqs(), readEnv('OUTBOUND_QUEUE_URL').OUTBOUND_QUEUE_URL));

export const socketNotifier: () => SocketNotifier = /* @__PURE__ */ once(() => {
  const { SOCKET_CALLBACK_URL } = readEnv('SOCKET_CALLBACK_URL');
  return new SocketNotifier(
    instrumented(new ApiGatewayManagementApiClient({ ...clientConfig(workerBudget), endpoint: SOCKET_CALLBACK_URL })),
    agentLog(),
    clock,
    // a connection found gone is forgotten by routing, as if it had disconnected
    (agentId, connectionId) => dispatcher().disconnected(connectionId, agentId),
  );
});

/** The Graph API (Messenger Send API, Pages, handover) and the Telegram Bot API: real or the local fakes. */
export const graphApi = /* @__PURE__ */ once(() => new GraphApi({ baseUrl: readEnv('GRAPH_API_URL').GRAPH_API_URL }));
export const telegramApi = /* @__PURE__ */ once(() => new TelegramApi({ baseUrl: readEnv('TELEGRAM_API_URL').TELEGRAM_API_URL }));
export const telegramChats = /* @__PURE__ */ once(() => new DynamoTelegramChats(table(), clock));

/**
 * The attachment bucket agents upload to. Presigned URLs carry no SDK checksum (the default
 * `WHEN_SUPPORTED` would sign a CRC32 of the empty body into an upload URL, which S3 then refuses
 * for any real file). Locally (`AWS_ENDPOINT_URL_S3`) the bucket is addressed by path.
 */
export const attachments: () => AttachmentStore = /* @__PURE__ */ once(
  () =>
    new S3Attachments(
      instrumented(new S3Client({ ...clientConfig(workerBudget), requestChecksumCalculation: 'WHEN_REQUIRED', forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) })),
      readEnv('ATTACHMENTS_BUCKET').ATTACHMENTS_BUCKET,
      clock,
    ),
);
/** Read on first use only, so functions that never send a file need no bucket. */
const attachmentReader: Pick<AttachmentStore, 'read'> = { read: (key, maxBytes) => attachments().read(key, maxBytes) };

/** Presigned uploads for agents, the check of uploaded attachments at `send`, and their download links. */
export const agentUploads = /* @__PURE__ */ once(() => new AgentUploads({ chats: chatStore(), directory: directory(), store: attachments }));

/**
 * Agents see Telegram files through short-lived signed links to our file route, never with the bot
 * token, and uploaded attachments through presigned GET links to the bucket.
 */
export const fileLinks = /* @__PURE__ */ once(
  () => new AttachmentLinks(new TelegramFileLinks({ secrets: secrets(), chats: chatStore(), baseUrl: readEnv('PUBLIC_API_URL').PUBLIC_API_URL, clock }), agentUploads()),
);

/** What routing uses to tell agents: the socket, with file links signed on the way. */
export const agentNotifier: () => AgentNotifier = /* @__PURE__ */ once(() => fileLinks().notifier(socketNotifier()));

/** Accept, completion and "all agents busy" timeouts: delayed messages on the timer queue. */
export const timers = /* @__PURE__ */ once(() => new SqsTimers(sqs(), readEnv('TIMER_QUEUE_URL').TIMER_QUEUE_URL, clock));

export const eventBus = /* @__PURE__ */ once(() => new EventBusPublisher(instrumented(new EventBridgeClient(clientConfig(workerBudget))), readEnv('EVENT_BUS_NAME').EVENT_BUS_NAME));

export const dispatcher: () => Dispatcher = /* @__PURE__ */ once(
  () =>
    new Dispatcher({
      store: routingStore(),
      chats: chatStore(),
      directory: directory(),
      log: agentLog(),
      notifier: agentNotifier(),
      timers: timers(),
      events: eventBus(),
      clock,
      metrics: recordedMetrics,
      endings: chatEndings(),
      watchers: watchers(),
      reports: reports(),
      waitingLine: waitingLineStore(),
      passes: invocationRoutingPasses,
    }),
);

/** Queue hours, max wait and position in line. */
export const waitingLineStore = /* @__PURE__ */ once(() => new DynamoWaitingLine(table()));
export const waitingLine = /* @__PURE__ */ once(
  () =>
    new WaitingLine({ directory: directory(), chats: chatStore(), dispatcher: dispatcher(), automated: automatedMessages(), store: waitingLineStore(), timers: timers(), clock }),
);

/** Supervisors' watches of chats, and the frames passed on to them. */
export const watchStore = /* @__PURE__ */ once(() => new DynamoWatchStore(table()));
export const watchers = /* @__PURE__ */ once(() => new Watchers({ store: watchStore(), connections: socketNotifier(), clock }));

/** The supervisors' live view and moves (the management API builds it on first use). */
export const supervision = /* @__PURE__ */ once(
  () => new Supervision({ dispatcher: dispatcher(), store: routingStore(), directory: directory(), chats: chatStore(), clock }),
);

export const membership = /* @__PURE__ */ once(() => new Membership({ store: routingStore(), directory: directory(), dispatcher: dispatcher(), clock }));

/** Greeting, "all agents busy" and closing messages, sent as the Page. */
export const automatedMessages = /* @__PURE__ */ once(
  () => new AutomatedMessages({ chats: chatStore(), outbound: outboundQueue(), notifier: socketNotifier(), timers: timers(), clock }),
);

/** Closing messages and thread pass-backs after a chat closes, queued for the sender. */
export const chatEndings = /* @__PURE__ */ once(() => {
  return new ChatEndings({ outbound: outboundQueue(), automated: automatedMessages(), clock, reports: reports(), events: eventBus(), surveys: surveys() });
});

/** The satisfaction survey: sent on close, answers stored on the closed chat. */
export const surveys = /* @__PURE__ */ once(() => {
  return new Surveys({ store: surveyStore(), chats: chatStore(), outbound: outboundQueue(), events: eventBus(), reports: reports(), clock });
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

/** The router's work: a platform event joins or opens a chat, which routing then offers. */
export const chatIntake = /* @__PURE__ */ once(() => {
  const automated = automatedMessages();
  return new ChatIntake({
    directory: directory(),
    contacts: adminStore(),
    chats: chatStore(),
    dispatcher: dispatcher(),
    notifier: agentNotifier(),
    events: eventBus(),
    clock,
    receipts: new Receipts({ chats: chatStore(), notifier: socketNotifier(), watchers: watchers() }),
    echoes: new Echoes({ chats: chatStore(), notifier: socketNotifier(), clock, watchers: watchers() }),
    handover: new Handover({ chats: chatStore(), dispatcher: dispatcher(), automated, events: eventBus(), clock, reports: reports(), waiting: waitingLine() }),
    profiles: new Profiles({ chats: chatStore(), directory: directory(), graph: graphApi(), secrets: secrets(), events: eventBus(), clock }),
    automated,
    reports: reports(),
    surveys: surveys(),
    telegram: new TelegramEvents({ chats: chatStore(), telegramChats: telegramChats(), notifier: agentNotifier(), telegram: telegramApi(), secrets: secrets() }),
    watchers: watchers(),
    waiting: waitingLine(),
  });
});

/** Telegram's one message a second per chat, and its 429 pauses. */
export const telegramPacer = /* @__PURE__ */ once(() => new ChatPacer());

/** The sender's work: an agent's reply (or a thread pass-back) reaches the platform. */
export const delivery = /* @__PURE__ */ once(
  () =>
    new Delivery({
      chats: chatStore(),
      directory: directory(),
      secrets: secrets(),
      senders: {
        messenger: new MessengerSender(graphApi(), clock, undefined, attachmentReader),
        telegram: new TelegramSender(telegramApi(), telegramPacer(), telegramChats(), attachmentReader),
      },
      notifier: socketNotifier(),
      events: eventBus(),
      graph: graphApi(),
      watchers: watchers(),
    }),
);

/** A platform's "retry after" honoured by holding the outbound message back that long. */
export const retryAfter = /* @__PURE__ */ once(() => new RetryAfter(new QueueVisibility(sqs(), readEnv('OUTBOUND_QUEUE_URL').OUTBOUND_QUEUE_URL)));

/** What an agent does over the socket. */
export const agentActions = /* @__PURE__ */ once(
  () =>
    new AgentActions({
      dispatcher: dispatcher(),
      chatActions: new ChatActions({ actions: adminStore(), chats: chatStore(), directory: directory(), events: eventBus() }),
      chats: chatStore(),
      store: routingStore(),
      log: agentLog(),
      outbound: outboundQueue(),
      notifier: socketNotifier(),
      clock,
      directory: directory(),
      threads: new ThreadRequests({ chats: chatStore(), store: routingStore(), directory: directory(), graph: graphApi(), secrets: secrets() }),
      workspace: new AgentWorkspace({
        admin: adminStore(),
        settings: () => directory().settings(),
        queues: () => directory().listQueues(),
        agents: () => directory().listAgentItems(),
      }),
      fileLinks: fileLinks(),
      watches: watchStore(),
      watchers: watchers(),
      reports: reports(),
      uploads: agentUploads(),
      signals: new ChatSignals({ chats: chatStore(), directory: directory(), secrets: secrets(), gate: new DynamoSignalGate(table()), graph: graphApi(), telegram: telegramApi(), clock }),
      transferTargets: new TransferTargets({ chats: chatStore(), directory: directory(), store: routingStore() }),
      wrapUp: wrapUp(),
    }),
);

/** Dispositions, notes, quick-reply edits and the customer's history (the byCustomer index). */
export const wrapUpStore = /* @__PURE__ */ once(() => new DynamoWrapUp(table()));

/** Wrapping chats up: a close's disposition and tags, private notes, the customer's earlier chats, quick replies for a chat. */
export const wrapUp = /* @__PURE__ */ once(
  () =>
    new WrapUpService({
      store: wrapUpStore(),
      history: wrapUpStore(),
      chats: chatStore(),
      directory: directory(),
      quickReplies: () => allQuickReplies(adminStore()),
      notifier: agentNotifier(),
      watchers: watchers(),
      clock,
      newId: randomUUID,
    }),
);
