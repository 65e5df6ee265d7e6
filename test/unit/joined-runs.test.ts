import { joinedForInvocation, withInvocationMemo } from '../../functions/adapters/invocation-memo';

/** A run that records the values it was given and finishes when told to. */
function gatedRuns() {
  const done: string[][] = [];
  const gates: (() => void)[] = [];
  let failNext: Error | undefined;
  const run = async (values: string[]) => {
    await new Promise<void>((resolve) => gates.push(resolve));
    done.push(values);
    const failure = failNext;
    failNext = undefined;
    if (failure) throw failure;
  };
  return {
    done,
    run,
    /** Lets the oldest waiting run finish. */
    async open() {
      for (let i = 0; i < 100 && gates.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
      gates.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    },
    failNextWith(error: Error) {
      failNext = error;
    },
  };
}

const concat = (into: string[], more: string[]) => [...into, ...more];

describe('runs joined within an invocation', () => {
  it('outside an invocation every call is a run of its own', async () => {
    const runs = gatedRuns();
    const calls = [joinedForInvocation('q', ['Zoë'], concat, runs.run), joinedForInvocation('q', ['Мария'], concat, runs.run)];
    await runs.open();
    await runs.open();
    await Promise.all(calls);
    expect(runs.done).toEqual([['Zoë'], ['Мария']]);
  });

  it('calls made while a run is under way are done by one further run, and each settles when its run does', async () => {
    const runs = gatedRuns();
    await withInvocationMemo(async () => {
      const settled: string[] = [];
      const call = (value: string) => joinedForInvocation('q', [value], concat, runs.run).then(() => settled.push(value));
      const first = call('Zoë 😀');
      const later = [call('Мария'), call('佐藤'), call('أحمد')];
      // another key is not joined with these
      const other = joinedForInvocation('other', ['x'], concat, runs.run);
      await runs.open();
      expect(settled).toEqual(['Zoë 😀']);
      await runs.open();
      await runs.open();
      await Promise.all([first, ...later, other]);
      expect(runs.done).toEqual([['Zoë 😀'], ['x'], ['Мария', '佐藤', 'أحمد']]);
      expect(settled).toEqual(['Zoë 😀', 'Мария', '佐藤', 'أحمد']);
    });
  });

  it('a failed run fails only the calls it did; the next run still runs', async () => {
    const runs = gatedRuns();
    await withInvocationMemo(async () => {
      const outcome = (call: Promise<void>) => call.then(() => 'done', (error: unknown) => (error instanceof Error ? error.message : 'failed'));
      const first = outcome(joinedForInvocation('q', ['a'], concat, runs.run));
      const second = outcome(joinedForInvocation('q', ['b'], concat, runs.run));
      const third = outcome(joinedForInvocation('q', ['c'], concat, runs.run));
      runs.failNextWith(new Error('ProvisionedThroughputExceededException'));
      await runs.open();
      expect(await first).toBe('ProvisionedThroughputExceededException');
      await runs.open();
      expect(await Promise.all([second, third])).toEqual(['done', 'done']);
      expect(runs.done).toEqual([['a'], ['b', 'c']]);
      // and a call after the runs ended starts a run again
      const again = joinedForInvocation('q', ['d'], concat, runs.run);
      await runs.open();
      await again;
      expect(runs.done.at(-1)).toEqual(['d']);
    });
  });

  it('a call made from inside a joined run runs at once instead of waiting for a later run', async () => {
    const order: string[] = [];
    await withInvocationMemo(async () => {
      const run = async (values: string[]): Promise<void> => {
        order.push(values.join('+'));
        if (values.includes('outer')) {
          await joinedForInvocation('q', ['inner'], concat, run);
          await joinedForInvocation('other', ['another key'], concat, run);
        }
      };
      await joinedForInvocation('q', ['outer'], concat, run);
    });
    expect(order).toEqual(['outer', 'inner', 'another key']);
  });

  it('two invocations at once do not join their runs', async () => {
    const runs = gatedRuns();
    const one = withInvocationMemo(() => joinedForInvocation('q', ['one'], concat, runs.run));
    const two = withInvocationMemo(() => joinedForInvocation('q', ['two'], concat, runs.run));
    await runs.open();
    await runs.open();
    await Promise.all([one, two]);
    expect(runs.done.map((d) => d.join()).sort()).toEqual(['one', 'two']);
  });
});
