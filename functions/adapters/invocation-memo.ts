import { AsyncLocalStorage } from 'node:async_hooks';
import type { RouteHints, RoutingPasses } from '../domain/ports';

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
 * - Work that one run does for every caller (a routing pass of a queue) is joined: what is asked
 *   for while a run is under way is done by one further run, for all who asked meanwhile.
 */
interface Invocation {
  memo: Map<string, Promise<unknown>>;
  gathered: Map<string, Gathered<unknown>>;
  joined: Map<string, Joined<unknown>>;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface Joined<T> {
  running: boolean;
  /** What the next run does, and who waits for it. */
  next?: { value: T; waiters: Waiter[] };
}

interface Gathered<T> {
  value: T;
  write: (value: T) => Promise<void>;
}

const scope = new AsyncLocalStorage<Invocation>();

export async function withInvocationMemo<T>(run: () => Promise<T>): Promise<T> {
  const invocation: Invocation = { memo: new Map(), gathered: new Map(), joined: new Map() };
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
  else gathered.set(key, { value, write } as Gathered<unknown>);
  return true;
}

/**
 * Set inside a joined run: a call made there runs at once. Waiting for a later run from inside one
 * could wait forever (for its own key, on itself; for another, on a run waiting for this one).
 */
const insideRun = new AsyncLocalStorage<true>();

/**
 * `run(value)`, joined with the other calls for `key` in this invocation: when no run of `key` is
 * under way it starts one; while one is, the call waits for the next run, which does the `value`s
 * of every call made meanwhile (`merge` combines two). Each call settles when the run that did its
 * value does, with that run's outcome. `run` must be the same for every call of a key. Outside an
 * invocation, and for a call made from inside a joined run, `run(value)` runs at once.
 */
export function joinedForInvocation<T>(key: string, value: T, merge: (into: T, more: T) => T, run: (value: T) => Promise<void>): Promise<void> {
  const joined = scope.getStore()?.joined;
  if (!joined || insideRun.getStore()) return run(value);
  let state = joined.get(key) as Joined<T> | undefined;
  if (!state) {
    state = { running: false };
    joined.set(key, state as Joined<unknown>);
  }
  const settled = new Promise<void>((resolve, reject) => {
    const next = state.next;
    if (next) {
      next.value = merge(next.value, value);
      next.waiters.push({ resolve, reject });
    } else state.next = { value, waiters: [{ resolve, reject }] };
  });
  if (!state.running) void runJoined(state, run);
  return settled;
}

async function runJoined<T>(state: Joined<T>, run: (value: T) => Promise<void>): Promise<void> {
  state.running = true;
  try {
    for (let next = state.next; next; next = state.next) {
      state.next = undefined;
      try {
        const { value } = next;
        await insideRun.run(true, () => run(value));
        for (const waiter of next.waiters) waiter.resolve();
      } catch (error) {
        for (const waiter of next.waiters) waiter.reject(error);
      }
    }
  } finally {
    state.running = false;
  }
}

/** Runs outside the invocation's scope: what the writes themselves record is written at once. */
async function writeGathered(invocation: Invocation): Promise<void> {
  const gathered = [...invocation.gathered.values()];
  invocation.gathered.clear();
  await Promise.all(gathered.map(async ({ value, write }) => write(value).catch(() => undefined)));
}

/** A queue's routing passes, joined for the length of an invocation (a queue consumer's batch). */
export const invocationRoutingPasses: RoutingPasses = {
  join: (queueId, hints, pass) =>
    joinedForInvocation<RouteHints>(`route:${queueId}`, hints, (into, more) => ({ chats: [...into.chats, ...more.chats], agents: [...into.agents, ...more.agents] }), pass),
};
