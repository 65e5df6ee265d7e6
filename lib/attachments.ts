import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { BlockPublicAccess, Bucket, BucketEncryption, HttpMethods, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeWildcardResource } from './nag';

export interface AttachmentsProps {
  /** Where the console is served from: the only origins a browser may PUT an upload from. */
  readonly consoleOrigins: string[];
}

/**
 * The bucket's name, fixed from the stack, account and region rather than generated: the console's
 * CSP names the bucket's origin and the bucket's CORS names the console's, so neither may refer to
 * the other's resource (CloudFormation would see a cycle).
 */
export function attachmentsBucketName(scope: Construct): string {
  const stack = Stack.of(scope);
  return `${stack.stackName.toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 20)}-attachments-${stack.account}-${stack.region}`;
}

/** The origin the console PUTs uploads to (virtual-hosted style, as the SDK presigns). */
export function attachmentsOrigin(scope: Construct): string {
  return `https://${attachmentsBucketName(scope)}.s3.${Stack.of(scope).region}.${Stack.of(scope).urlSuffix}`;
}

/** How long an uploaded attachment is kept: the platforms keep their own copy once it is sent. */
export const attachmentRetentionDays = 30;

/**
 * Agents' attachments: a private, encrypted, SSL-only bucket. The console PUTs each file through
 * a presigned URL (CORS allows PUT and GET from the console's origins only), the sender reads it
 * and uploads the bytes to the platform, and agents open it through presigned GET links. Objects
 * expire after 30 days.
 */
export class Attachments extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: AttachmentsProps) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      bucketName: attachmentsBucketName(this),
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-attachments', expiration: Duration.days(attachmentRetentionDays), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      cors: [
        {
          allowedMethods: [HttpMethods.PUT, HttpMethods.GET, HttpMethods.HEAD],
          allowedOrigins: props.consoleOrigins,
          allowedHeaders: ['content-type'],
          exposedHeaders: ['ETag'],
          maxAge: 3000,
        },
      ],
      // customers' and agents' files: kept with the table when the stack is deleted
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.bucket, 'AwsSolutions-S1', 'Every upload is made through a presigned URL issued by the socket function, which logs the chat, agent and key; S3 access logs would duplicate that for files that expire in 30 days.');
  }

  /** Presigned uploads (PutObject) and download links (GetObject), and the check at `send` (HeadObject, under GetObject). */
  grantUploadAndRead(...grantees: IGrantable[]): void {
    this.grant(['s3:PutObject', 's3:GetObject'], grantees);
  }

  /** Download links for agents, and the sender's read of the bytes. */
  grantRead(...grantees: IGrantable[]): void {
    this.grant(['s3:GetObject'], grantees);
  }

  /** Exactly these actions on the objects agents upload (keys `uploads/<chat>/<id>`, one per file). */
  private grant(actions: string[], grantees: IGrantable[]): void {
    const objects = this.bucket.arnForObjects('uploads/*');
    for (const grantee of grantees) {
      grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [objects] }));
      acknowledgeWildcardResource(grantee, objects, 'Every upload is a new object under uploads/ (a random key per file, per chat), so its key cannot be named in advance; only these object actions are granted, on that prefix of this bucket.');
    }
  }
}
