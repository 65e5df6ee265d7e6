import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { SecretStore } from '../domain/ports';
import { SecretCache, secretCacheMillis } from './secret-cache';

/**
 * Secrets Manager behind a small cache (`SecretCache`: get, reread, forget), and the admin API's
 * writes. Values never leave this module except to the caller that asked; nothing here logs them.
 */
export class Secrets extends SecretCache implements SecretStore {
  constructor(
    private readonly client: SecretsManagerClient,
    prefix: string,
    now: () => number = Date.now,
  ) {
    super(
      async (name) => {
        try {
          return (await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString;
        } catch (error) {
          if (error instanceof ResourceNotFoundException) return undefined;
          throw error;
        }
      },
      prefix,
      now,
    );
  }

  /** Creates or replaces a secret's value. */
  async put(name: string, value: string): Promise<void> {
    try {
      await this.client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    } catch (error) {
      if (!(error instanceof ResourceExistsException)) throw error;
      await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
    }
    this.cache.set(name, { value, until: this.now() + secretCacheMillis });
  }

  async remove(name: string): Promise<void> {
    this.cache.delete(name);
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
}
