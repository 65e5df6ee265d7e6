import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AccessLogFormat, CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { CfnRoute, LogGroupLogDestination, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { type IGrantable, ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { socketActions, socketRoutes } from '../functions/shared/routes';
import type { FunctionEnvironment } from './function-environment';
import type { HandlerFunctions } from './handler-function';
import { acknowledge, acknowledgeWildcardResource } from './nag';
import type { OmnichatSettings } from './settings';

/** The stage agents connect to: `wss://{api}.execute-api.{region}.amazonaws.com/live`. */
export const socketStageName = 'live';
/** Where clients put their token when they connect (`?token=<JWT>`). */
export const socketIdentitySource = 'route.request.querystring.token';

const socketAccessLogFormat = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    ip: '$context.identity.sourceIp',
    requestTime: '$context.requestTime',
    routeKey: '$context.routeKey',
    eventType: '$context.eventType',
    connectionId: '$context.connectionId',
    status: '$context.status',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
  }),
);

export interface AgentSocketProps {
  readonly functions: HandlerFunctions;
  readonly environment: FunctionEnvironment;
  readonly settings: OmnichatSettings;
}

/**
 * Third stage: the WebSocket API agents keep open. `$connect` checks the token with a REQUEST
 * authorizer; every action frame, and anything unknown (`$default`), goes to one function.
 */
export class AgentSocket extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  readonly authorizer: NodejsFunction;
  readonly connect: NodejsFunction;
  readonly disconnect: NodejsFunction;
  readonly action: NodejsFunction;
  /** The `@connections` of the live stage, as API Gateway's management API names them. */
  readonly connectionArns: string;

  constructor(scope: Construct, id: string, props: AgentSocketProps) {
    super(scope, id);
    const { functions, environment, settings } = props;

    this.authorizer = functions.create(this, 'Authorizer', socketRoutes.authorizer);
    this.connect = functions.create(this, 'Connect', socketRoutes.connect);
    this.disconnect = functions.create(this, 'Disconnect', socketRoutes.disconnect);
    this.action = functions.create(this, 'Action', socketRoutes.action);

    const actionIntegration = new WebSocketLambdaIntegration('ActionIntegration', this.action);
    this.api = new WebSocketApi(this, 'Api', {
      description: 'Omnichat agent connections',
      routeSelectionExpression: '$request.body.action',
      connectRouteOptions: {
        integration: new WebSocketLambdaIntegration('ConnectIntegration', this.connect),
        authorizer: new WebSocketLambdaAuthorizer('TokenAuthorizer', this.authorizer, {
          identitySource: [socketIdentitySource],
        }),
      },
      disconnectRouteOptions: { integration: new WebSocketLambdaIntegration('DisconnectIntegration', this.disconnect) },
      defaultRouteOptions: { integration: actionIntegration },
    });
    for (const action of socketActions) this.api.addRoute(action, { integration: actionIntegration });

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: settings.logRetentionDays,
      removalPolicy: settings.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.stage = new WebSocketStage(this, 'LiveStage', {
      webSocketApi: this.api,
      stageName: socketStageName,
      autoDeploy: true,
      throttle: { rateLimit: settings.socketRateLimit, burstLimit: settings.socketBurstLimit },
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: socketAccessLogFormat },
    });
    environment.provide('SOCKET_CALLBACK_URL', this.stage.callbackUrl);
    const apiArn = Stack.of(this).formatArn({ service: 'execute-api', resource: this.api.apiId });
    this.connectionArns = `${apiArn}/${socketStageName}/*/@connections/*`;

    if (settings.apiGatewayLogsRole) this.stage.node.addDependency(this.apiGatewayLogsRole());

    // $connect carries the authorizer; every other route is acknowledged one by one.
    for (const route of this.api.node.findAll().filter((c) => c instanceof CfnRoute)) {
      if (route.routeKey === '$connect') continue;
      acknowledge(
        route,
        'AwsSolutions-APIG4',
        'API Gateway authorizes WebSocket connections on $connect only; later frames ride the authorized connection and the action handler checks the agent on every frame.',
      );
    }
  }

  /** Lets functions push frames to connected agents (`@connections` of this stage only). */
  grantPush(...grantees: IGrantable[]): void {
    for (const grantee of grantees) {
      this.stage.grantManagementApiAccess(grantee);
      acknowledgeWildcardResource(
        grantee,
        this.connectionArns,
        'Connection ids exist only at run time; the wildcard covers the @connections of the live stage of this API and nothing else.',
      );
    }
  }

  // WebSocket access logs are written with the account-wide API Gateway logging role.
  private apiGatewayLogsRole(): CfnAccount {
    const role = new Role(this, 'ApiGatewayLogsRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'Lets API Gateway write access logs to CloudWatch Logs (account setting)',
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    // Other APIs of the account use this setting too; it must outlive the stack.
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    acknowledge(
      role,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      'AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS defines for the API Gateway account logging role, which writes to log groups of every API in the account.',
    );
    const account = new CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: role.roleArn });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    return account;
  }
}
