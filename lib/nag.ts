import { Stack, Validations } from 'aws-cdk-lib';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';

/** Acknowledges a cdk-nag finding on a construct and everything in it, saying why it is safe. */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: rule, reason });
}

/**
 * Acknowledges the AwsSolutions-IAM5 finding for one wildcard resource in the policies of
 * the grantee's role. cdk-nag names the finding after the resolved ARN, whose partition, region and
 * account are literals or references depending on the stack's environment, so the name is
 * derived the same way rather than written out.
 */
export function acknowledgeWildcardResource(grantee: IGrantable, resource: string, reason: string): void {
  const role = grantee.grantPrincipal;
  if (!Construct.isConstruct(role)) throw new Error('Wildcard grants are only acknowledged on roles of this stack');
  const flat = flatten(Stack.of(role).resolve(resource));
  acknowledge(role, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
}

// The rendering cdk-nag gives intrinsic functions in finding names: `<Logical.Attr>`, `<AWS::Region>`.
function flatten(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (isRecord(value)) {
    const join = value['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      return join[1].map(flatten).join(join[0]);
    }
    if (value['Fn::Sub'] !== undefined) return flatten(value['Fn::Sub']);
    const getAtt = value['Fn::GetAtt'];
    if (Array.isArray(getAtt)) return `<${flatten(getAtt[0])}.${flatten(getAtt[1])}>`;
    if (value['Fn::ImportValue'] !== undefined) return flatten(value['Fn::ImportValue']);
    if (value.Ref !== undefined) return `<${flatten(value.Ref)}>`;
  }
  return JSON.stringify(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
