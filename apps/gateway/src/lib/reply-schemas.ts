import { PendingRequest, ProblemSchema } from '@seatline/contracts'
import type { TSchema } from 'typebox'

/** A route's replies: its own, plus problem+json for every 4xx and 5xx. */
export function replies<R extends Record<number, TSchema>> (own: R) {
  return { ...own, '4xx': ProblemSchema, '5xx': ProblemSchema }
}

/** A queued command's replies: its success, or 202 with a request to poll, or a problem. */
export function commandReplies<R extends Record<number, TSchema>> (success: R) {
  return replies({ ...success, 202: PendingRequest })
}
