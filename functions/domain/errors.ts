/** One bad field of a request or frame: the dotted path (or `(body)`) and what is wrong with it. */
export interface FieldIssue {
  field: string;
  message: string;
}

export interface OmnichatErrorOptions {
  /** Stable, for programs: the `code` of the HTTP error body and of the WebSocket `error` frame. */
  code: string;
  /** The HTTP status it answers; 5xx answers never show the message. */
  status: number;
  /** The error this one wraps (an SDK's, a platform's, a library's). */
  cause?: unknown;
  details?: FieldIssue[];
}

/**
 * Base of every error the product throws. `code` and `status` are what clients see (one HTTP
 * mapping in shared/http.ts, one WebSocket mapping in socket/errors.ts); `message` is for people
 * and is shown only below 500; `cause` keeps the wrapped error for the logs.
 */
export class OmnichatError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: FieldIssue[];

  constructor(message: string, options: OmnichatErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.status = options.status;
    this.details = options.details;
  }
}

export class ValidationFailed extends OmnichatError {
  constructor(details: FieldIssue[], message = 'The request is not valid.') {
    super(message, { code: 'validation_failed', status: 400, details });
  }
}

export class NotFound extends OmnichatError {
  constructor(what: string, id: string) {
    super(`${what} ${id} does not exist.`, { code: 'not_found', status: 404 });
  }
}

export class Conflict extends OmnichatError {
  constructor(code: string, message: string, cause?: unknown) {
    super(message, { code, status: 409, cause });
  }
}

/** An optimistic write lost its race every time it was tried; nothing was stored, so the same request may be sent again. */
export class KeptChanging extends Conflict {
  constructor(what: string, cause?: unknown) {
    super('busy', `${what} kept changing; try again.`, cause);
  }
}

export class Unauthorized extends OmnichatError {
  constructor(message = 'A valid token is required.', cause?: unknown) {
    super(message, { code: 'unauthorized', status: 401, cause });
  }
}

export class Forbidden extends OmnichatError {
  constructor(message = 'This needs the chat-admins group.') {
    super(message, { code: 'forbidden', status: 403 });
  }
}

/** A dependency did not answer in time, or failed: the caller (a platform, an admin) should try again. */
export class TemporarilyUnavailable extends OmnichatError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'temporarily_unavailable', status: 503, cause });
  }
}

/** An invariant of our own failed (a programming or configuration error): answered 500 `internal_error`, never with this message. */
export class InternalError extends OmnichatError {
  constructor(message: string, cause?: unknown) {
    super(message, { code: 'internal_error', status: 500, cause });
  }
}

/** Converts zod issues into one detail per bad field. */
export function detailsFromIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): FieldIssue[] {
  return issues.map((i) => ({ field: i.path.map(String).join('.') || '(body)', message: i.message }));
}

/** What a client may be shown of an error: below 500 its own code, message and details; otherwise only the code. */
export interface ErrorAnswer {
  status: number;
  code: string;
  message: string;
  details?: FieldIssue[];
  /** 5xx (and anything not one of ours): the message is hidden, the error is for the logs. */
  internal: boolean;
}

const hiddenMessages: Record<number, string> = {
  502: 'A platform did not answer usefully; try again.',
  503: 'Temporarily unavailable; try again.',
};

/** The one translation of any thrown value into what HTTP answers and WebSocket `error` frames carry. */
export function errorAnswer(error: unknown): ErrorAnswer {
  if (error instanceof OmnichatError && error.status < 500) {
    return { status: error.status, code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}), internal: false };
  }
  const status = error instanceof OmnichatError ? error.status : 500;
  const code = error instanceof OmnichatError ? error.code : 'internal_error';
  return { status, code, message: hiddenMessages[status] ?? 'Something went wrong on our side.', internal: true };
}

/** The error and the causes under it, for the logs: names, codes and messages, no stacks. */
export function causeChain(error: unknown, depth = 5): { name: string; code?: string; message: string }[] {
  const chain: { name: string; code?: string; message: string }[] = [];
  for (let current = error; current !== undefined && chain.length < depth; current = current instanceof Error ? current.cause : undefined) {
    if (!(current instanceof Error)) {
      chain.push({ name: typeof current, message: String(current) });
      break;
    }
    chain.push({ name: current.name, ...(current instanceof OmnichatError ? { code: current.code } : {}), message: current.message });
  }
  return chain;
}

/** A `nextToken` this API did not give out for the list it is sent to: 400 `invalid_token` naming it. */
export class InvalidNextToken extends OmnichatError {
  constructor(reason: string) {
    const message = 'Not a token this API gave out for this list.';
    super(message, { code: 'invalid_token', status: 400, details: [{ field: 'nextToken', message: `${message} ${reason}` }] });
  }
}

/** The agent holds chats (offered or accepted), so they cannot be removed now. */
export class AgentStillBusy extends Conflict {
  constructor(agentId: string, options?: { cause?: unknown }) {
    super('agent_has_chats', `Agent ${agentId} holds chats; close or transfer them first.`, options?.cause);
  }
}
