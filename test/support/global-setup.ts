/**
 * Jest global setup: ONE DynamoDB Local (in memory) and ONE SQS emulator (fauxqs) for the whole run,
 * for the integration and e2e projects only (jest.config.js); Jest runs it once even when both are
 * selected, and not at all for a run of unit or infra tests alone, which need no Java.
 * Workers find them through process.env:
 *   OMNICHAT_DYNAMODB_ENDPOINT  e.g. http://127.0.0.1:40123
 *   OMNICHAT_SQS_ENDPOINT       e.g. http://127.0.0.1:40124
 * Use test/support/aws.ts to create isolated tables/queues on them, and test/support/runtime.ts to
 * start `npm start` children that share them. global-teardown.ts stops both.
 */
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local';

export interface SharedEmulators {
  dynamodb: DynamoDbLocal;
  sqs: { stop(): Promise<void> };
}

/** Where teardown finds what setup started (both run in Jest's parent process). */
export const sharedEmulatorsKey = Symbol.for('omnichat.test.sharedEmulators');

export default async function globalSetup(): Promise<void> {
  const [dynamodb, sqs] = await Promise.all([startDynamoDbLocal(), startSqsEmulator()]);
  process.env.OMNICHAT_DYNAMODB_ENDPOINT = dynamodb.endpoint;
  process.env.OMNICHAT_SQS_ENDPOINT = sqs.address;
  const shared: SharedEmulators = { dynamodb, sqs };
  Reflect.set(globalThis, sharedEmulatorsKey, shared);
}

async function startSqsEmulator() {
  // swc turns `import('fauxqs')` into require(), which Node refuses for this import-only ESM package;
  // a real dynamic import is kept out of the compiler's sight.
  const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<typeof import('fauxqs')>;
  const { startFauxqs } = await importEsm('fauxqs');
  return startFauxqs({ port: 0, logger: false });
}
