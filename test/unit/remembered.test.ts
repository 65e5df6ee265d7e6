import { Remembered } from '../../functions/adapters/remembered';

describe('Remembered lookups of the webhooks', () => {
  let now = 0;
  const clock = () => now;

  it('reads once while fresh, again after, and shares one read among concurrent callers', async () => {
    let reads = 0;
    const apps = new Remembered(async (id) => ({ id, read: (reads += 1) }), { freshMillis: 1_000, staleMillis: 5_000, now: clock });
    const [a, b] = await Promise.all([apps.get('x'), apps.get('x')]);
    expect(reads).toBe(1);
    expect(a).toBe(b);
    now += 999;
    await apps.get('x');
    expect(reads).toBe(1);
    now += 2;
    expect(await apps.get('x')).toEqual({ id: 'x', read: 2 });
  });

  it('does not remember a miss: a channel created a moment later is found', async () => {
    let exists = false;
    const channels = new Remembered(async (id) => (exists ? { id } : undefined), { freshMillis: 60_000, staleMillis: 0, now: clock });
    expect(await channels.get('c1')).toBeUndefined();
    exists = true;
    expect(await channels.get('c1')).toEqual({ id: 'c1' });
  });

  it('uses the last value found while a refresh fails, until it is too old, then fails', async () => {
    let failing = false;
    const channels = new Remembered(
      async (id) => {
        if (failing) throw new Error('ThrottlingException');
        return { id };
      },
      { freshMillis: 1_000, staleMillis: 5_000, now: clock },
    );
    await channels.get('c2');
    failing = true;
    now += 3_000;
    expect(await channels.get('c2')).toEqual({ id: 'c2' });
    now += 3_001;
    await expect(channels.get('c2')).rejects.toThrow('ThrottlingException');
    await expect(channels.get('never-seen')).rejects.toThrow('ThrottlingException');
  });
});
