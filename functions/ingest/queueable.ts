import { maxQueueMessageBytes, queueBytesOf, type InboundEnvelope } from '../domain/inbound';
import { isPlausiblePathId } from '../domain/limits';
import { carriable } from '../domain/text';
import { NotFound, OmnichatError } from '../domain/errors';

/** An event that cannot be one queue message even after parsing: answered 413, never acknowledged. */
export class EventTooLarge extends OmnichatError {
  constructor(field: string, bytes: number) {
    super(`The event at ${field} is ${bytes} bytes as a queue message; the queue carries at most ${maxQueueMessageBytes}.`, {
      code: 'payload_too_large',
      status: 413,
      details: [{ field, message: `At most ${maxQueueMessageBytes} bytes once queued; send a shorter text.` }],
    });
  }
}

/**
 * The envelopes as the inbound queue will carry them: characters SQS refuses (U+FFFE, U+FFFF,
 * lone surrogates) replaced with U+FFFD, each within SQS's 1 MiB. `fieldOf(i)` names the
 * webhook field of envelope `i` for the 413.
 */
export function queueable(envelopes: readonly InboundEnvelope[], fieldOf: (index: number) => string): InboundEnvelope[] {
  return envelopes.map((envelope, i) => {
    const clean = carriable(envelope);
    const bytes = queueBytesOf(clean);
    if (bytes > maxQueueMessageBytes) throw new EventTooLarge(fieldOf(i), bytes);
    return clean;
  });
}

/** A webhook's path id; one no admin could have registered (too long, odd characters) is not found, without a lookup. */
export function pathId(id: string | undefined, what: string): string {
  if (id !== undefined && isPlausiblePathId(id)) return id;
  const shown = id === undefined ? '' : id.length > 64 ? `${id.slice(0, 64)}…` : id;
  throw new NotFound(what, shown);
}
