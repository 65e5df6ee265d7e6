import fc from 'fast-check';
import { bucketOf, bucketRows, emptyCounters, histogramRelativeError, percentile, reportCsv, reportRow } from '../../functions/domain/report';
import { wantsCsv } from '../../functions/shared/http';

describe('report histogram', () => {
  it('reports any single duration from 1 s to 24 h within the stated relative error, plus the rounding to 0.1 s', () => {
    fc.assert(
      fc.property(fc.double({ min: 1.001, max: 86_400, noNaN: true }), (seconds) => {
        const got = percentile({ [bucketOf(seconds)]: 1 }, 0.5)!;
        expect(Math.abs(got - seconds)).toBeLessThanOrEqual(seconds * histogramRelativeError + 0.05 + 1e-9);
      }),
    );
  });

  it('puts durations past 24 h in the last bucket and caps a percentile at the exact max', () => {
    expect(bucketOf(3 * 86_400)).toBe(bucketOf(100_000));
    expect(percentile({ [bucketOf(50)]: 3 }, 0.9, 48)).toBe(48);
    expect(percentile({}, 0.5)).toBeNull();
  });
});

describe('report rows and CSV', () => {
  it('gives null shares and percentiles for an empty bucket, and CSV with an empty field for them', () => {
    const row = { ...reportRow('2026-03-01T09:00:00.000Z', emptyCounters()), queueId: 'q,"1"' };
    expect(row.waitSeconds).toEqual({ p50: null, p90: null, max: null });
    expect(row.serviceLevel.share).toBeNull();
    const csv = reportCsv([row], 'queueId');
    const [header, line] = csv.split('\r\n');
    expect(header).toBe(
      'start,queueId,created,offered,accepted,missed,abandoned,transferred,waitP50,waitP90,waitMax,firstResponseP50,firstResponseP90,handleP50,handleP90,messagesIn,messagesOut,csatResponses,csatAverage,answeredWithin,serviceLevelShare',
    );
    expect(line).toBe('2026-03-01T09:00:00.000Z,"q,""1""",0,0,0,0,0,0,,,,,,,,0,0,0,,0,');
  });

  it('merges hours into UTC days', () => {
    const a = emptyCounters();
    a.counts.created = 2;
    const b = emptyCounters();
    b.counts.created = 3;
    const rows = bucketRows([{ hour: '2026-03-01T23:00:00.000Z', counters: a }, { hour: '2026-03-01T01:00:00.000Z', counters: b }, { hour: '2026-03-02T00:00:00.000Z', counters: a }], 'day');
    expect(rows.map((r) => [r.start, r.created])).toEqual([['2026-03-01T00:00:00.000Z', 5], ['2026-03-02T00:00:00.000Z', 2]]);
  });

  it('answers CSV only when the Accept header prefers text/csv', () => {
    expect(wantsCsv({ Accept: 'text/csv' })).toBe(true);
    expect(wantsCsv({ accept: 'text/csv;q=0.9, application/json' })).toBe(true);
    expect(wantsCsv({ accept: 'application/json, text/csv' })).toBe(false);
    expect(wantsCsv({ accept: '*/*' })).toBe(false);
    expect(wantsCsv(undefined)).toBe(false);
  });
});
