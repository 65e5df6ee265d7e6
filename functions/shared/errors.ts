/** Base of the product's typed errors; `code` is what clients see, `status` the HTTP mapping. */
export class OmnichatError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: { field: string; message: string }[];

  constructor(message: string, options: { code?: string; status?: number; cause?: unknown; details?: { field: string; message: string }[] } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code ?? 'internal_error';
    this.status = options.status ?? 500;
    this.details = options.details;
  }
}

export class ValidationFailed extends OmnichatError {
  constructor(details: { field: string; message: string }[], message = 'The request is not valid.') {
    super(message, { code: 'validation_failed', status: 400, details });
  }
}

export class NotFound extends OmnichatError {
  constructor(what: string, id: string) {
    super(`${what} ${id} does not exist.`, { code: 'not_found', status: 404 });
  }
}

export class Conflict extends OmnichatError {
  constructor(code: string, message: string) {
    super(message, { code, status: 409 });
  }
}

export class Unauthorized extends OmnichatError {
  constructor(message = 'A valid token is required.') {
    super(message, { code: 'unauthorized', status: 401 });
  }
}

export class Forbidden extends OmnichatError {
  constructor(message = 'This needs the chat-admins group.') {
    super(message, { code: 'forbidden', status: 403 });
  }
}

/** Converts zod issues into one detail per bad field. */
export function detailsFromIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): { field: string; message: string }[] {
  return issues.map((i) => ({ field: i.path.map(String).join('.') || '(body)', message: i.message }));
}

/** A `nextToken` this API did not give out for the list it is sent to: 400 `invalid_token` naming it. */
export class InvalidNextToken extends OmnichatError {
  constructor(reason: string) {
    const message = 'Not a token this API gave out for this list.';
    super(message, { code: 'invalid_token', status: 400, details: [{ field: 'nextToken', message: `${message} ${reason}` }] });
  }
}
