/**
 * Report arithmetic, pure: hour buckets, a mergeable log-scale histogram for the percentiles, and
 * the row a report answers per bucket. The stores keep one item of counters per (queue, hour) and
 * (agent, hour); a report adds items together, never reads chats.
 */

/** Bucket edges grow by this factor: bucket i (i ≥ 1) holds durations in (1.25^(i-1), 1.25^i] seconds; bucket 0 holds ≤ 1 s. */
export const histogramGrowth = 1.25;
/** 1.25^51 ≈ 87,700 s: the last bucket reaches past 24 h and takes everything longer. */
export const histogramBuckets = 52;
/**
 * A percentile is reported as its bucket's geometric midpoint (clamped to the exact max), so it is
 * within ×/÷ √1.25 of a value in that bucket: a relative error of at most ±11.8 %.
 */
export const histogramRelativeError = Math.sqrt(histogramGrowth) - 1;

export type Histogram = Record<number, number>;

export function bucketOf(seconds: number): number {
  if (!(seconds > 1)) return 0;
  const i = Math.ceil(Math.log(seconds) / Math.log(histogramGrowth) - 1e-9);
  return Math.min(histogramBuckets - 1, Math.max(1, i));
}

function midpointOf(bucket: number): number {
  if (bucket === 0) return 0.5;
  return Math.pow(histogramGrowth, bucket - 0.5);
}

export function mergeHistograms(a: Histogram, b: Histogram): Histogram {
  const out: Histogram = { ...a };
  for (const [k, n] of Object.entries(b)) out[Number(k)] = (out[Number(k)] ?? 0) + n;
  return out;
}

export function samplesOf(h: Histogram): number {
  return Object.values(h).reduce((s, n) => s + n, 0);
}

/** The p-th percentile (0–1) in seconds, rounded to 0.1 s; null without samples. `max` (exact) caps it. */
export function percentile(h: Histogram, p: number, max?: number): number | null {
  const total = samplesOf(h);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const bucket of Object.keys(h).map(Number).sort((x, y) => x - y)) {
    seen += h[bucket] ?? 0;
    if (seen >= rank) {
      const value = midpointOf(bucket);
      return round1(max !== undefined ? Math.min(value, max) : value);
    }
  }
  return null;
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Metrics with a histogram. */
export const timedMetrics = ['wait', 'firstResponse', 'handle'] as const;
export type TimedMetric = (typeof timedMetrics)[number];

export const countMetrics = ['created', 'offered', 'accepted', 'missed', 'abandoned', 'transferred', 'messagesIn', 'messagesOut', 'csatResponses', 'csatSum', 'answeredWithin'] as const;
export type CountMetric = (typeof countMetrics)[number];

/** One bucket's figures as kept (an hour) or merged (a day). */
export interface ReportCounters {
  counts: Record<CountMetric, number>;
  histograms: Record<TimedMetric, Histogram>;
  /** Exact longest wait in seconds, when any chat was accepted. */
  waitMax?: number;
  /** Chats closed with each disposition, by disposition id. */
  dispositions?: Record<string, number>;
}

export function emptyCounters(): ReportCounters {
  return {
    counts: Object.fromEntries(countMetrics.map((m) => [m, 0])) as Record<CountMetric, number>,
    histograms: { wait: {}, firstResponse: {}, handle: {} },
  };
}

export function mergeCounters(a: ReportCounters, b: ReportCounters): ReportCounters {
  const counts = { ...a.counts };
  for (const m of countMetrics) counts[m] += b.counts[m];
  const waitMax = a.waitMax === undefined ? b.waitMax : b.waitMax === undefined ? a.waitMax : Math.max(a.waitMax, b.waitMax);
  const dispositions = { ...a.dispositions };
  for (const [id, n] of Object.entries(b.dispositions ?? {})) dispositions[id] = (dispositions[id] ?? 0) + n;
  return {
    ...(Object.keys(dispositions).length > 0 ? { dispositions } : {}),
    counts,
    histograms: {
      wait: mergeHistograms(a.histograms.wait, b.histograms.wait),
      firstResponse: mergeHistograms(a.histograms.firstResponse, b.histograms.firstResponse),
      handle: mergeHistograms(a.histograms.handle, b.histograms.handle),
    },
    ...(waitMax !== undefined ? { waitMax } : {}),
  };
}

export type Granularity = 'hour' | 'day';

/** The hour bucket an instant falls in, as its ISO start: `2026-03-01T09:00:00.000Z`. */
export function hourOf(at: Date): string {
  const d = new Date(at);
  d.setUTCMinutes(0, 0, 0);
  return d.toISOString();
}

/** The UTC day an hour bucket belongs to. */
export function dayOf(hourIso: string): string {
  return `${hourIso.slice(0, 10)}T00:00:00.000Z`;
}

/** What a report answers per bucket (docs/api.md, Reports). */
export interface ReportRow {
  start: string;
  created: number;
  offered: number;
  accepted: number;
  missed: number;
  abandoned: number;
  transferred: number;
  waitSeconds: { p50: number | null; p90: number | null; max: number | null };
  firstResponseSeconds: { p50: number | null; p90: number | null };
  handleSeconds: { p50: number | null; p90: number | null };
  messagesIn: number;
  messagesOut: number;
  csat: { responses: number; average: number | null };
  serviceLevel: { answeredWithin: number; share: number | null };
  /** Chats closed with each disposition, by disposition id (those with none are left out). */
  dispositions: Record<string, number>;
}

export function reportRow(start: string, c: ReportCounters): ReportRow {
  const { counts, histograms } = c;
  return {
    start,
    created: counts.created,
    offered: counts.offered,
    accepted: counts.accepted,
    missed: counts.missed,
    abandoned: counts.abandoned,
    transferred: counts.transferred,
    waitSeconds: { p50: percentile(histograms.wait, 0.5, c.waitMax), p90: percentile(histograms.wait, 0.9, c.waitMax), max: c.waitMax ?? null },
    firstResponseSeconds: { p50: percentile(histograms.firstResponse, 0.5), p90: percentile(histograms.firstResponse, 0.9) },
    handleSeconds: { p50: percentile(histograms.handle, 0.5), p90: percentile(histograms.handle, 0.9) },
    messagesIn: counts.messagesIn,
    messagesOut: counts.messagesOut,
    csat: { responses: counts.csatResponses, average: counts.csatResponses > 0 ? Math.round((counts.csatSum / counts.csatResponses) * 100) / 100 : null },
    serviceLevel: { answeredWithin: counts.answeredWithin, share: counts.accepted > 0 ? Math.round((counts.answeredWithin / counts.accepted) * 1000) / 1000 : null },
    dispositions: { ...c.dispositions },
  };
}

/** Hourly items (any order) grouped into rows of the granularity, oldest first; buckets without activity are left out. */
export function bucketRows(hours: { hour: string; counters: ReportCounters }[], granularity: Granularity): ReportRow[] {
  const grouped = new Map<string, ReportCounters>();
  for (const { hour, counters } of hours) {
    const key = granularity === 'day' ? dayOf(hour) : hour;
    const before = grouped.get(key);
    grouped.set(key, before ? mergeCounters(before, counters) : counters);
  }
  return [...grouped.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([start, c]) => reportRow(start, c));
}

/** Seconds between two ISO instants, never negative. */
export function secondsBetween(from: string, to: Date): number {
  return Math.max(0, (to.getTime() - Date.parse(from)) / 1000);
}

const csvColumns = [
  ['created', (r: ReportRow) => r.created],
  ['offered', (r: ReportRow) => r.offered],
  ['accepted', (r: ReportRow) => r.accepted],
  ['missed', (r: ReportRow) => r.missed],
  ['abandoned', (r: ReportRow) => r.abandoned],
  ['transferred', (r: ReportRow) => r.transferred],
  ['waitP50', (r: ReportRow) => r.waitSeconds.p50],
  ['waitP90', (r: ReportRow) => r.waitSeconds.p90],
  ['waitMax', (r: ReportRow) => r.waitSeconds.max],
  ['firstResponseP50', (r: ReportRow) => r.firstResponseSeconds.p50],
  ['firstResponseP90', (r: ReportRow) => r.firstResponseSeconds.p90],
  ['handleP50', (r: ReportRow) => r.handleSeconds.p50],
  ['handleP90', (r: ReportRow) => r.handleSeconds.p90],
  ['messagesIn', (r: ReportRow) => r.messagesIn],
  ['messagesOut', (r: ReportRow) => r.messagesOut],
  ['csatResponses', (r: ReportRow) => r.csat.responses],
  ['csatAverage', (r: ReportRow) => r.csat.average],
  ['answeredWithin', (r: ReportRow) => r.serviceLevel.answeredWithin],
  ['serviceLevelShare', (r: ReportRow) => r.serviceLevel.share],
] as const;

function csvField(value: string | number | null): string {
  if (value === null) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows as CSV (RFC 4180, CRLF): `start,<idColumn>,created,…`; an empty percentile is an empty field. */
export function reportCsv(rows: (ReportRow & Record<string, unknown>)[], idColumn: 'queueId' | 'agentId'): string {
  const header = ['start', idColumn, ...csvColumns.map(([name]) => name)].join(',');
  const lines = rows.map((r) => [csvField(r.start), csvField(String(r[idColumn] ?? '')), ...csvColumns.map(([, get]) => csvField(get(r)))].join(','));
  return [header, ...lines].join('\r\n') + '\r\n';
}

/**
 * Abandoned: closed while waiting or offered, or assigned but before any agent replied. A close
 * by transfer is not an ending (the chat goes on elsewhere).
 */
export function isAbandoned(chat: { firstReplyAt?: string }, reason: string): boolean {
  return reason !== 'transfer' && chat.firstReplyAt === undefined;
}
