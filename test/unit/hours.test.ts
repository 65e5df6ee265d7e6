import fc from 'fast-check';
import { instantOfWallTime, isOpen, isTimeZone, nextOpening, overlapping, queueHoursSchema, wallTime, weekDays, type QueueHours } from '../../functions/domain/hours';

const at = (iso: string) => new Date(iso);
const weekdays = (open: string, close: string) => (['mon', 'tue', 'wed', 'thu', 'fri'] as const).map((day) => ({ day, open, close }));

describe('queue hours: isOpen', () => {
  const lisbon: QueueHours = { timeZone: 'Europe/Lisbon', weekly: weekdays('09:00', '18:00'), closures: [{ date: '2026-12-25', name: 'Natal 🎄' }] };

  it('no hours means always open', () => {
    expect(isOpen(undefined, at('2026-01-04T03:00:00Z'))).toBe(true);
    expect(nextOpening(undefined, at('2026-01-04T03:00:00Z'))?.toISOString()).toBe('2026-01-04T03:00:00.000Z');
  });

  it('follows the wall clock of the zone, summer and winter', () => {
    // winter: Lisbon is UTC
    expect(isOpen(lisbon, at('2026-01-05T08:59:59Z'))).toBe(false);
    expect(isOpen(lisbon, at('2026-01-05T09:00:00Z'))).toBe(true);
    expect(isOpen(lisbon, at('2026-01-05T17:59:59Z'))).toBe(true);
    expect(isOpen(lisbon, at('2026-01-05T18:00:00Z'))).toBe(false);
    // summer: UTC+1
    expect(isOpen(lisbon, at('2026-07-06T08:00:00Z'))).toBe(true);
    expect(isOpen(lisbon, at('2026-07-06T07:59:00Z'))).toBe(false);
    // Saturday
    expect(isOpen(lisbon, at('2026-07-04T12:00:00Z'))).toBe(false);
  });

  it('a closure closes its whole local date', () => {
    expect(isOpen(lisbon, at('2026-12-25T12:00:00Z'))).toBe(false);
    expect(nextOpening(lisbon, at('2026-12-24T18:30:00Z'))?.toISOString()).toBe('2026-12-28T09:00:00.000Z');
  });

  it('an interval past midnight belongs to the next morning too, and a closure cuts its tail', () => {
    const nights: QueueHours = { timeZone: 'Asia/Tokyo', weekly: [{ day: 'fri', open: '22:00', close: '06:00' }], closures: [] };
    expect(isOpen(nights, at('2026-01-09T13:00:00Z'))).toBe(true); // Fri 22:00 Tokyo
    expect(isOpen(nights, at('2026-01-09T20:59:00Z'))).toBe(true); // Sat 05:59
    expect(isOpen(nights, at('2026-01-09T21:00:00Z'))).toBe(false); // Sat 06:00
    const sunday: QueueHours = { timeZone: 'UTC', weekly: [{ day: 'sun', open: '20:00', close: '02:00' }], closures: [{ date: '2026-01-05' }] };
    expect(isOpen(sunday, at('2026-01-04T23:00:00Z'))).toBe(true);
    expect(isOpen(sunday, at('2026-01-05T01:00:00Z'))).toBe(false); // Monday is closed
    expect(isOpen(sunday, at('2026-01-12T01:00:00Z'))).toBe(true); // wraps around the week
  });

  it('24:00 closes at midnight', () => {
    const late: QueueHours = { timeZone: 'UTC', weekly: [{ day: 'mon', open: '12:00', close: '24:00' }], closures: [] };
    expect(isOpen(late, at('2026-01-05T23:59:59Z'))).toBe(true);
    expect(isOpen(late, at('2026-01-06T00:00:00Z'))).toBe(false);
  });
});

describe('queue hours: daylight saving time', () => {
  it('an opening in the skipped hour opens when the clock jumps (New York, 8 March 2026)', () => {
    const h: QueueHours = { timeZone: 'America/New_York', weekly: [{ day: 'sun', open: '02:30', close: '05:00' }], closures: [] };
    // 02:00 EST -> 03:00 EDT at 07:00Z
    expect(nextOpening(h, at('2026-03-08T05:00:00Z'))?.toISOString()).toBe('2026-03-08T07:00:00.000Z');
    expect(isOpen(h, at('2026-03-08T06:59:59Z'))).toBe(false);
    expect(isOpen(h, at('2026-03-08T07:00:00Z'))).toBe(true);
    expect(isOpen(h, at('2026-03-08T08:59:59Z'))).toBe(true);
    expect(isOpen(h, at('2026-03-08T09:00:00Z'))).toBe(false);
  });

  it('the repeated hour is open both times, and an opening in it is its first occurrence (New York, 1 November 2026)', () => {
    const h: QueueHours = { timeZone: 'America/New_York', weekly: [{ day: 'sun', open: '01:30', close: '01:45' }], closures: [] };
    // 01:30 EDT = 05:30Z; 01:30 EST = 06:30Z
    expect(nextOpening(h, at('2026-11-01T04:00:00Z'))?.toISOString()).toBe('2026-11-01T05:30:00.000Z');
    expect(isOpen(h, at('2026-11-01T05:40:00Z'))).toBe(true);
    expect(isOpen(h, at('2026-11-01T06:00:00Z'))).toBe(false);
    expect(isOpen(h, at('2026-11-01T06:40:00Z'))).toBe(true);
    expect(nextOpening(h, at('2026-11-01T05:50:00Z'))?.toISOString()).toBe('2026-11-01T06:30:00.000Z');
  });

  it('Lisbon springs forward at 01:00 and falls back at 02:00', () => {
    expect(instantOfWallTime('Europe/Lisbon', '2026-03-29', 60)).toBe(Date.parse('2026-03-29T01:00:00Z'));
    expect(instantOfWallTime('Europe/Lisbon', '2026-03-29', 90)).toBe(Date.parse('2026-03-29T01:00:00Z'));
    expect(instantOfWallTime('Europe/Lisbon', '2026-10-25', 90)).toBe(Date.parse('2026-10-25T00:30:00Z'));
    expect(instantOfWallTime('Australia/Lord_Howe', '2026-04-05', 105)).toBe(Date.parse('2026-04-04T14:45:00Z'));
  });
});

describe('queue hours: validation', () => {
  const parse = (body: unknown) => queueHoursSchema.safeParse(body);
  const fields = (body: unknown) => {
    const r = parse(body);
    return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
  };

  it('takes IANA zones and refuses the rest', () => {
    expect(isTimeZone('Europe/Lisbon')).toBe(true);
    expect(isTimeZone('America/Argentina/Buenos_Aires')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(isTimeZone('+01:00')).toBe(false);
    expect(isTimeZone('')).toBe(false);
    expect(fields({ timeZone: 'Lisboa 🇵🇹', weekly: [], closures: [] })).toEqual(['timeZone']);
  });

  it('names bad times, overlaps, empty intervals and bad dates', () => {
    expect(fields({ timeZone: 'UTC', weekly: [{ day: 'mon', open: '9:00', close: '18:00' }] })).toEqual(['weekly.0.open']);
    expect(fields({ timeZone: 'UTC', weekly: [{ day: 'mon', open: '09:00', close: '24:01' }] })).toEqual(['weekly.0.close']);
    expect(fields({ timeZone: 'UTC', weekly: [{ day: 'mon', open: '09:00', close: '09:00' }] })).toEqual(['weekly.0.close']);
    expect(fields({ timeZone: 'UTC', weekly: [{ day: 'xyz', open: '09:00', close: '10:00' }] })).toEqual(['weekly.0.day']);
    expect(fields({ timeZone: 'UTC', weekly: [{ day: 'mon', open: '09:00', close: '12:00' }, { day: 'mon', open: '11:00', close: '13:00' }] })).toEqual(['weekly.1']);
    // Sunday night into Monday morning
    expect(fields({ timeZone: 'UTC', weekly: [{ day: 'mon', open: '01:00', close: '03:00' }, { day: 'sun', open: '22:00', close: '02:00' }] })).toEqual(['weekly.1']);
    expect(fields({ timeZone: 'UTC', weekly: [{ day: 'mon', open: '09:00', close: '12:00' }, { day: 'mon', open: '12:00', close: '13:00' }] })).toEqual([]);
    expect(fields({ timeZone: 'UTC', weekly: [], closures: [{ date: '2026-02-30' }] })).toEqual(['closures.0.date']);
    expect(fields({ timeZone: 'UTC', weekly: [], closures: [{ date: '2026-12-25' }, { date: '2026-12-25', name: '聖誕節' }] })).toEqual(['closures.1.date']);
  });
});

// ---- properties ----------------------------------------------------------------------------

const zones = ['UTC', 'Europe/Lisbon', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'America/Sao_Paulo', 'Pacific/Chatham', 'Asia/Tokyo'];
const time = fc.integer({ min: 0, max: 1439 }).map((m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
const interval = fc.record({ day: fc.constantFrom(...weekDays), open: time, close: time }).filter((w) => w.open !== w.close);
const hoursArb = fc
  .record({
    timeZone: fc.constantFrom(...zones),
    weekly: fc.array(interval, { maxLength: 6 }),
    closures: fc.array(fc.integer({ min: 0, max: 60 }).map((d) => ({ date: new Date(Date.parse('2026-03-01T00:00:00Z') + d * 86_400_000).toISOString().slice(0, 10) })), { maxLength: 5 }),
  })
  .map((h) => {
    // keep only intervals that do not overlap, as the API does
    const weekly: typeof h.weekly = [];
    for (const w of h.weekly) if (!overlapping([...weekly, w])) weekly.push(w);
    return { ...h, weekly };
  });
const instant = fc.integer({ min: Date.parse('2026-02-20T00:00:00Z'), max: Date.parse('2026-11-30T00:00:00Z') }).map((t) => new Date(t));

describe('queue hours: properties', () => {
  it('the next opening is open, not before the instant, and nothing before it is open', () => {
    fc.assert(
      fc.property(hoursArb, instant, (hours, t) => {
        const next = nextOpening(hours, t);
        if (hours.weekly.length === 0) return next === undefined;
        if (!next) return false;
        expect(next.getTime()).toBeGreaterThanOrEqual(t.getTime());
        expect(isOpen(hours, next)).toBe(true);
        // a minute-by-minute check would be slow: probe 40 instants in between
        const span = next.getTime() - t.getTime();
        for (let i = 0; i < 40 && span > 0; i++) expect(isOpen(hours, new Date(t.getTime() + Math.floor((span * i) / 40)))).toBe(false);
        return true;
      }),
      { numRuns: 150 },
    );
  });

  it('open or closed depends only on the wall clock: equal wall times, equal answers', () => {
    fc.assert(
      fc.property(hoursArb, instant, fc.integer({ min: 1, max: 4 }), (hours, t, weeks) => {
        const wall = wallTime(hours.timeZone, t.getTime());
        const later = wallTime(hours.timeZone, t.getTime() + weeks * 7 * 86_400_000);
        fc.pre(later.minutes === wall.minutes && !hours.closures.length);
        return isOpen(hours, t) === isOpen(hours, new Date(t.getTime() + weeks * 7 * 86_400_000));
      }),
    );
  });

  it('a wall time maps back to itself, or lies in a skipped hour', () => {
    fc.assert(
      fc.property(fc.constantFrom(...zones), instant, (zone, t) => {
        const wall = wallTime(zone, t.getTime());
        const back = instantOfWallTime(zone, wall.date, wall.minutes);
        const seen = wallTime(zone, back);
        return seen.date === wall.date && seen.minutes === wall.minutes && back <= t.getTime();
      }),
    );
  });
});
