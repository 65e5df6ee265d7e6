import { DynamoReports } from '../../functions/adapters/dynamodb/reports';
import type { RoutedChat } from '../../functions/domain/model';
import { bucketRows, histogramRelativeError } from '../../functions/domain/report';
import { withInvocationMemo } from '../../functions/adapters/invocation-memo';
import { dynamoStores } from '../support/routing-harness';

const t = (hhmmss: string) => new Date(`2026-03-01T${hhmmss}.000Z`);

function chat(id: string, overrides: Partial<RoutedChat> = {}): RoutedChat {
  return {
    id,
    channelId: 'ch-1',
    channelType: 'telegram',
    queueId: 'support',
    state: 'waiting',
    agentId: null,
    customer: { id: `cust-${id}`, name: 'Zoë 😀' },
    contactId: null,
    language: null,
    createdAt: t('09:00:00').toISOString(),
    lastMessageAt: t('09:00:00').toISOString(),
    version: 1,
    offeredTo: [],
    skipped: [],
    ...overrides,
  };
}

/** The exact p-th percentile (nearest rank) of some samples. */
function exact(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

async function reportsOnTable(serviceLevel = 60) {
  const stores = await dynamoStores();
  return { table: stores.table, reports: new DynamoReports(stores.table, async () => serviceLevel) };
}

describe('report figures on DynamoDB Local', () => {
  it('counts a scripted day of chats per hour and merges the hours into the day', async () => {
    const { reports, table } = await reportsOnTable(60);
    // 9h: five chats accepted by ann after 5 s … 400 s; two answered (messages on the chat), one abandoned while waiting
    const waits9 = [5, 20, 45, 90, 400];
    for (const [i, wait] of waits9.entries()) {
      const created = new Date(t('09:00:00').getTime() + i * 60_000);
      const c = chat(`c9-${i}`, { createdAt: created.toISOString() });
      await reports.chatCreated(c);
      await reports.offered(c, 'ann', created);
      await reports.accepted(c, 'ann', new Date(created.getTime() + wait * 1000));
    }
    const assigned = chat('c9-0', { state: 'assigned', agentId: 'ann', assignedAt: t('09:00:05').toISOString() });
    await reports.firstResponse(assigned, 'ann', t('09:00:35'));
    await reports.closed({ ...assigned, firstReplyAt: t('09:00:35').toISOString(), messagesIn: 4, messagesOut: 3 }, 'agent', t('09:10:05'));
    const silent = chat('c9-1', { state: 'assigned', agentId: 'ann', assignedAt: t('09:01:20').toISOString(), messagesIn: 2 });
    await reports.closed(silent, 'timeout', t('09:31:20'));
    const waiting = chat('c9-w', { createdAt: t('09:50:00').toISOString() });
    await reports.chatCreated(waiting);
    await reports.closed(waiting, 'agent', t('09:55:00'));
    // 10h: bob misses one offer, takes another after 70 s, transfers it, and a rating of 4 arrives
    const c10 = chat('c10', { createdAt: t('10:00:00').toISOString() });
    await reports.chatCreated(c10);
    await reports.offered(c10, 'bob', t('10:00:00'));
    await reports.missed(c10, 'bob', t('10:05:00'));
    await reports.offered(c10, 'bob', t('10:05:10'));
    await reports.accepted(c10, 'bob', t('10:01:10'));
    await reports.transferred({ ...c10, agentId: 'bob' }, 'bob', t('10:20:00'));
    await reports.rated({ ...c10, agentId: 'bob', state: 'closed' }, 4, t('10:30:00'));

    // when
    const before = { ...table.capacity };
    const hours = await reports.hours({ queueId: 'support' }, t('00:00:00'), new Date('2026-03-02T00:00:00.000Z'));
    const reads = table.capacity.read - before.read;

    // then: hourly rows
    const hourly = bucketRows(hours, 'hour');
    expect(hourly.map((r) => r.start)).toEqual(['2026-03-01T09:00:00.000Z', '2026-03-01T10:00:00.000Z']);
    const [nine, ten] = hourly;
    expect(nine).toMatchObject({ created: 6, offered: 5, accepted: 5, missed: 0, abandoned: 2, messagesIn: 6, messagesOut: 3, serviceLevel: { answeredWithin: 3, share: 0.6 } });
    expect(nine!.waitSeconds.max).toBe(400);
    expect(nine!.firstResponseSeconds.p50).toBeCloseTo(30, -1);
    expect(ten).toMatchObject({ created: 1, offered: 2, accepted: 1, missed: 1, transferred: 1, csat: { responses: 1, average: 4 }, serviceLevel: { answeredWithin: 0, share: 0 } });
    for (const p of [0.5, 0.9]) {
      const got = p === 0.5 ? nine!.waitSeconds.p50! : nine!.waitSeconds.p90!;
      const want = exact(waits9, p);
      expect(Math.abs(got - want) / want).toBeLessThanOrEqual(histogramRelativeError + 0.01);
    }
    // a day: the same figures, summed; the histograms merged
    const [day] = bucketRows(hours, 'day');
    expect(day).toMatchObject({ start: '2026-03-01T00:00:00.000Z', created: 7, offered: 7, accepted: 6, missed: 1, abandoned: 2, transferred: 1, csat: { responses: 1, average: 4 } });
    expect(day!.waitSeconds.max).toBe(400);
    expect(day!.serviceLevel).toEqual({ answeredWithin: 3, share: 0.5 });
    const allWaits = [...waits9, 70];
    expect(Math.abs(day!.waitSeconds.p50! - exact(allWaits, 0.5)) / exact(allWaits, 0.5)).toBeLessThanOrEqual(histogramRelativeError + 0.01);
    // per agent: ann's and bob's own items
    const ann = bucketRows(await reports.hours({ agentId: 'ann' }, t('00:00:00'), new Date('2026-03-02T00:00:00.000Z')), 'day');
    expect(ann[0]).toMatchObject({ created: 0, offered: 5, accepted: 5, abandoned: 1, messagesIn: 6, messagesOut: 3 });
    expect(ann[0]!.handleSeconds.p50).not.toBeNull();
    expect(reads).toBeLessThanOrEqual(2);
  });

  it('loses no count when many chats are recorded at once, and keeps the exact longest wait', async () => {
    const { reports } = await reportsOnTable(30);
    const waits = Array.from({ length: 120 }, (_, i) => 1 + ((i * 37) % 600));
    await Promise.all(
      waits.map(async (wait, i) => {
        const c = chat(`k${i}`, { createdAt: t('12:00:00').toISOString() });
        await Promise.all([reports.chatCreated(c), reports.accepted(c, i % 2 ? 'ann' : 'bob', new Date(t('12:00:00').getTime() + wait * 1000))]);
      }),
    );
    const hours = await reports.hours({ queueId: 'support' }, t('12:00:00'), t('23:00:00'));
    const rows = bucketRows(hours, 'day');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ created: 120, accepted: 120 });
    expect(rows[0]!.waitSeconds.max).toBe(Math.max(...waits));
    expect(rows[0]!.serviceLevel.answeredWithin).toBe(waits.filter((w) => w <= 30).length);
    const ann = bucketRows(await reports.hours({ agentId: 'ann' }, t('12:00:00'), t('23:00:00')), 'day');
    expect(ann[0]!.accepted).toBe(60);
  });

  it('inside a consumer invocation, one write per item and hour carries every figure of the batch, written before the invocation ends', async () => {
    const { reports, table } = await reportsOnTable(30);
    const waits = [12, 95, 40, 400, 3, 61, 7, 250, 30, 31];
    const before = { ...table.capacity };
    let writesInside = -1;
    const answer = await withInvocationMemo(async () => {
      for (const [i, wait] of waits.entries()) {
        const created = new Date(t('14:00:00').getTime() + i * 1000);
        const c = chat(`b${i}`, { createdAt: created.toISOString(), customer: { id: `cust-b${i}`, name: i % 2 ? 'Мария 🇺🇦' : '佐藤 🙏' } });
        await reports.chatCreated(c);
        await reports.offered(c, i % 2 ? 'ann' : 'bob', created);
        await reports.accepted(c, i % 2 ? 'ann' : 'bob', new Date(created.getTime() + wait * 1000));
      }
      // the 15h chat goes to another hour's item
      await reports.chatCreated(chat('b-late', { createdAt: t('15:00:01').toISOString() }));
      writesInside = table.capacity.requests - before.requests;
      return 'done';
    });
    expect(answer).toBe('done');
    expect(writesInside).toBe(0);
    // queue 14h, queue 15h, ann 14h, bob 14h: one update each (no second update: each item's first write sets the longest wait)
    expect(table.capacity.requests - before.requests).toBe(4);

    const rows = bucketRows(await reports.hours({ queueId: 'support' }, t('00:00:00'), new Date('2026-03-02T00:00:00.000Z')), 'hour');
    expect(rows.map((r) => r.created)).toEqual([10, 1]);
    expect(rows[0]).toMatchObject({ offered: 10, accepted: 10, serviceLevel: { answeredWithin: waits.filter((w) => w <= 30).length } });
    expect(rows[0]!.waitSeconds.max).toBe(400);
    const ann = bucketRows(await reports.hours({ agentId: 'ann' }, t('00:00:00'), new Date('2026-03-02T00:00:00.000Z')), 'hour');
    expect(ann[0]).toMatchObject({ created: 0, offered: 5, accepted: 5 });
    expect(ann[0]!.waitSeconds.max).toBe(Math.max(...waits.filter((_, i) => i % 2)));

    // a later invocation's longer wait still raises the hour's longest wait, and adds to its counts
    await withInvocationMemo(async () => reports.accepted(chat('b-next', { createdAt: t('14:10:00').toISOString() }), 'bob', t('14:20:00')));
    const again = bucketRows(await reports.hours({ queueId: 'support' }, t('14:00:00'), t('15:00:00')), 'hour');
    expect(again[0]).toMatchObject({ accepted: 11 });
    expect(again[0]!.waitSeconds.max).toBe(600);
  });

  it('reads only the hours asked for', async () => {
    const { reports } = await reportsOnTable();
    for (const hh of ['08', '09', '10', '11']) await reports.chatCreated(chat(`h${hh}`, { createdAt: t(`${hh}:30:00`).toISOString() }));
    const hours = await reports.hours({ queueId: 'support' }, t('09:15:00'), t('11:00:00'));
    expect(hours.map((h) => h.hour)).toEqual(['2026-03-01T09:00:00.000Z', '2026-03-01T10:00:00.000Z']);
  });
});
