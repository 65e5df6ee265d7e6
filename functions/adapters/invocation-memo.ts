import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * One invocation of a queue consumer, as `withInvocationMemo` runs it:
 *
 * - Reads of configuration (settings, a channel, a Page's channel, a queue) are remembered for
 *   its length: a batch of ten messages of one Page reads its channel once, not ten times, and a
 *   routing decision reads its queue and the settings once. Outside `withInvocationMemo` (the
 *   admin API, socket actions, tests) every read goes to the table, so an admin's change is seen
 *   by the next invocation, never later.
 * - Best-effort writes that add up (report counters) are gathered per key and written once when
 *   the invocation's work is done, before it answers: the figures of a batch's chats for one queue
 *   and hour cost one write, not one per event. Outside an invocation they are written at once.
 */
interface Invocation {
  memo: Map<string, Promise<unknown>>;
  gathered: Map<string, Gathered<unknown>>;
}

interface Gathered<T> {
  value: T;
  merge: (into: T, more: T) => T;
  write: (value: T) => Promise<void>;
}

const scope = new AsyncLocalStorage<Invocation>();

export async function withInvocationMemo<T>(run: () => Promise<T>): Promise<T> {
  const invocation: Invocation = { memo: new Map(), gathered: new Map() };
  try {
    return await scope.run(invocation, run);
  } finally {
    await writeGathered(invocation);
  }
}

/** `read`'s answer, remembered under `key` for the rest of the invocation (a failed read is not remembered). Each caller gets its own copy. */
export async function rememberedForInvocation<T>(key: string, read: () => Promise<T>): Promise<T> {
  const memo = scope.getStore()?.memo;
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
  scope.getStore()?.memo.clear();
}

/**
 * Adds `value` to what this invocation gathered under `key` (`merge` combines two), to be passed
 * to `write` once at its end. `write` must not throw: what it cannot write it reports itself.
 * Outside an invocation, answers false and gathers nothing: the caller writes at once.
 */
export function gatherForInvocation<T>(key: string, value: T, merge: (into: T, more: T) => T, write: (value: T) => Promise<void>): boolean {
  const gathered = scope.getStore()?.gathered;
  if (!gathered) return false;
  const earlier = gathered.get(key) as Gathered<T> | undefined;
  if (earlier) earlier.value = merge(earlier.value, value);
  else gathered.set(key, { value, merge, write } as Gathered<unknown>);
  return true;
}

/** Runs outside the invocation's scope: what the writes themselves record is written at once. */
async function writeGathered(invocation: Invocation): Promise<void> {
  const gathered = [...invocation.gathered.values()];
  invocation.gathered.clear();
  await Promise.all(gathered.map(async ({ value, write }) => write(value).catch(() => undefined)));
}
