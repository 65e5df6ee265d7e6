import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { z } from 'zod';
import { OmnichatStack } from '../../lib/omnichat-stack';
import { parseSettings, type OmnichatSettingsInput } from '../../lib/settings';

const projectRoot = path.resolve(__dirname, '../..');
const cdkJson = z.object({ context: z.record(z.string(), z.unknown()) });

/**
 * The stack as `cdk synth` builds it (the feature flags of cdk.json), minus bundling, which
 * takes seconds per function and is proven by `npm run synth`.
 */
export function synthesizeStack(
  settings: OmnichatSettingsInput = {},
  env?: { account: string; region: string },
): { stack: OmnichatStack; template: Template } {
  const { context } = cdkJson.parse(JSON.parse(readFileSync(path.join(projectRoot, 'cdk.json'), 'utf8')));
  const app = new App({ context: { ...context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new OmnichatStack(app, 'OmnichatTest', { settings: parseSettings(settings), projectRoot, env });
  return { stack, template: Template.fromStack(stack) };
}

/** The Lambda function serving one handler, found by the description every function carries. */
export function functionFor(template: Template, handler: string): { logicalId: string; properties: Record<string, unknown> } {
  const found = Object.entries(template.findResources('AWS::Lambda::Function', { Properties: { Description: `Omnichat ${handler}` } }));
  if (found.length !== 1) throw new Error(`Expected one function for ${handler}, found ${found.length}`);
  const [logicalId, resource] = found[0]!;
  return { logicalId, properties: z.object({ Properties: z.record(z.string(), z.unknown()) }).parse(resource).Properties };
}

/** A function's environment variables, values as they appear in the template. */
export function environmentOf(fn: { properties: Record<string, unknown> }): Record<string, unknown> {
  return z.object({ Variables: z.record(z.string(), z.unknown()) }).parse(fn.properties.Environment).Variables;
}

const statement = z.object({
  Effect: z.string(),
  Action: z.union([z.string(), z.array(z.string())]),
  Resource: z.unknown(),
  Condition: z.unknown().optional(),
});
export type Statement = z.infer<typeof statement>;
const policy = z.object({
  Properties: z.object({
    PolicyDocument: z.object({ Statement: z.array(statement) }),
    Roles: z.array(z.object({ Ref: z.string() })),
  }),
});

/** Every statement of the identity policies attached to a role, by the role's logical id. */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .map((resource) => policy.parse(resource).Properties)
    .filter((properties) => properties.Roles.some((role) => role.Ref === roleLogicalId))
    .flatMap((properties) => properties.PolicyDocument.Statement);
}

/** The statements of a function's role that allow one action. */
export function statementsAllowing(template: Template, fn: { properties: Record<string, unknown> }, action: string): Statement[] {
  const role = z.object({ 'Fn::GetAtt': z.tuple([z.string(), z.literal('Arn')]) }).parse(fn.properties.Role)['Fn::GetAtt'][0];
  return statementsOfRole(template, role).filter((s) => s.Effect === 'Allow' && [s.Action].flat().includes(action));
}

/** Every IAM statement of the template, identity policies and inline role policies alike. */
export function allStatements(template: Template): Statement[] {
  const fromPolicies = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
    (resource) => policy.parse(resource).Properties.PolicyDocument.Statement,
  );
  const role = z.object({
    Properties: z.object({
      Policies: z.array(z.object({ PolicyDocument: z.object({ Statement: z.array(statement) }) })).optional(),
    }),
  });
  const fromRoles = Object.values(template.findResources('AWS::IAM::Role')).flatMap((resource) =>
    (role.parse(resource).Properties.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement),
  );
  return [...fromPolicies, ...fromRoles];
}
