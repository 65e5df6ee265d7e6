/** Jest global teardown: stops the DynamoDB Local and SQS emulator started by global-setup.ts. */
import { sharedEmulatorsKey, type SharedEmulators } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  const shared: SharedEmulators | undefined = Reflect.get(globalThis, sharedEmulatorsKey);
  if (!shared) return;
  Reflect.deleteProperty(globalThis, sharedEmulatorsKey);
  await Promise.all([shared.sqs.stop(), shared.dynamodb.stop()]);
}
