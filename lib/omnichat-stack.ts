import { CfnOutput, Lazy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AdminApi, consoleScopes } from './admin-api';
import { AgentConsole } from './console';
import { AgentSocket } from './agent-socket';
import { FunctionEnvironment } from './function-environment';
import { HandlerFunctions } from './handler-function';
import { Ingest } from './ingest';
import { Monitoring } from './monitoring';
import { Outbound } from './outbound';
import { Attachments, attachmentsOrigin } from './attachments';
import { Routing } from './routing';
import { PlatformSecrets } from './secrets';
import { type OmnichatSettings, settingsFromContext } from './settings';

export interface OmnichatStackProps extends StackProps {
  /** Defaults to the CDK context (see `lib/settings.ts`). */
  readonly settings?: OmnichatSettings;
  /** Where `functions/` lives; defaults to the working directory. */
  readonly projectRoot?: string;
}

/** The whole product in one stack, stage by stage in the order a message flows. */
export class OmnichatStack extends Stack {
  readonly ingest: Ingest;
  readonly routing: Routing;
  readonly socket: AgentSocket;
  readonly admin: AdminApi;
  readonly outbound: Outbound;
  readonly console: AgentConsole;
  readonly monitoring: Monitoring;

  constructor(scope: Construct, id: string, props: OmnichatStackProps = {}) {
    super(scope, id, props);
    const settings = props.settings ?? settingsFromContext(this.node);
    const environment = new FunctionEnvironment();
    const functions = new HandlerFunctions(environment, settings, props.projectRoot);
    const secrets = new PlatformSecrets(this, settings.secretsPrefix);
    environment.provide('SECRETS_PREFIX', settings.secretsPrefix);
    environment.provide('GRAPH_API_URL', settings.graphApiUrl);
    environment.provide('TELEGRAM_API_URL', settings.telegramApiUrl);

    const stage = { functions, environment, settings };
    const ingest = (this.ingest = new Ingest(this, 'Ingest', stage));
    const routing = (this.routing = new Routing(this, 'Routing', { ...stage, inboundQueue: ingest.inboundQueue }));
    const socket = (this.socket = new AgentSocket(this, 'AgentSocket', stage));
    // sign-in returns to the console, whose URL exists once the console below is built
    const consoleUrl = Lazy.string({ produce: () => this.console.url });
    const admin = (this.admin = new AdminApi(this, 'AdminApi', {
      ...stage,
      httpApi: ingest.httpApi,
      consoleUrls: [consoleUrl, ...settings.consoleCallbackUrls],
    }));
    const outbound = (this.outbound = new Outbound(this, 'Outbound', stage));
    // the agents' console, as static files beside the APIs it talks to
    this.console = new AgentConsole(this, 'AgentConsole', {
      projectRoot: props.projectRoot ?? process.cwd(),
      socketUrl: socket.stage.url,
      apiUrl: ingest.httpApi.apiEndpoint,
      hostedUi: { url: admin.hostedUiUrl, clientId: admin.client.userPoolClientId, scopes: consoleScopes.map((s) => s.scopeName) },
      uploadOrigins: [attachmentsOrigin(this)],
    });

    // agents' files: uploaded from the console's origins through presigned URLs, sent by the sender
    const attachments = new Attachments(this, 'Attachments', { consoleOrigins: [`https://${this.console.distribution.distributionDomainName}`, ...settings.consoleCallbackUrls.map((u) => new URL(u).origin)] });
    environment.provide('ATTACHMENTS_BUCKET', attachments.bucket.bucketName);

    // Who may touch what. Queues are consumed through event sources, which grant their own receive rights.
    const handshake = ingest.webhook('ingest/messenger-handshake');
    const webhooks = [ingest.webhook('ingest/messenger-webhook'), ingest.webhook('ingest/telegram-webhook')];
    const telegramFiles = ingest.webhook('files/telegram-file');
    const chatDrivers = [routing.router, routing.timer, socket.connect, socket.disconnect, socket.action, admin.api];

    routing.grantTableRead(handshake, ...webhooks, socket.authorizer);
    routing.grantTableReadWrite(...chatDrivers, outbound.sender);
    ingest.grantEnqueue(...webhooks);
    // Agents' replies; automated messages and thread pass-backs from the router (greeting, handover) and the timer (closing).
    outbound.grantEnqueue(socket.action, routing.router, routing.timer);
    socket.grantPush(...chatDrivers, outbound.sender);
    routing.grantTimers(...chatDrivers);
    // Every chat driver runs the dispatcher, which publishes ChatAssigned and ChatClosed.
    routing.grantPublish(...chatDrivers, outbound.sender);
    // App secrets and secret tokens to verify webhooks; page and bot tokens to deliver replies.
    secrets.grantRead(...webhooks, outbound.sender);
    // bot tokens: the file function fetches Telegram files
    secrets.grantRead(telegramFiles);
    // page and bot tokens: every chat driver signs Telegram file links for agents; the router also reads
    // profiles and answers button presses; the action function asks Meta for a customer's thread
    secrets.grantRead(routing.router, routing.timer, socket.connect, socket.disconnect, socket.action);
    secrets.grantManage(admin.api);
    // the socket presigns uploads and checks them at send; every function that shows messages to agents signs download links
    attachments.grantUploadAndRead(socket.action);
    attachments.grantRead(routing.router, routing.timer, socket.connect, socket.disconnect, admin.api, outbound.sender);
    // Admins list dead letters and send them back to their source queue after a fix.
    environment.provide('INBOUND_DLQ_URL', ingest.inboundDeadLetterQueue.queueUrl);
    environment.provide('OUTBOUND_DLQ_URL', outbound.deadLetterQueue.queueUrl);
    admin.grantRedrive([
      { deadLetterQueue: ingest.inboundDeadLetterQueue, source: ingest.inboundQueue },
      { deadLetterQueue: outbound.deadLetterQueue, source: outbound.queue },
    ]);

    this.monitoring = new Monitoring(this, 'Monitoring', {
      functions: new Map([
        ...[...ingest.webhooks].map(([handler, fn]) => [pascal(handler), fn] as const),
        ['Router', routing.router],
        ['Timer', routing.timer],
        ['SocketAuthorizer', socket.authorizer],
        ['SocketConnect', socket.connect],
        ['SocketDisconnect', socket.disconnect],
        ['SocketAction', socket.action],
        ['AdminApi', admin.api],
        ['Sender', outbound.sender],
      ]),
      deadLetterQueues: new Map([
        ['Inbound', ingest.inboundDeadLetterQueue],
        ['Outbound', outbound.deadLetterQueue],
        ['Timer', routing.timerDeadLetterQueue],
      ]),
      inboundQueue: ingest.inboundQueue,
      httpApi: ingest.httpApi,
      webSocketApi: socket.api,
      webSocketStage: socket.stage.stageName,
      table: routing.table,
    });

    new CfnOutput(this, 'HttpApiUrl', { value: ingest.httpApi.apiEndpoint, description: 'Webhooks and management API' });
    new CfnOutput(this, 'WebSocketUrl', { value: socket.stage.url, description: 'Agent socket (connect with ?token=<JWT>)' });
    new CfnOutput(this, 'UserPoolId', { value: admin.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: admin.client.userPoolClientId, description: 'The console’s app client (authorization code with PKCE)' });
    new CfnOutput(this, 'HostedUiUrl', { value: admin.hostedUiUrl, description: 'Cognito hosted sign-in (managed login) of the user pool' });
    new CfnOutput(this, 'TableName', { value: routing.table.tableName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn, description: 'Alarms are published here' });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    new CfnOutput(this, 'ConsoleUrl', { value: this.console.url, description: 'Agent console' });
  }
}

/** `ingest/messenger-webhook` → `MessengerWebhook`, for alarm names. */
function pascal(handler: string): string {
  const name = handler.split('/').pop() ?? handler;
  return name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

