import * as z from 'zod/mini';

/**
 * A queue's opening hours: weekly intervals on the wall clock of one IANA time zone, and dated
 * closures (holidays). Pure: time zone arithmetic goes through `Intl` only.
 *
 * Semantics (docs/api.md, Queue hours):
 * - An interval `{day, open, close}` opens at `open` on `day` and closes at `close`; a `close` at
 *   or before `open` runs past midnight into the next day (`22:00`–`06:00`), `24:00` is midnight.
 * - Wall-clock times count: on a day that springs forward, an opening inside the skipped hour
 *   opens when the clock jumps past it; on a day that falls back, `01:30` is open both times.
 * - A closure closes its whole local date (00:00 to 24:00), including the part of an overnight
 *   interval that began the evening before; the day after, that interval's tail is open again.
 */

export const weekDays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type WeekDay = (typeof weekDays)[number];

const timeOfDay = /^([01]\d|2[0-3]):[0-5]\d$/;

export interface WeeklyInterval {
  day: WeekDay;
  open: string;
  close: string;
}

export interface Closure {
  date: string;
  name?: string;
}

export interface QueueHours {
  timeZone: string;
  weekly: WeeklyInterval[];
  closures: Closure[];
  overflowQueueId?: string | null;
}

/** True when `Intl` knows the zone by that name (an IANA name such as `Europe/Lisbon`, or `UTC`). */
export function isTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** Minutes after midnight of `HH:MM` (`24:00` is 1440). */
export function minutesOf(time: string): number {
  if (time === '24:00') return 1440;
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

const week = 7 * 1440;

/** An interval as minutes of the week from Monday 00:00: [start, end), end may pass the week's end. */
export function weekRange(interval: WeeklyInterval): { start: number; end: number } {
  const start = weekDays.indexOf(interval.day) * 1440 + minutesOf(interval.open);
  const open = minutesOf(interval.open);
  const close = minutesOf(interval.close);
  const length = close > open ? close - open : close + 1440 - open;
  return { start, end: start + length };
}

/** Indexes of the first two intervals that overlap on the (circular) week, if any. */
export function overlapping(weekly: readonly WeeklyInterval[]): [number, number] | undefined {
  const ranges = weekly.map(weekRange);
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const a = ranges[i] as { start: number; end: number };
      const b = ranges[j] as { start: number; end: number };
      for (const shift of [-week, 0, week]) {
        if (a.start < b.end + shift && b.start + shift < a.end) return [i, j];
      }
    }
  }
  return undefined;
}

function validDate(date: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return false;
  const d = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === date;
}

/** The hours as admins write them; every refusal names its field. */
export const queueHoursSchema = z
  .strictObject({
    timeZone: z.string().check(z.maxLength(64), z.refine(isTimeZone, 'Not an IANA time zone (e.g. Europe/Lisbon).')),
    weekly: z
      .array(
        z.strictObject({
          day: z.enum(weekDays),
          open: z.string().check(z.regex(timeOfDay, 'Use HH:MM, 00:00 to 23:59.')),
          close: z.string().check(z.regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'Use HH:MM, 00:01 to 24:00.')),
        }),
      )
      .check(z.maxLength(70)),
    closures: z._default(z.array(z.strictObject({ date: z.string().check(z.refine(validDate, 'Use a date YYYY-MM-DD.')), name: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(200))) })).check(z.maxLength(400)), []),
    overflowQueueId: z.optional(z.nullable(z.string().check(z.minLength(1), z.maxLength(128)))),
  })
  .check(
    z.superRefine((hours, ctx) => {
      hours.weekly.forEach((interval, i) => {
        if (timeOfDay.test(interval.open) && minutesOf(interval.open) === minutesOf(interval.close) % 1440) {
          ctx.addIssue({ code: 'custom', path: ['weekly', i, 'close'], message: 'An interval cannot close when it opens.' });
        }
      });
      const valid = hours.weekly.every((w) => timeOfDay.test(w.open) && /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/.test(w.close) && minutesOf(w.open) !== minutesOf(w.close) % 1440);
      const clash = valid ? overlapping(hours.weekly) : undefined;
      if (clash) ctx.addIssue({ code: 'custom', path: ['weekly', clash[1]], message: `Overlaps weekly[${clash[0]}].` });
      const seen = new Set<string>();
      hours.closures.forEach((c, i) => {
        if (seen.has(c.date)) ctx.addIssue({ code: 'custom', path: ['closures', i, 'date'], message: 'This date is listed twice.' });
        seen.add(c.date);
      });
    }),
  );

/** The stored shape (read back without re-validating the zone against this runtime's Intl). */
export const storedQueueHoursSchema = z.object({
  timeZone: z.string(),
  weekly: z.array(z.object({ day: z.enum(weekDays), open: z.string(), close: z.string() })),
  closures: z.array(z.object({ date: z.string(), name: z.optional(z.string()) })),
  overflowQueueId: z.optional(z.nullable(z.string())),
});

// ---- wall clock -------------------------------------------------------------------------

interface WallTime {
  /** YYYY-MM-DD */
  date: string;
  /** 0 = Monday */
  weekday: number;
  /** minutes after midnight */
  minutes: number;
  /** the wall time as if it were UTC, in ms (for offsets and ordering) */
  asUtc: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, found);
  }
  return found;
}

/** The wall clock of `timeZone` at `instant` (ms). */
export function wallTime(timeZone: string, instant: number): WallTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instant))) parts[p.type] = p.value;
  const year = Number(parts['year']);
  const month = Number(parts['month']);
  const day = Number(parts['day']);
  const hour = Number(parts['hour']) % 24;
  const minute = Number(parts['minute']);
  const second = Number(parts['second']);
  const midnight = Date.UTC(year, month - 1, day);
  const ms = ((instant % 1000) + 1000) % 1000;
  return {
    date: new Date(midnight).toISOString().slice(0, 10),
    weekday: (new Date(midnight).getUTCDay() + 6) % 7,
    minutes: hour * 60 + minute,
    asUtc: midnight + ((hour * 60 + minute) * 60 + second) * 1000 + ms,
  };
}

/** The offset of the zone at `instant`, in ms (wall clock minus UTC). */
function offsetAt(timeZone: string, instant: number): number {
  return wallTime(timeZone, instant).asUtc - instant;
}

/**
 * The first instant at which the wall clock of `timeZone` reads `date` `minutes` or later: the
 * exact instant when that wall time exists (the earlier one when it happens twice), the moment the
 * clock jumps past it when it falls in a skipped hour.
 */
export function instantOfWallTime(timeZone: string, date: string, minutes: number): number {
  return Math.min(...instantsOfWallTime(timeZone, date, minutes));
}

/** Every instant at which the wall clock reads that time (two in a repeated hour), or the jump past it in a skipped hour. */
export function instantsOfWallTime(timeZone: string, date: string, minutes: number): number[] {
  const wall = Date.parse(`${date}T00:00:00Z`) + minutes * 60_000;
  const candidates = [...new Set([offsetAt(timeZone, wall - 86_400_000), offsetAt(timeZone, wall + 86_400_000), offsetAt(timeZone, wall)])].map((o) => wall - o);
  const exact = [...new Set(candidates.filter((t) => wallTime(timeZone, t).asUtc === wall))].sort((a, b) => a - b);
  if (exact.length > 0) return exact;
  // a skipped wall time: the first instant whose wall clock is at or past it
  let low = Math.min(...candidates) - 3_600_000;
  let high = Math.max(...candidates) + 3_600_000;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (wallTime(timeZone, mid).asUtc >= wall) high = mid;
    else low = mid;
  }
  return [high];
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

// ---- the rules --------------------------------------------------------------------------

/** Whether the queue takes chats at `instant`. No hours: always open. */
export function isOpen(hours: QueueHours | undefined, instant: Date): boolean {
  if (!hours) return true;
  const wall = wallTime(hours.timeZone, instant.getTime());
  if (hours.closures.some((c) => c.date === wall.date)) return false;
  const now = wall.weekday * 1440 + wall.minutes;
  return hours.weekly.some((interval) => {
    const { start, end } = weekRange(interval);
    return (start <= now && now < end) || (start <= now + week && now + week < end);
  });
}

/** How far ahead `nextOpening` looks (a year of closures, and then some). */
const horizonDays = 400;

/**
 * The first instant at or after `instant` when the queue is open: `instant` itself when open now,
 * undefined when it never opens (no weekly interval, or closures cover the next 400 days).
 */
export function nextOpening(hours: QueueHours | undefined, instant: Date): Date | undefined {
  if (isOpen(hours, instant)) return instant;
  if (!hours || hours.weekly.length === 0) return undefined;
  const from = instant.getTime();
  const today = wallTime(hours.timeZone, from).date;
  const closed = new Set(hours.closures.map((c) => c.date));
  for (let d = -1; d <= horizonDays; d++) {
    const date = addDays(today, d);
    const weekday = (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;
    // where an open stretch can begin on this date: an interval's opening, or midnight (a closure ends)
    const starts = [0, ...hours.weekly.filter((w) => weekDays.indexOf(w.day) === weekday).map((w) => minutesOf(w.open))];
    if (closed.has(date)) continue;
    const instants = starts.flatMap((minutes) => instantsOfWallTime(hours.timeZone, date, minutes)).sort((a, b) => a - b);
    for (const at of instants) if (at >= from && isOpen(hours, new Date(at))) return new Date(at);
  }
  return undefined;
}

// ---- port -------------------------------------------------------------------------------

/** What waiting in line needs from the store beside routing (adapter: `adapters/dynamodb/waiting-line.ts`). */
export interface WaitingLineStore {
  /** The chat's place among the queue's waiting chats, oldest first (1 = next); counted on the waiting index. */
  positionOf(queueId: string, chat: { id: string; createdAt: string }): Promise<number>;
  /**
   * Runs `arm` unless it already ran for this queue and opening: one opening timer per queue and
   * opening however many chats wait (a rare race may arm two; a second changes nothing).
   */
  oncePerOpening(queueId: string, opening: Date, arm: () => Promise<void>): Promise<void>;
}
