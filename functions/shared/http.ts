import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { causeChain, errorAnswer, OmnichatError, ValidationFailed } from '../domain/errors';
import { logger } from './logger';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

/** A CSV answer (RFC 4180), UTF-8. */
export function csv(statusCode: number, body: string): HttpResult {
  return { statusCode, headers: { 'content-type': 'text/csv; charset=utf-8' }, body };
}

/** True when the request's `Accept` header asks for `text/csv` (before any JSON it also names). */
export function wantsCsv(headers: Record<string, string | undefined> | undefined): boolean {
  const accept = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'accept')?.[1] ?? '';
  const types = accept.split(',').map((t) => t.split(';')[0]!.trim().toLowerCase());
  const at = types.indexOf('text/csv');
  const json = types.indexOf('application/json');
  return at >= 0 && (json < 0 || at < json);
}

export function text(statusCode: number, body: string): HttpResult {
  return { statusCode, headers: { 'content-type': 'text/plain; charset=utf-8' }, body };
}

/** The exact bytes the platform sent: API Gateway base64-encodes bodies it deems binary. */
export function rawBody(event: HttpEvent): Buffer {
  return Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
}

/** Platforms send at most this much per delivery; more is refused before any work. */
export const maxWebhookBytes = 1024 * 1024;

export class PayloadTooLarge extends OmnichatError {
  constructor() {
    super('The body is larger than 1 MiB.', { code: 'payload_too_large', status: 413 });
  }
}

/** A webhook's raw bytes, refused over 1 MiB before anything else is done. */
export function webhookBody(event: HttpEvent): Buffer {
  const body = rawBody(event);
  if (body.length > maxWebhookBytes) throw new PayloadTooLarge();
  return body;
}

/** The body as JSON; 400 naming the body otherwise. */
export function jsonOf(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new ValidationFailed([{ field: '(body)', message: 'The body is not valid JSON.' }], 'The webhook body is not valid JSON.');
  }
}

/** What error answers need of a logger: Powertools' (`shared/logger.ts`), or the webhooks' smaller one (`shared/json-logger.ts`). */
export interface ErrorLog {
  error(message: string, attributes: Record<string, unknown>): void;
}

/**
 * Every HTTP answer to an error: `{ error: { code, message, details? } }` (docs/api.md). Below 500
 * the error's own; 5xx (and anything not an `OmnichatError`, as 500 `internal_error`) with a fixed
 * message, the error and its causes going to the logs only.
 */
export function errorResponse(error: unknown): HttpResult {
  return errorResponseLoggedTo(logger, error);
}

/** `errorResponse`, logging to `log`. */
export function errorResponseLoggedTo(log: ErrorLog, error: unknown): HttpResult {
  const answer = errorAnswer(error);
  if (answer.internal) log.error('request failed', { status: answer.status, code: answer.code, errors: causeChain(error) });
  return json(answer.status, { error: { code: answer.code, message: answer.message, ...(answer.details ? { details: answer.details } : {}) } });
}

/** Maps typed errors to HTTP answers in one place (middy `onError`), for every HTTP entry: admin API, webhooks, file links. */
export const httpErrors = (): MiddlewareObj<HttpEvent, HttpResult> => httpErrorsLoggedTo(logger);

/** `httpErrors`, logging to `log` (the webhooks, which do without Powertools' Logger). */
export const httpErrorsLoggedTo = (log: ErrorLog): MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: async (request) => {
    request.response = errorResponseLoggedTo(log, request.error);
  },
});
