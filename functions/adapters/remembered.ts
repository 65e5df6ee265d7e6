/**
 * Remembers what a lookup found for a while, per container, like the secrets cache: the webhooks
 * read their app or channel on every delivery, and a stalled table must not slow every answer.
 * Misses are not remembered (a channel created a moment ago is found at once). When a refresh
 * fails, the last value found is used for up to `staleMillis` more, so a DynamoDB outage does not
 * stop deliveries of a channel already known; concurrent lookups of one key share one read.
 */
export class Remembered<T> {
  private readonly found = new Map<string, { value: T; freshUntil: number; usableUntil: number }>();
  private readonly pending = new Map<string, Promise<T | undefined>>();

  constructor(
    private readonly lookup: (key: string) => Promise<T | undefined>,
    private readonly options: { freshMillis: number; staleMillis: number; now?: () => number },
  ) {}

  async get(key: string): Promise<T | undefined> {
    const now = (this.options.now ?? Date.now)();
    const hit = this.found.get(key);
    if (hit && hit.freshUntil > now) return hit.value;
    let read = this.pending.get(key);
    if (!read) {
      read = this.lookup(key).finally(() => this.pending.delete(key));
      this.pending.set(key, read);
    }
    try {
      const value = await read;
      if (value === undefined) this.found.delete(key);
      else {
        const at = (this.options.now ?? Date.now)();
        this.found.set(key, { value, freshUntil: at + this.options.freshMillis, usableUntil: at + this.options.freshMillis + this.options.staleMillis });
      }
      return value;
    } catch (error) {
      if (hit && hit.usableUntil > (this.options.now ?? Date.now)()) return hit.value;
      throw error;
    }
  }

  forget(key: string): void {
    this.found.delete(key);
  }
}
