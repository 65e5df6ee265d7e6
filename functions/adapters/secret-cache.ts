/** Reads one secret's current value by name; undefined when there is no such secret (or it has no string value). */
export type SecretSource = (name: string) => Promise<string | undefined>;

/** Secrets are cached this long per container, like middy's secrets-manager middleware. */
export const secretCacheMillis = 5 * 60 * 1000;
/** A cached secret is read again on demand (`reread`) at most this often. */
const rereadMillis = 30 * 1000;

/**
 * Secrets read through a small cache, from any source: the AWS SDK's Secrets Manager client
 * (`Secrets`) or the webhooks' `fetch` one. Values never leave this module except to the caller
 * that asked; nothing here logs them.
 */
export class SecretCache {
  protected readonly cache = new Map<string, { value: string; until: number }>();
  private readonly rereadAt = new Map<string, number>();

  constructor(
    private readonly source: SecretSource,
    readonly prefix: string,
    protected readonly now: () => number = Date.now,
  ) {}

  async get(name: string): Promise<string | undefined> {
    const hit = this.cache.get(name);
    if (hit && hit.until > this.now()) return hit.value;
    const value = await this.source(name);
    if (value === undefined) return undefined;
    this.cache.set(name, { value, until: this.now() + secretCacheMillis });
    return value;
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
