import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Distribution, HeadersFrameOption, HeadersReferrerPolicy, HttpVersion, ResponseHeadersPolicy, ViewerProtocolPolicy } from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { consoleContentSecurityPolicy } from './console-policy';
import { acknowledge } from './nag';

export interface AgentConsoleProps {
  /** Where `console/` lives. */
  readonly projectRoot: string;
  /** The agent WebSocket's URL (`wss://…/live`). */
  readonly socketUrl: string;
  /** The HTTP API's URL, for the reads the console makes with the agent's token. */
  readonly apiUrl: string;
  /** The user pool's hosted sign-in for the console's app client; without it the page offers token sign-in only. */
  readonly hostedUi?: { readonly url: string; readonly clientId: string; readonly scopes: readonly string[] };
  /** Where the console uploads agents' files (the attachment bucket's origin). */
  readonly uploadOrigins?: readonly string[];
}

/**
 * The agent console as static files: a private bucket read only by CloudFront (origin access
 * control), with `config.json` written at deploy time to point the page at this stack's socket and API.
 */
export class AgentConsole extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** `https://<id>.cloudfront.net/` */
  readonly url: string;

  constructor(scope: Construct, id: string, props: AgentConsoleProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Files', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // built files only: a redeploy writes them again
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    // The page runs only its own files and talks only to this stack's API and socket, and to the
    // hosted sign-in for tokens (/oauth2/token and /oauth2/revoke are fetched; the rest are navigations).
    const securityHeaders = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'Omnichat agent console: strict CSP and security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: consoleContentSecurityPolicy([props.apiUrl, props.socketUrl, ...(props.hostedUi ? [props.hostedUi.url] : []), ...(props.uploadOrigins ?? [])]), override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
      },
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Omnichat agent console',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: securityHeaders,
      },
    });
    this.url = `https://${this.distribution.distributionDomainName}/`;

    new BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      distribution: this.distribution,
      sources: [
        // the customer simulator belongs to the local demo only
        Source.asset(path.join(props.projectRoot, 'console'), { exclude: ['simulator.*'] }),
        Source.jsonData('config.json', {
          socketUrl: props.socketUrl,
          apiUrl: props.apiUrl,
          devTokens: false,
          ...(props.hostedUi ? { hostedUi: { url: props.hostedUi.url, clientId: props.hostedUi.clientId, scopes: props.hostedUi.scopes.join(' ') } } : {}),
        }),
      ],
    });

    acknowledge(this.bucket, 'AwsSolutions-S1', 'The bucket holds only the console’s public build output, read through CloudFront; access logs of it would record nothing worth keeping.');
    acknowledge(this.distribution, 'AwsSolutions-CFR1', 'Agents work from anywhere; the console is static files and every call it makes needs an agent token.');
    acknowledge(this.distribution, 'AwsSolutions-CFR2', 'Static files only; the APIs behind the page authenticate every request, so a WAF in front of the files adds cost without protection.');
    acknowledge(this.distribution, 'AwsSolutions-CFR3', 'Static files only; requests that matter (socket and API) are logged by API Gateway.');
    acknowledge(this.distribution, 'AwsSolutions-CFR4', 'The default CloudFront domain and certificate are used until an operator adds a custom domain, whose certificate then sets TLS 1.2.');
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    // the deployment's singleton function and the bucket's auto-delete provider live at the stack's root
    for (const child of Stack.of(this).node.children) {
      if (!/^Custom::(CDKBucketDeployment|S3AutoDeleteObjects)/.test(child.node.id)) continue;
      acknowledge(child, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', 'CDK’s deployment function writes its logs with the AWS managed basic execution role; it runs only during deploys.');
      for (const finding of ['Action::s3:GetBucket*', 'Action::s3:GetObject*', 'Action::s3:List*', 'Action::s3:Abort*', 'Action::s3:DeleteObject*', 'Resource::*']) {
        acknowledge(child, `AwsSolutions-IAM5[${finding}]`, 'CDK’s deployment function copies the console asset into its bucket and prunes old files; CDK writes this policy, scoped to the asset and console buckets.');
      }
      // the asset bucket's name carries the account and region: references, or literals when the environment is known
      const stack = Stack.of(this);
      const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
      const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
      const partition = Token.isUnresolved(stack.partition) ? '<AWS::Partition>' : stack.partition;
      acknowledge(child, `AwsSolutions-IAM5[Resource::arn:${partition}:s3:::cdk-hnb659fds-assets-${account}-${region}/*]`, 'CDK’s deployment function reads the console asset from the bootstrap asset bucket, whose object keys are content hashes.');
      acknowledge(child, 'AwsSolutions-L1', 'The runtime of CDK’s deployment function is chosen by the CDK version, not by this stack.');
      acknowledge(child, `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`, 'CDK’s deployment function writes and prunes every file of the console bucket, which holds nothing else.');
    }
  }
}
