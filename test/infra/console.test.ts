import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { z } from 'zod';
import { AgentConsole } from '../../lib/console';

describe('the agent console’s hosting', () => {
  // the construct in a stack of its own, fed the socket and API URLs the product stack would pass
  const stack = new Stack(new App(), 'ConsoleTest');
  const hosting = new AgentConsole(stack, 'AgentConsole', {
    projectRoot: path.resolve(__dirname, '../..'),
    socketUrl: 'wss://abc123.execute-api.eu-west-1.amazonaws.com/live',
    apiUrl: 'https://def456.execute-api.eu-west-1.amazonaws.com',
    hostedUi: { url: 'https://omnichat-123456789012.auth.eu-west-1.amazoncognito.com', clientId: 'client123', scopes: ['openid', 'email', 'profile'] },
  });
  new CfnOutput(stack, 'ConsoleUrl', { value: hosting.url });
  const template = Template.fromStack(stack);

  it('keeps the files in a private, encrypted, TLS-only bucket', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    const policies = z.array(z.object({ Properties: z.object({ PolicyDocument: z.object({ Statement: z.array(z.record(z.string(), z.unknown())) }) }) })).parse(
      Object.values(template.findResources('AWS::S3::BucketPolicy')),
    );
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('serves them over HTTPS through CloudFront, which alone may read the bucket (origin access control)', () => {
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue(), S3OriginConfig: { OriginAccessIdentity: '' } })],
      }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' }, Condition: { StringEquals: { 'AWS:SourceArn': Match.anyValue() } } }),
        ]),
      },
    });
  });

  it('serves a strict Content-Security-Policy and security headers with every file', () => {
    const policies = z
      .array(z.object({ Properties: z.object({ ResponseHeadersPolicyConfig: z.object({ SecurityHeadersConfig: z.record(z.string(), z.any()) }) }) }))
      .parse(Object.values(template.findResources('AWS::CloudFront::ResponseHeadersPolicy')));
    expect(policies).toHaveLength(1);
    const headers = policies[0]!.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    const csp = z.object({ ContentSecurityPolicy: z.string(), Override: z.literal(true) }).parse(headers.ContentSecurityPolicy).ContentSecurityPolicy;
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values]));
    expect(directives['default-src']).toEqual(["'none'"]);
    expect(directives['script-src']).toEqual(["'self'"]);
    expect(directives['style-src']).toEqual(["'self'"]);
    // the console fetches tokens from the hosted sign-in (/oauth2/token, /oauth2/revoke)
    expect(directives['connect-src']).toEqual([
      "'self'",
      'https://def456.execute-api.eu-west-1.amazonaws.com',
      'wss://abc123.execute-api.eu-west-1.amazonaws.com/live',
      'https://omnichat-123456789012.auth.eu-west-1.amazoncognito.com',
    ]);
    expect(directives['frame-ancestors']).toEqual(["'none'"]);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(headers).toMatchObject({ ContentTypeOptions: { Override: true }, FrameOptions: { FrameOption: 'DENY' }, StrictTransportSecurity: expect.objectContaining({ Override: true }) });
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ DefaultCacheBehavior: Match.objectLike({ ResponseHeadersPolicyId: Match.anyValue() }) }),
    });
  });

  it('keeps the console free of inline script and style, so the policy needs no exception', () => {
    for (const file of ['index.html', 'simulator.html']) {
      const html = readFileSync(path.resolve(__dirname, '../../console', file), 'utf8');
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
      expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=|javascript:/i);
    }
  });

  it('deploys the console files and invalidates the distribution on each deploy', () => {
    template.hasResourceProperties('Custom::CDKBucketDeployment', { DistributionId: Match.anyValue(), Prune: true, SourceObjectKeys: Match.arrayWith([Match.stringLikeRegexp('\\.zip$')]) });
    expect(hosting.url).toMatch(/^https:\/\//);
  });

  it('raises no cdk-nag finding in the console’s resources', () => {
    const violations = new AwsSolutionsChecks(stack)
      .validateScope(stack)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`))
      ;
    expect(violations).toEqual([]);
  });
});
