import { Match } from 'aws-cdk-lib/assertions';
import { functionFor, synthesizeStack } from './synthesized-stack';

describe('the attachment bucket', () => {
  const { template } = synthesizeStack({}, { account: '123456789012', region: 'eu-west-1' });
  const buckets = template.findResources('AWS::S3::Bucket', { Properties: { BucketName: 'omnichattest-attachments-123456789012-eu-west-1' } });
  const [logicalId, bucket] = Object.entries(buckets)[0] ?? [];

  it('is private, encrypted, kept on stack deletion, expires objects after 30 days and lets only the console PUT', () => {
    expect(logicalId).toBeDefined();
    expect(bucket).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 30, Status: 'Enabled' })] },
        CorsConfiguration: { CorsRules: [expect.objectContaining({ AllowedMethods: ['PUT', 'GET', 'HEAD'], AllowedHeaders: ['content-type'] })] },
      },
    });
    const origins = JSON.stringify((bucket as { Properties: { CorsConfiguration: { CorsRules: { AllowedOrigins: unknown }[] } } }).Properties.CorsConfiguration.CorsRules[0]!.AllowedOrigins);
    expect(origins).toContain('DomainName');
    expect(origins).not.toContain('*');
  });

  it('refuses requests without TLS', () => {
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('is named to the functions that use it, and the console may upload to it', () => {
    for (const handler of ['socket/action', 'outbound/sender', 'routing/router', 'admin/api']) {
      const env = (functionFor(template, handler).properties as { Environment: { Variables: Record<string, unknown> } }).Environment.Variables;
      expect(JSON.stringify(env.ATTACHMENTS_BUCKET)).toContain(logicalId!);
    }
    const policies = template.findResources('AWS::CloudFront::ResponseHeadersPolicy');
    expect(JSON.stringify(policies)).toContain('-attachments-123456789012-eu-west-1.s3.eu-west-1.');
  });
});
