import { PendingRequest, ProblemSchema } from '@seatline/contracts'
import Type, { type TSchema } from 'typebox'

/** A route's replies: its own, plus problem+json for every 4xx and 5xx. */
export function replies<R extends Record<number, TSchema>> (own: R) {
  return { ...own, '4xx': ProblemSchema, '5xx': ProblemSchema }
}

/** A queued command's replies: its success, or 202 with a request to poll, or a problem. */
export function commandReplies<R extends Record<number, TSchema>> (success: R) {
  return replies({ ...success, 202: PendingRequest })
}

export const EVENT_STREAM_TYPE = 'text/event-stream'

/**
 * A Server-Sent Events reply, for the document only: the route hijacks the reply and writes the
 * stream itself, so Fastify never serializes it. OpenAPI 3.1 cannot say "a sequence of", so the
 * schema is one message, as a client's parser hands it on: its `event` name, its `id` where the
 * stream sends ids, and its `data` parsed as JSON.
 */
export function eventStreamReply (description: string, messages: Record<string, TSchema>, { ids }: { ids: boolean }) {
  const oneOf = Object.entries(messages).map(([event, data]) => Type.Object({
    event: Type.Literal(event),
    ...(ids && { id: Type.String({ description: 'send it back as Last-Event-ID to resume after this message' }) }),
    data,
  }, { title: event }))
  return {
    description,
    content: { [EVENT_STREAM_TYPE]: { schema: { description: 'One message of the stream: `event:`, `id:` and `data:` (JSON) lines', oneOf } } },
  }
}
