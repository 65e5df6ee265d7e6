import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Reads of configuration (settings, a channel, a Page's channel, a queue) remembered for the
 * length of one invocation of a queue consumer: a batch of ten messages of one Page reads its
 * channel once, not ten times, and a routing decision reads its queue and the settings once.
 * Outside `withInvocationMemo` (the admin API, socket actions, tests) every read goes to the
 * table, so an admin's change is seen by the next invocation, never later.
 */
const scope = new AsyncLocalStorage<Map<string, Promise<unknown>>>();

export function withInvocationMemo<T>(run: () => Promise<T>): Promise<T> {
  return scope.run(new Map(), run);
}

/** `read`'s answer, remembered under `key` for the rest of the invocation (a failed read is not remembered). Each caller gets its own copy. */
export async function rememberedForInvocation<T>(key: string, read: () => Promise<T>): Promise<T> {
  const memo = scope.getStore();
  if (!memo) return read();
  let pending = memo.get(key) as Promise<T> | undefined;
  if (!pending) {
    pending = read();
    memo.set(key, pending);
    pending.catch(() => memo.delete(key));
  }
  return structuredClone(await pending);
}

/** Forgets what this invocation remembered (it wrote configuration itself). */
export function forgetForInvocation(): void {
  scope.getStore()?.clear();
}
