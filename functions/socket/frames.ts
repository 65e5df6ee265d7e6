import * as z from 'zod/mini';
import { en } from 'zod/v4/locales';
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { maxHistoryCursorLength } from '../domain/frame-budget';
import { contentTypePattern, uploadedAttachmentSchema } from '../domain/uploads';
import { maxHistoryLimit, maxNoteLength, maxTagLength, maxTags } from '../domain/wrap-up';

/** Client frames of the agent WebSocket protocol (docs/websocket.md), validated at the edge. */
/** Every id a frame carries is capped (DynamoDB keys stay small; a long id is refused, never looked up). */
const maxIdLength = 128;
// zod/mini ships no messages; a refused frame's details read as zod classic's did.
z.config(en());
const id = z.string().check(z.minLength(1), z.maxLength(maxIdLength));
const requestId = z.optional(z.string().check(z.maxLength(maxIdLength)));
const chatId = id;
/** Lengths in code points, not UTF-16 units: 😀 is one (an emoji joined with ZWJ is several). */
const codePoints = (s: string): number => [...s].length;
const tagsSchema = z
  .array(
    z.string().check(
      z.trim(),
      z.minLength(1),
      z.refine((t) => codePoints(t) <= maxTagLength, `At most ${maxTagLength} characters.`),
    ),
  )
  .check(z.maxLength(maxTags));
const noteText = z.string().check(
  z.refine((t) => t.trim().length > 0, 'Write something.'),
  z.refine((t) => codePoints(t) <= maxNoteLength, `At most ${maxNoteLength} characters.`),
);

export const clientFrameSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('ping'), requestId }),
  z.object({ action: z.literal('setStatus'), requestId, status: z.enum(['active', 'inactive']) }),
  z.object({ action: z.literal('accept'), requestId, chatId }),
  z.object({
    action: z.literal('send'),
    requestId,
    chatId,
    // text, attachments, or both; at least one (checked by the action)
    text: z.optional(z.string().check(z.minLength(1), z.maxLength(20_000))),
    // a link, or a file uploaded with `upload` (its reply's `attachment` object)
    attachments: z.optional(
      z
        .array(z.union([uploadedAttachmentSchema, z.object({ type: z.enum(['image', 'file']), url: z.url({ protocol: /^https?$/ }).check(z.maxLength(2048)), name: z.optional(z.string().check(z.maxLength(256))) })]))
        .check(z.minLength(1), z.maxLength(5)),
    ),
    clientMessageId: id,
  }),
  z.object({ action: z.literal('requestThread'), requestId, chatId }),
  z.object({ action: z.literal('close'), requestId, chatId, dispositionId: z.optional(id), tags: z.optional(tagsSchema) }),
  // `note`: for the next agent (on their offer and on the chat)
  z.object({ action: z.literal('transfer'), requestId, chatId, queueId: z.optional(id), agentId: z.optional(id), note: z.optional(z.string().check(z.trim(), z.minLength(1), z.maxLength(500))) }),
  // where the agent can transfer a chat they hold: queues with their backlog, the chat queue's agents with their status
  z.object({ action: z.literal('transferTargets'), requestId, chatId }),
  z.object({ action: z.literal('runAction'), requestId, chatId, actionId: id }),
  // older messages of a chat the agent holds; `before` is a cursor from chatAssigned, snapshot or history
  z.object({ action: z.literal('history'), requestId, chatId, before: z.optional(z.string().check(z.minLength(1), z.maxLength(maxHistoryCursorLength))) }),
  z.object({ action: z.literal('sync'), requestId, since: z.optional(z.number().check(z.int(), z.gte(0))) }),
  // supervisors (and admins) only: any open chat, read-only
  z.object({ action: z.literal('watch'), requestId, chatId }),
  z.object({ action: z.literal('unwatch'), requestId, chatId }),
  // a presigned URL to upload a file to a chat the agent holds; `send` then names the reply's `attachment`
  z.object({
    action: z.literal('upload'),
    requestId,
    chatId,
    name: z.string().check(z.minLength(1), z.maxLength(256)),
    contentType: z.string().check(z.regex(contentTypePattern, 'Not a content type like image/jpeg.')),
    size: z.number().check(z.int(), z.gte(1), z.lte(Number.MAX_SAFE_INTEGER)),
  }),
  // the agent is typing / has seen the chat: shown to the customer (no reply)
  z.object({ action: z.literal('typing'), requestId, chatId }),
  z.object({ action: z.literal('seen'), requestId, chatId }),
  // private notes: never sent to the customer
  z.object({ action: z.literal('note'), requestId, chatId, text: noteText }),
  z.object({ action: z.literal('notes'), requestId, chatId }),
  // the customer's earlier chats (every channel of a linked contact)
  z.object({
    action: z.literal('customerHistory'),
    requestId,
    chatId,
    limit: z.optional(z.number().check(z.int(), z.gte(1), z.lte(maxHistoryLimit))),
    nextToken: z.optional(z.string().check(z.minLength(1), z.maxLength(400))),
  }),
]);

export type ClientFrame = z.infer<typeof clientFrameSchema>;

const authorizerContext = z.object({ agentId: z.string().check(z.minLength(1)), groups: z.optional(z.string()) });

/** Where a frame came from: the connection, and the groups its token carried at `$connect`. */
export interface FrameOrigin {
  connectionId: string;
  groups: string[];
}

/** The connection and groups of a frame, as the `$connect` authorizer established them (groups joined by commas). */
export function originOf(event: { requestContext: { connectionId: string } }): FrameOrigin {
  const context = z.object({ authorizer: authorizerContext }).safeParse(event.requestContext);
  const groups = context.data?.authorizer.groups;
  return { connectionId: event.requestContext.connectionId, groups: groups ? groups.split(',').filter((g) => g.length > 0) : [] };
}

/** The agent a connection belongs to, as the `$connect` authorizer established it. */
export function agentOf(event: { requestContext: unknown }): string {
  const context = z.object({ authorizer: authorizerContext }).parse(event.requestContext);
  return context.authorizer.agentId;
}

export type SocketEvent = APIGatewayProxyWebsocketEventV2;
