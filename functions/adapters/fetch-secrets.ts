import { AwsServiceError, type AwsJsonClient } from './aws-json';
import type { SecretSource } from './secret-cache';

/**
 * A secret's value over `fetch` (Secrets Manager GetSecretValue in the AWS JSON protocol), for the
 * webhooks: undefined when the secret does not exist or holds no string, as with the SDK client.
 */
export function fetchSecretSource(client: AwsJsonClient): SecretSource {
  return async (name) => {
    try {
      const out = await client.call<{ SecretString?: unknown }>('GetSecretValue', { SecretId: name });
      return typeof out.SecretString === 'string' ? out.SecretString : undefined;
    } catch (error) {
      if (error instanceof AwsServiceError && error.type === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  };
}
