import { Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  AccountRecovery,
  CfnUserPoolGroup,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { httpRoutes } from '../functions/shared/routes';
import type { FunctionEnvironment } from './function-environment';
import type { HandlerFunctions } from './handler-function';
import { functionId, parseRouteKey } from './ingest';
import { acknowledge } from './nag';
import type { OmnichatSettings } from './settings';

/** Cognito groups the handlers check: admins manage chats, agents take them. */
export const userGroups = {
  chatAdmins: 'chat-admins',
  agents: 'agents',
} as const;

export interface AdminApiProps {
  readonly functions: HandlerFunctions;
  readonly environment: FunctionEnvironment;
  readonly settings: OmnichatSettings;
  /** The HTTP API of the ingest stage; the management routes live beside the webhooks. */
  readonly httpApi: HttpApi;
}

/**
 * Fourth stage: who may do what. The Cognito user pool that issues admin and agent tokens,
 * and the management API (`/api/...`) behind a JWT authorizer on that pool.
 */
export class AdminApi extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  readonly api: NodejsFunction;
  /** `https://cognito-idp.{region}.amazonaws.com/{poolId}`, the `iss` of every token. */
  readonly issuer: string;

  constructor(scope: Construct, id: string, props: AdminApiProps) {
    super(scope, id);
    const { functions, environment, settings } = props;
    const stack = Stack.of(this);

    this.userPool = new UserPool(this, 'UserPool', {
      // Admins invite agents; nobody signs themselves up.
      selfSignUpEnabled: false,
      signInAliases: { username: true, email: true },
      autoVerify: { email: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: settings.threatProtection ? FeaturePlan.PLUS : FeaturePlan.ESSENTIALS,
      standardThreatProtectionMode: settings.threatProtection ? StandardThreatProtectionMode.FULL_FUNCTION : undefined,
      deletionProtection: settings.deletionProtection,
      removalPolicy: settings.deletionProtection ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    if (!settings.threatProtection) {
      acknowledge(
        this.userPool,
        'AwsSolutions-COG8',
        'Threat protection was turned off for this deployment (context threatProtection=false) to stay on the Essentials tier.',
      );
    }
    new CfnUserPoolGroup(this, 'ChatAdminsGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: userGroups.chatAdmins,
      description: 'May manage channels, queues, agents and settings',
    });
    new CfnUserPoolGroup(this, 'AgentsGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: userGroups.agents,
      description: 'May connect to the agent socket and take chats of their queues',
    });

    this.client = this.userPool.addClient('ConsoleClient', {
      // A browser console: no client secret, SRP sign-in, no hosted UI.
      generateSecret: false,
      authFlows: { userSrp: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    this.issuer = Fn.join('', ['https://cognito-idp.', stack.region, '.', stack.urlSuffix, '/', this.userPool.userPoolId]);
    environment.provide('JWT_ISSUER', this.issuer);
    environment.provide('JWKS_URI', Fn.join('', [this.issuer, '/.well-known/jwks.json']));
    environment.provide('JWT_AUDIENCE', this.client.userPoolClientId);

    const authorizer = new HttpJwtAuthorizer('CognitoAuthorizer', this.issuer, {
      jwtAudience: [this.client.userPoolClientId],
      identitySource: ['$request.header.Authorization'],
    });

    const [first, ...others] = httpRoutes.filter((r) => r.auth === 'jwt');
    if (!first || others.some((route) => route.handler !== first.handler)) {
      throw new Error('The management API is expected to be one handler behind the JWT authorizer');
    }
    this.api = functions.create(this, 'Api', first.handler, { timeout: Duration.seconds(20) });
    const integration = new HttpLambdaIntegration(`${functionId(first.handler)}Integration`, this.api);
    for (const route of [first, ...others]) {
      const { method, path } = parseRouteKey(route.routeKey);
      props.httpApi.addRoutes({ path, methods: [method], integration, authorizer });
    }
  }

  /**
   * Lets the management API list and redrive dead letters: receive, release and delete on the
   * dead-letter queues, send on their source queues, and nothing else on either.
   */
  grantRedrive(pairs: readonly { deadLetterQueue: IQueue; source: IQueue }[]): void {
    this.api.addToRolePolicy(
      new PolicyStatement({
        sid: 'ReadDeadLetters',
        actions: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage'],
        resources: pairs.map((p) => p.deadLetterQueue.queueArn),
      }),
    );
    this.api.addToRolePolicy(
      new PolicyStatement({
        sid: 'RedriveToSource',
        actions: ['sqs:SendMessage'],
        resources: pairs.map((p) => p.source.queueArn),
      }),
    );
  }
}
