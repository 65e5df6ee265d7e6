import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';

/** Thrown by an emulated AWS operation; turned into the service's wire error shape by its dispatcher. */
export class AwsServiceError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

export class BodyTooLarge extends Error {}

export async function readBody(req: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > limitBytes) throw new BodyTooLarge(`body exceeds ${limitBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export function sendJson(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** awsJson1_1 error (Secrets Manager, EventBridge): the SDK reads the type from `__type` or `x-amzn-errortype`. */
export function sendAwsJsonError(res: ServerResponse, error: AwsServiceError): void {
  res.setHeader('x-amzn-errortype', error.type);
  sendJson(res, error.status, { __type: error.type, message: error.message }, 'application/x-amz-json-1.1');
}

/** restJson1 error (API Gateway Management API). */
export function sendRestJsonError(res: ServerResponse, error: AwsServiceError): void {
  res.setHeader('x-amzn-errortype', error.type);
  sendJson(res, error.status, { Message: error.message, message: error.message });
}

/** Parses a JSON request body; malformed input answers like AWS's validation errors. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new AwsServiceError(400, 'SerializationException', 'Request body is not valid JSON');
  }
}

/** Validates an operation's input; failures name the bad fields like AWS validation errors do. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown, errorType: string): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const fields = result.error.issues.map((i) => i.path.join('.') || 'body').join(', ');
    throw new AwsServiceError(400, errorType, `Invalid or missing parameters: ${fields}`);
  }
  return result.data;
}
