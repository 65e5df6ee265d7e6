import { Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  AccountRecovery,
  CfnManagedLoginBranding,
  CfnUserPoolGroup,
  FeaturePlan,
  ManagedLoginVersion,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
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

/** Cognito groups the handlers check: admins manage chats, agents take them, supervisors watch and steer them. */
export const userGroups = {
  chatAdmins: 'chat-admins',
  agents: 'agents',
  supervisors: 'supervisors',
} as const;

export interface AdminApiProps {
  readonly functions: HandlerFunctions;
  readonly environment: FunctionEnvironment;
  readonly settings: OmnichatSettings;
  /** The HTTP API of the ingest stage; the management routes live beside the webhooks. */
  readonly httpApi: HttpApi;
  /** Where the console is served (its CloudFront URL, then `consoleCallbackUrls`): sign-in returns there, sign-out too. */
  readonly consoleUrls: string[];
}

/** What the console asks the hosted sign-in for: who the user is; the APIs check groups, not scopes. */
export const consoleScopes = [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE];

/**
 * The default prefix of the hosted sign-in domain: the stack's name and the account, which keeps it
 * unique per region (Cognito prefixes are global) and free of the words Cognito reserves.
 */
export function defaultDomainPrefix(stackName: string, account: string): string {
  let name = stackName.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  // removing one reserved word may join the letters of another
  while (/aws|amazon|cognito/.test(name)) name = name.replace(/aws|amazon|cognito/g, '');
  name = name
    .replace(/^-+|-+$/g, '')
    .slice(0, 50)
    .replace(/-+$/, '');
  return `${name || 'omnichat'}-${account}`;
}

/**
 * Fourth stage: who may do what. The Cognito user pool that issues admin and agent tokens,
 * and the management API (`/api/...`) behind a JWT authorizer on that pool.
 */
export class AdminApi extends Construct {
  readonly userPool: UserPool;
  readonly client: UserPoolClient;
  /** The hosted sign-in (managed login) of the pool. */
  readonly domain: UserPoolDomain;
  /** `https://<prefix>.auth.<region>.amazoncognito.com`, where `/oauth2/authorize`, `/oauth2/token` and `/logout` live. */
  readonly hostedUiUrl: string;
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
    new CfnUserPoolGroup(this, 'SupervisorsGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: userGroups.supervisors,
      description: 'May see queues and agents live, reassign and close any chat, set agents\' status and watch chats (admins may too)',
    });

    // The console (agents and admins alike) signs in through the pool's hosted sign-in: OAuth 2 authorization
    // code with PKCE for a public client, so the password and the TOTP code are typed into Cognito's pages
    // only, under the pool's MFA and threat protection. SRP stays allowed for SDK clients; it asks for MFA too.
    this.client = this.userPool.addClient('ConsoleClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: consoleScopes,
        callbackUrls: props.consoleUrls,
        logoutUrls: props.consoleUrls,
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      // the console refreshes the access token before its hour is up; the refresh token lasts a working day
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });
    this.domain = this.userPool.addDomain('SignInDomain', {
      cognitoDomain: { domainPrefix: settings.authDomainPrefix ?? defaultDomainPrefix(stack.stackName, stack.account) },
      // managed login: the pages that set a password and enrol a TOTP app on first sign-in
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    this.hostedUiUrl = this.domain.baseUrl();
    // managed login serves an app client only once it has a style; Cognito's own look is enough
    new CfnManagedLoginBranding(this, 'SignInStyle', {
      userPoolId: this.userPool.userPoolId,
      clientId: this.client.userPoolClientId,
      useCognitoProvidedValues: true,
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
