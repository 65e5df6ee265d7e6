import { Match, type Template } from 'aws-cdk-lib/assertions';
import { queues, table } from '../../functions/shared/resources';
import { httpRoutes, socketActions, socketRoutes } from '../../functions/shared/routes';
import { environmentOf, functionFor, statementsAllowing, statementsOfRole, synthesizeStack } from './synthesized-stack';

// One synthesis for every stage: the stack takes seconds to build, the assertions milliseconds.
let template: Template;
beforeAll(() => {
  ({ template } = synthesizeStack());
});

describe('ingest stage', () => {
  it('serves every webhook route without an API authorizer, so platforms can reach it', () => {
    // given the webhook routes of the route table
    const webhookRoutes = httpRoutes.filter((route) => route.auth === 'none');

    // then each is a route of the HTTP API with no authorization, integrated with its own handler's function
    // three platform webhooks and the signed Telegram file links
    expect(webhookRoutes).toHaveLength(4);
    for (const route of webhookRoutes) {
      const fn = functionFor(template, route.handler);
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: route.routeKey,
        AuthorizationType: 'NONE',
        AuthorizerId: Match.absent(),
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: { 'Fn::GetAtt': [fn.logicalId, 'Arn'] },
      });
    }
  });

  it('queues inbound events on a high-throughput FIFO queue deduplicated by the producers', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      ContentBasedDeduplication: false,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      VisibilityTimeout: queues.visibilityTimeoutSeconds,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { maxReceiveCount: queues.maxReceiveCount, deadLetterTargetArn: Match.anyValue() },
    });
  });

  it('moves an inbound event that keeps failing to a FIFO dead-letter queue', () => {
    // given the inbound queue (the one the router consumes)
    const router = functionFor(template, 'routing/router');
    const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: { FunctionName: { Ref: router.logicalId } },
    });
    const [mapping] = Object.values(mappings);
    const inboundId: unknown = mapping?.Properties?.EventSourceArn?.['Fn::GetAtt']?.[0];
    expect(typeof inboundId).toBe('string');

    // when its redrive policy is followed
    const inbound = template.toJSON().Resources[String(inboundId)];
    const deadLetterId: unknown = inbound.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0];

    // then it leads to an encrypted FIFO queue
    const deadLetter = template.toJSON().Resources[String(deadLetterId)];
    expect(deadLetter.Type).toBe('AWS::SQS::Queue');
    expect(deadLetter.Properties).toMatchObject({ FifoQueue: true, SqsManagedSseEnabled: true });
  });

  it('refuses queue requests that do not use TLS', () => {
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
    const queueCount = Object.keys(template.findResources('AWS::SQS::Queue')).length;
    const denyingInsecure = policies.filter((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('"aws:SecureTransport":"false"'),
    );
    expect(denyingInsecure).toHaveLength(queueCount);
  });

  it('lets only the two signed webhooks enqueue inbound events, and the handshake only read the table', () => {
    const handshake = functionFor(template, 'ingest/messenger-handshake');
    expect(statementsAllowing(template, handshake, 'sqs:SendMessage')).toEqual([]);
    expect(statementsAllowing(template, handshake, 'dynamodb:PutItem')).toEqual([]);
    expect(statementsAllowing(template, handshake, 'dynamodb:GetItem')).toHaveLength(1);

    for (const handler of ['ingest/messenger-webhook', 'ingest/telegram-webhook']) {
      const [send] = statementsAllowing(template, functionFor(template, handler), 'sqs:SendMessage');
      expect(send?.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^IngestInboundQueue[0-9A-F]+$/), 'Arn'] });
    }
  });
});

const timerQueueArn = { 'Fn::GetAtt': [expect.stringMatching(/^RoutingTimerQueue[0-9A-F]+$/), 'Arn'] };
describe('routing stage', () => {
  it('routes inbound events in batches and reports only the failed ones for retry', () => {
    const router = functionFor(template, 'routing/router');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: router.logicalId },
      BatchSize: queues.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestInboundQueue'), 'Arn'] },
    });
    expect(router.properties.Timeout).toBe(queues.consumerTimeoutSeconds);
  });

  it('keeps chats in one on-demand table with point-in-time recovery, expiry and the four indexes', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
        KeySchema: [
          { AttributeName: table.partitionKey, KeyType: 'HASH' },
          { AttributeName: table.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: Object.values(table.indexes).map((index) =>
          Match.objectLike({
            IndexName: index.name,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' },
              { AttributeName: index.sortKey, KeyType: 'RANGE' },
            ],
            // only what each index's queries read: a volatile attribute's change writes no index
            Projection:
              index.projection === 'keys'
                ? { ProjectionType: 'KEYS_ONLY' }
                : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projection] },
          }),
        ),
      },
    });
  });

  it('lets a throwaway deployment drop its table', () => {
    // given a stack synthesized with deletion protection off, as `-c deletionProtection=false` gives it
    const { template: throwaway } = synthesizeStack({ deletionProtection: 'false' });

    // then the table can be deleted with the stack
    throwaway.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: { DeletionProtectionEnabled: false },
    });
  });

  it('keeps timers on a standard, encrypted queue (per-message delays) with a dead-letter queue after five tries', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: Match.absent(),
      // no queue-wide delay: every timer message carries its own DelaySeconds
      DelaySeconds: Match.absent(),
      SqsManagedSseEnabled: true,
      VisibilityTimeout: queues.visibilityTimeoutSeconds,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RoutingTimerDeadLetterQueue'), 'Arn'] },
        maxReceiveCount: queues.maxReceiveCount,
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: Match.absent(),
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    // both refuse requests without TLS
    for (const queue of ['^RoutingTimerQueue', '^RoutingTimerDeadLetterQueue']) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: Match.stringLikeRegexp(`${queue}[0-9A-F]+$`) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    }
  });

  it('feeds due timers to the timer function at once (no batching window), reporting only the failed ones for retry', () => {
    const timer = functionFor(template, 'routing/timer');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: timer.logicalId },
      BatchSize: queues.batchSize,
      MaximumBatchingWindowInSeconds: Match.absent(),
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RoutingTimerQueue'), 'Arn'] },
    });
    expect(timer.properties.Timeout).toBe(queues.consumerTimeoutSeconds);
  });

  it('uses no EventBridge Scheduler at all', () => {
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 0);
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/scheduler[:.]/);
  });

  it.each(['routing/router', 'routing/timer', 'socket/connect', 'socket/disconnect', 'socket/action', 'admin/api'])(
    'lets %s arm timeouts by sending to the timer queue, which its environment names',
    (handler) => {
      const fn = functionFor(template, handler);
      expect(statementsAllowing(template, fn, 'sqs:SendMessage').flatMap((s) => [s.Resource].flat())).toContainEqual(timerQueueArn);
      expect(environmentOf(fn).TIMER_QUEUE_URL).toEqual({ Ref: expect.stringMatching(/^RoutingTimerQueue[0-9A-F]+$/) });
    },
  );

  it.each(['ingest/messenger-webhook', 'socket/authorizer', 'outbound/sender'])('gives %s no say over timeouts', (handler) => {
    const fn = functionFor(template, handler);
    expect(statementsAllowing(template, fn, 'sqs:SendMessage').flatMap((s) => [s.Resource].flat())).not.toContainEqual(timerQueueArn);
    expect(environmentOf(fn).TIMER_QUEUE_URL).toBeUndefined();
  });

  it('publishes chat events on its own bus, from the functions that run the dispatcher and the sender', () => {
    template.resourceCountIs('AWS::Events::EventBus', 1);
    for (const handler of ['routing/router', 'routing/timer', 'socket/action', 'admin/api', 'outbound/sender']) {
      expect(statementsAllowing(template, functionFor(template, handler), 'events:PutEvents')).toEqual([
        expect.objectContaining({ Resource: { 'Fn::GetAtt': [expect.stringMatching(/^RoutingEventBus/), 'Arn'] } }),
      ]);
    }
    expect(statementsAllowing(template, functionFor(template, 'ingest/telegram-webhook'), 'events:PutEvents')).toEqual([]);
  });
});

function integrationOf(routeKey: string): string {
  const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route', { Properties: { RouteKey: routeKey } }));
  expect(routes).toHaveLength(1);
  const target: unknown = routes[0]?.Properties?.Target;
  const match = JSON.stringify(target).match(/"Ref":"([A-Za-z0-9]+)"/);
  if (!match?.[1]) throw new Error(`Route ${routeKey} has no integration target`);
  const integration = template.toJSON().Resources[match[1]];
  return JSON.stringify(integration.Properties.IntegrationUri);
}

describe('agent socket stage', () => {
  it('selects routes by the action field of each frame', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
  });

  it('checks the token of every connection with a REQUEST authorizer reading ?token=', () => {
    // given the authorizer function
    const authorizer = functionFor(template, socketRoutes.authorizer);

    // then $connect is guarded by a REQUEST authorizer on the query-string token, run by that function
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.querystring.token'],
      AuthorizerUri: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [authorizer.logicalId, 'Arn'] }])] }),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: '$connect',
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: Match.stringLikeRegexp('TokenAuthorizer') },
    });
  });

  it('sends connects and disconnects to their own functions and every action frame to the action function', () => {
    const connect = functionFor(template, socketRoutes.connect).logicalId;
    const disconnect = functionFor(template, socketRoutes.disconnect).logicalId;
    const action = functionFor(template, socketRoutes.action).logicalId;

    expect(integrationOf('$connect')).toContain(connect);
    expect(integrationOf('$disconnect')).toContain(disconnect);
    for (const routeKey of ['$default', ...socketActions]) expect(integrationOf(routeKey)).toContain(action);
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 3 + socketActions.length + httpRoutes.length);
  });

  it('serves agents on a throttled, access-logged stage named live', () => {
    template.hasResource('AWS::ApiGatewayV2::Stage', {
      Properties: {
        StageName: 'live',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
        AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('connectionId') },
      },
      // WebSocket access logs need the account's API Gateway logging role in place first.
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('^AgentSocketApiGatewayAccount')]),
    });
  });

  it('tells the pushing functions where the stage callback URL is', () => {
    const callbackUrl = {
      'Fn::Join': [
        '',
        ['https://', { Ref: Match.stringLikeRegexp('^AgentSocketApi') }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/live'],
      ],
    };
    for (const handler of ['routing/router', 'routing/timer', 'socket/action', 'admin/api', 'outbound/sender']) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: `Omnichat ${handler}`,
        Environment: { Variables: Match.objectLike({ SOCKET_CALLBACK_URL: callbackUrl }) },
      });
    }
  });

  it.each(['routing/router', 'routing/timer', 'socket/connect', 'socket/disconnect', 'socket/action', 'admin/api', 'outbound/sender'])(
    'lets %s push frames to the connections of the live stage only',
    (handler) => {
      const [push] = statementsAllowing(template, functionFor(template, handler), 'execute-api:ManageConnections');
      expect(JSON.stringify(push?.Resource)).toMatch(/"\/live\/\*\/@connections\/\*"\]\]\}$/);
    },
  );

  it('does not let the authorizer push frames', () => {
    expect(statementsAllowing(template, functionFor(template, socketRoutes.authorizer), 'execute-api:ManageConnections')).toEqual([]);
  });
});

const issuerParts = ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/', { Ref: Match.stringLikeRegexp('^AdminApiUserPool') }];
const issuer = { 'Fn::Join': ['', issuerParts] };

describe('admin API stage', () => {
  it('puts the management API behind a JWT authorizer on the Cognito user pool', () => {
    // given the management route of the route table
    const [route] = httpRoutes.filter((r) => r.auth === 'jwt');
    expect(route?.routeKey).toBe('ANY /api/{proxy+}');

    // then it is a JWT-authorized route whose tokens must come from the pool for the console client
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: route?.routeKey,
      AuthorizationType: 'JWT',
      AuthorizerId: { Ref: Match.stringLikeRegexp('CognitoAuthorizer') },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: issuer, Audience: [{ Ref: Match.stringLikeRegexp('ConsoleClient') }] },
    });
  });

  it('lets nobody sign themselves up, and asks for strong passwords and a second factor', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      Policies: {
        PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true },
      },
      UserPoolTier: 'PLUS',
      // Threat protection in full-function mode
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
  });

  it('knows the chat-admins and agents groups', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'chat-admins' });
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'agents' });
  });

  it('gives the console a public client that signs in through the hosted sign-in with the authorization code grant', () => {
    const [client] = Object.values(template.findResources('AWS::Cognito::UserPoolClient'));
    const consoleUrl = { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [Match.stringLikeRegexp('^AgentConsoleDistribution'), 'DomainName'] }, '/']] };
    expect(Object.keys(template.findResources('AWS::Cognito::UserPoolClient'))).toHaveLength(1);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      SupportedIdentityProviders: ['COGNITO'],
      CallbackURLs: [consoleUrl],
      LogoutURLs: [consoleUrl],
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
      AccessTokenValidity: 60,
      IdTokenValidity: 60,
      RefreshTokenValidity: 12 * 60,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' },
    });
    // no implicit grant (tokens in URLs) and no client credentials
    expect(client?.Properties.AllowedOAuthFlows).toEqual(['code']);
    expect(client?.Properties.ExplicitAuthFlows).not.toContain('ALLOW_USER_PASSWORD_AUTH');
  });

  it('serves the hosted sign-in on a Cognito domain named after the stack and the account, with managed login styled for the console client', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: { 'Fn::Join': ['', ['omnichattest-', { Ref: 'AWS::AccountId' }]] },
      ManagedLoginVersion: 2,
      UserPoolId: { Ref: Match.stringLikeRegexp('^AdminApiUserPool') },
    });
    template.hasResourceProperties('AWS::Cognito::ManagedLoginBranding', {
      ClientId: { Ref: Match.stringLikeRegexp('ConsoleClient') },
      UseCognitoProvidedValues: true,
    });
    template.hasOutput('HostedUiUrl', {
      Value: { 'Fn::Join': ['', ['https://', { Ref: Match.stringLikeRegexp('SignInDomain') }, '.auth.', { Ref: 'AWS::Region' }, '.amazoncognito.com']] },
    });
  });

  it('writes the hosted sign-in URL and the client id into the console’s config.json', () => {
    const [deployment] = Object.values(template.findResources('Custom::CDKBucketDeployment'));
    const markers = JSON.stringify(deployment?.Properties.SourceMarkers);
    expect(markers).toMatch(/\{"Ref":"AdminApiUserPoolConsoleClient[0-9A-F]+"\}/);
    expect(markers).toMatch(/\{"Ref":"AdminApiUserPoolSignInDomain[0-9A-F]+"\}/);
  });

  it('tells the socket authorizer which issuer, keys and audience to trust', () => {
    const variables = environmentOf(functionFor(template, 'socket/authorizer'));
    expect(Object.keys(variables).sort()).toEqual(['JWKS_URI', 'JWT_AUDIENCE', 'JWT_ISSUER', 'NODE_OPTIONS', 'TABLE_NAME']);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: 'Omnichat socket/authorizer',
      Environment: {
        Variables: Match.objectLike({
          JWT_ISSUER: issuer,
          JWKS_URI: { 'Fn::Join': ['', [...issuerParts, '/.well-known/jwks.json']] },
          JWT_AUDIENCE: { Ref: Match.stringLikeRegexp('ConsoleClient') },
        }),
      },
    });
  });

  it('lets the admin API manage the platform secrets under the Omnichat prefix only', () => {
    const [manage] = statementsAllowing(template, functionFor(template, 'admin/api'), 'secretsmanager:CreateSecret');
    expect([manage?.Action].flat().sort()).toEqual([
      'secretsmanager:CreateSecret',
      'secretsmanager:DeleteSecret',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:TagResource',
    ]);
    expect(JSON.stringify(manage?.Resource)).toMatch(/":secret:omnichat\/\*"\]\]\}$/);
  });

  it('lets only the webhooks, the chat drivers (they sign Telegram file links), the Telegram file function and the sender read secrets', () => {
    const readers = [
      'ingest/messenger-webhook',
      'ingest/telegram-webhook',
      'routing/router',
      'routing/timer',
      'files/telegram-file',
      'socket/connect',
      'socket/disconnect',
      'socket/action',
      'outbound/sender',
    ];
    for (const handler of readers) {
      const [read] = statementsAllowing(template, functionFor(template, handler), 'secretsmanager:GetSecretValue');
      expect(read?.Action).toBe('secretsmanager:GetSecretValue');
      expect(JSON.stringify(read?.Resource)).toMatch(/":secret:omnichat\/\*"\]\]\}$/);
    }
    for (const handler of ['ingest/messenger-handshake', 'socket/authorizer']) {
      expect(statementsAllowing(template, functionFor(template, handler), 'secretsmanager:GetSecretValue')).toEqual([]);
    }
  });
});

describe('outbound stage', () => {
  it('delivers replies from a FIFO queue in batches, retrying only the failed ones', () => {
    // given the sender and the queue it consumes
    const sender = functionFor(template, 'outbound/sender');
    const [mapping] = Object.values(
      template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: { Ref: sender.logicalId } } }),
    );
    expect(mapping?.Properties).toMatchObject({ BatchSize: queues.batchSize, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    const queueId: unknown = mapping?.Properties?.EventSourceArn?.['Fn::GetAtt']?.[0];

    // then that queue is a FIFO queue whose failures end on a FIFO dead-letter queue
    const resources = template.toJSON().Resources;
    const queue = resources[String(queueId)];
    expect(queueId).toMatch(/^OutboundOutboundQueue/);
    expect(queue.Properties).toMatchObject({
      FifoQueue: true,
      ContentBasedDeduplication: false,
      DeduplicationScope: 'messageGroup',
      FifoThroughputLimit: 'perMessageGroupId',
      RedrivePolicy: { maxReceiveCount: queues.maxReceiveCount },
    });
    const deadLetter = resources[String(queue.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0])];
    expect(deadLetter.Properties).toMatchObject({ FifoQueue: true, SqsManagedSseEnabled: true });
    expect(sender.properties.Timeout).toBe(queues.consumerTimeoutSeconds);
  });

  it('lets only the action function, the router, the timer and (redriving dead letters) the admin API put messages on the outbound queue', () => {
    const sendsOutbound = (handler: string) =>
      statementsAllowing(template, functionFor(template, handler), 'sqs:SendMessage').some((s) =>
        JSON.stringify(s.Resource).includes('OutboundOutboundQueue'),
      );
    for (const handler of ['socket/action', 'routing/router', 'routing/timer', 'admin/api']) expect(sendsOutbound(handler)).toBe(true);
    for (const handler of ['ingest/messenger-webhook', 'socket/connect', 'socket/disconnect', 'outbound/sender']) {
      expect(sendsOutbound(handler)).toBe(false);
    }
  });

  it('exposes the API URLs, the user pool and the table as stack outputs', () => {
    for (const name of ['HttpApiUrl', 'WebSocketUrl', 'UserPoolId', 'UserPoolClientId', 'HostedUiUrl', 'TableName']) {
      template.hasOutput(name, { Value: Match.anyValue() });
    }
  });
});
