import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { z } from 'zod';
import { OmnichatStack } from '../lib/omnichat-stack';

// aws-cdk-lib announces every asset it bundles on stderr ("Bundling asset X..."), which `cdk synth
// --quiet` cannot silence; those lines carry nothing (failures still print), so they are dropped.
const writeStderr = process.stderr.write.bind(process.stderr);
process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
  typeof chunk === 'string' && /^Bundling asset \S+\.\.\.\n$/.test(chunk) ? true : writeStderr(chunk, ...rest)) as typeof process.stderr.write;

const app = new App();
// `cdk deploy -c stackName=OmnichatStaging` deploys a second copy beside the first.
const stackName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9-]{0,57}$/)
  .default('Omnichat')
  .parse(app.node.tryGetContext('stackName'));

new OmnichatStack(app, stackName, {
  description: 'Omnichat: Messenger and Telegram conversations routed to human agents over WebSockets',
  // Account and region come from the deploying credentials; synthesis needs neither.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
