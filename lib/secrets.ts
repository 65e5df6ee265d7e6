import { ArnFormat, Stack } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { acknowledgeWildcardResource } from './nag';
import type { Construct } from 'constructs';

const manageActions = [
  'secretsmanager:CreateSecret',
  'secretsmanager:PutSecretValue',
  'secretsmanager:GetSecretValue',
  'secretsmanager:DeleteSecret',
  'secretsmanager:DescribeSecret',
  'secretsmanager:TagResource',
];

/**
 * The platform secrets (Meta app secrets, page access tokens, bot tokens), named
 * `${prefix}/...` in Secrets Manager. The admin API creates them at run time, so the stack
 * holds no secret, only permissions scoped to the prefix.
 */
export class PlatformSecrets {
  /** `arn:…:secretsmanager:region:account:secret:<prefix>/*` */
  readonly arns: string;

  constructor(
    scope: Construct,
    readonly prefix: string,
  ) {
    this.arns = Stack.of(scope).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${prefix}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /** Lets functions read secret values. */
  grantRead(...grantees: IGrantable[]): void {
    this.grant(grantees, ['secretsmanager:GetSecretValue']);
  }

  /** Lets functions create, rotate, read and delete the platform secrets. */
  grantManage(...grantees: IGrantable[]): void {
    this.grant(grantees, manageActions);
  }

  private grant(grantees: IGrantable[], actions: string[]): void {
    for (const grantee of grantees) {
      grantee.grantPrincipal.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [this.arns] }));
      acknowledgeWildcardResource(
        grantee,
        this.arns,
        'One secret per channel and Meta app, created at run time; the wildcard stays inside the Omnichat secrets prefix.',
      );
    }
  }
}
