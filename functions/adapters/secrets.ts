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

/** Secrets are cached this long per container, like middy's secrets-manager middleware. */
const cacheMillis = 5 * 60 * 1000;
/** A cached secret is read again on demand (`reread`) at most this often. */
const rereadMillis = 30 * 1000;

/**
 * Secrets Manager behind a small cache. Values never leave this module except to the
 * caller that asked; nothing here logs them.
 */
export class Secrets implements SecretStore {
  private readonly cache = new Map<string, { value: string; until: number }>();
  private readonly rereadAt = new Map<string, number>();

  constructor(
    private readonly client: SecretsManagerClient,
    readonly prefix: string,
    private readonly now: () => number = Date.now,
  ) {}

  async get(name: string): Promise<string | undefined> {
    const hit = this.cache.get(name);
    if (hit && hit.until > this.now()) return hit.value;
    try {
      const out = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
      if (out.SecretString === undefined) return undefined;
      this.cache.set(name, { value: out.SecretString, until: this.now() + cacheMillis });
      return out.SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  /** Creates or replaces a secret's value. */
  async put(name: string, value: string): Promise<void> {
    try {
      await this.client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    } catch (error) {
      if (!(error instanceof ResourceExistsException)) throw error;
      await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
    }
    this.cache.set(name, { value, until: this.now() + cacheMillis });
  }

  async remove(name: string): Promise<void> {
    this.cache.delete(name);
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }

  /**
   * Reads a secret again although it is cached, when the cached value may be stale (a request
   * signed with a secret an admin just rotated). Undefined when it was read again like this within
   * the last 30 s, so a stream of forged requests costs at most one read per secret in that time.
   */
  async reread(name: string): Promise<string | undefined> {
    const last = this.rereadAt.get(name);
    if (last !== undefined && this.now() - last < rereadMillis) return undefined;
    this.rereadAt.set(name, this.now());
    this.cache.delete(name);
    return this.get(name);
  }

  /** Drops a cached value, e.g. after the platform said the token is no longer valid. */
  forget(name: string): void {
    this.cache.delete(name);
  }
}
