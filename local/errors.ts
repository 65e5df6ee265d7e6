/** Failures of the local runtime itself (not of the handlers it runs). */
export class LocalRuntimeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Java is absent or too old for DynamoDB Local; the message is the one line a developer needs. */
export class JavaUnavailable extends LocalRuntimeError {}

/** DynamoDB Local did not start or answer in time. */
export class DynamoDbLocalFailed extends LocalRuntimeError {}

/** A handler module could not be loaded or does not export `handler`. */
export class HandlerUnavailable extends LocalRuntimeError {}

/** A handler ran longer than its Lambda timeout. */
export class HandlerTimedOut extends LocalRuntimeError {}
