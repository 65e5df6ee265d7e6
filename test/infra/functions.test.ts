import type { Template } from 'aws-cdk-lib/assertions';
import { handlerEnvironment, measuredHandlers } from '../../lib/function-environment';
import { withoutRuntimeSourceMaps } from '../../lib/bundling';
import { type HandlerId } from '../../functions/shared/routes';
import { allStatements, environmentOf, functionFor, synthesizeStack } from './synthesized-stack';

let template: Template;
beforeAll(() => {
  ({ template } = synthesizeStack());
});

const handlers = Object.keys(handlerEnvironment) as HandlerId[];

/** Functions and roles CDK itself adds for the console's static files (copying them to S3, emptying the bucket on delete). */
const cdkOwned = /^Custom(S3AutoDeleteObjectsCustomResourceProvider|CDKBucketDeployment)/;

type OwnStatement = { Effect: string; Action: string | string[]; Resource: unknown };

/** The IAM statements of our own roles, leaving out those CDK's custom resources bring. */
function ownStatements(t: Template): OwnStatement[] {
  const resources = t.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  const ownRoles = Object.keys(t.findResources('AWS::IAM::Role')).filter((id) => !cdkOwned.test(id));
  const onOwnRole = (roles: unknown) => ownRoles.some((id) => JSON.stringify(roles).includes(`"${id}"`));
  const statementsOf = (document: unknown) => (document as { Statement: OwnStatement[] }).Statement;
  const fromPolicies = Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && onOwnRole(r.Properties.Roles))
    .flatMap((r) => statementsOf(r.Properties.PolicyDocument));
  const fromRoles = ownRoles.flatMap((id) =>
    ((resources[id]?.Properties.Policies ?? []) as { PolicyDocument: unknown }[]).flatMap((p) => statementsOf(p.PolicyDocument)),
  );
  return [...fromPolicies, ...fromRoles];
}

describe('every function of the stack', () => {
  it('is one Lambda per handler of the route table, besides the two CDK brings for the console files', () => {
    const functions = Object.keys(template.findResources('AWS::Lambda::Function'));
    expect(functions.filter((id) => !cdkOwned.test(id))).toHaveLength(handlers.length);
    expect(functions.filter((id) => cdkOwned.test(id))).toHaveLength(2);
    for (const handler of handlers) expect(functionFor(template, handler).properties.Handler).toBe('index.handler');
  });

  it.each(handlers)('runs %s on Node.js 22 on arm64, traced, with its own log group', (handler) => {
    const { properties } = functionFor(template, handler);
    expect(properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/Logs[0-9A-F]{8}$/) } },
    });
  });

  it.each(handlers)('gives %s exactly the environment variables it reads', (handler) => {
    const variables = environmentOf(functionFor(template, handler));
    const metrics = measuredHandlers.has(handler) ? ['POWERTOOLS_METRICS_NAMESPACE'] : [];
    const sourceMaps = withoutRuntimeSourceMaps.has(handler) ? [] : ['NODE_OPTIONS'];
    expect(Object.keys(variables).sort()).toEqual([...handlerEnvironment[handler], ...sourceMaps, ...metrics].sort());
    expect(variables.NODE_OPTIONS).toBe(withoutRuntimeSourceMaps.has(handler) ? undefined : '--enable-source-maps');
  });

  it('runs under roles with no AWS managed policy, except the account-wide API Gateway logging role', () => {
    const withManaged = Object.entries(template.findResources('AWS::IAM::Role')).filter(
      ([id, role]) => role.Properties.ManagedPolicyArns !== undefined && !cdkOwned.test(id),
    );
    expect(withManaged.map(([id]) => id)).toEqual([expect.stringMatching(/^AgentSocketApiGatewayLogsRole/)]);
  });

  it('grants no wildcard actions, and Resource "*" only for X-Ray, which has no resource-level permissions', () => {
    const statements = ownStatements(template).filter((s) => s.Effect === 'Allow');
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) for (const action of [s.Action].flat()) expect(action).not.toContain('*');

    const onEverything = statements.filter((s) => [s.Resource].flat().includes('*'));
    expect(onEverything.length).toBe(handlers.length);
    for (const s of onEverything) expect([s.Action].flat().sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('reads and writes the table only where a function changes chat state, never by scanning', () => {
    const readOnly = ['ingest/messenger-handshake', 'ingest/messenger-webhook', 'ingest/telegram-webhook', 'files/telegram-file', 'socket/authorizer'];
    const statements = allStatements(template);
    expect(statements.some((s) => [s.Action].flat().includes('dynamodb:Scan'))).toBe(false);
    for (const handler of handlers) {
      const role = JSON.stringify(functionFor(template, handler).properties.Role);
      const roleId = role.match(/"Fn::GetAtt":\["([A-Za-z0-9]+)"/)?.[1] ?? '';
      const writes = Object.values(template.findResources('AWS::IAM::Policy')).some(
        (p) =>
          JSON.stringify(p.Properties.Roles).includes(roleId) && JSON.stringify(p.Properties.PolicyDocument).includes('dynamodb:PutItem'),
      );
      expect({ handler, writes }).toEqual({ handler, writes: !readOnly.includes(handler) });
    }
  });
});
