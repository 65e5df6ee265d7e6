import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** API Gateway-style request id. */
export function requestId(): string {
  return randomBytes(9).toString('base64url');
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `requestContext.time` as API Gateway writes it: `21/Nov/2025:05:45:00 +0000`. */
export function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
}

/** Lower-cased single-value headers; repeated headers are joined with commas as API Gateway does. */
export function singleValueHeaders(headers: IncomingHttpHeaders, omit: readonly string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || omit.includes(name)) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return out;
}

export function multiValueHeaders(headers: IncomingHttpHeaders): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value : [value];
  }
  return out;
}

/** Query parameters; repeated ones are joined with commas (payload 2.0), undefined when there are none. */
export function queryParameters(search: URLSearchParams): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const name of new Set(search.keys())) out[name] = search.getAll(name).join(',');
  return Object.keys(out).length > 0 ? out : undefined;
}

export function multiValueQueryParameters(search: URLSearchParams): Record<string, string[]> | undefined {
  const out: Record<string, string[]> = {};
  for (const name of new Set(search.keys())) out[name] = search.getAll(name);
  return Object.keys(out).length > 0 ? out : undefined;
}
