/**
 * Every error code the API can answer with, its HTTP status and its title. Clients branch on the
 * code; the status and title follow from it, so they are defined once, here.
 */
export const PROBLEMS = {
  BAD_REQUEST: { status: 400, title: 'Bad request' },
  VALIDATION_FAILED: { status: 400, title: 'Validation failed' },
  UNAUTHENTICATED: { status: 401, title: 'Authentication required' },
  INVALID_CREDENTIALS: { status: 401, title: 'Invalid credentials' },
  NOT_HOLD_OWNER: { status: 403, title: 'Not the owner of this hold' },
  NOT_BOOKING_OWNER: { status: 403, title: 'Not the owner of this booking' },
  NOT_EVENT_ORGANISER: { status: 403, title: 'Not the organiser of this event' },
  NOT_ADMITTED: { status: 403, title: 'Not admitted from the waiting room' },
  ROUTE_NOT_FOUND: { status: 404, title: 'Route not found' },
  EVENT_NOT_FOUND: { status: 404, title: 'Event not found' },
  SEAT_NOT_FOUND: { status: 404, title: 'Seat not found' },
  SECTION_NOT_FOUND: { status: 404, title: 'Section not found' },
  HOLD_NOT_FOUND: { status: 404, title: 'Hold not found' },
  BOOKING_NOT_FOUND: { status: 404, title: 'Booking not found' },
  REQUEST_NOT_FOUND: { status: 404, title: 'Request not found' },
  QUEUE_TICKET_NOT_FOUND: { status: 404, title: 'Queue ticket not found' },
  EMAIL_TAKEN: { status: 409, title: 'Email already registered' },
  SEATS_UNAVAILABLE: { status: 409, title: 'Seats unavailable' },
  SOLD_OUT: { status: 409, title: 'Sold out' },
  HOLD_NOT_ACTIVE: { status: 409, title: 'Hold not active' },
  ALREADY_CANCELLED: { status: 409, title: 'Booking already cancelled' },
  SALE_NOT_OPEN: { status: 409, title: 'The sale has not opened yet' },
  SALE_CLOSED: { status: 409, title: 'The sale has closed' },
  SALE_PAUSED: { status: 409, title: 'The sale is paused' },
  SALE_ALREADY_OPEN: { status: 409, title: 'The sale has already opened' },
  BUYER_LIMIT_REACHED: { status: 409, title: 'Buyer limit reached' },
  NO_WAITING_ROOM: { status: 409, title: 'This event has no waiting room' },
  HOLD_EXPIRED: { status: 410, title: 'Hold expired' },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported media type' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'Idempotency key reused with a different request' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  INTERNAL: { status: 500, title: 'Internal server error' },
  OVERLOADED: { status: 503, title: 'Overloaded' },
  UNAVAILABLE: { status: 503, title: 'Service unavailable' },
} as const satisfies Record<string, { status: number, title: string }>

export type ProblemCode = keyof typeof PROBLEMS

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** RFC 9457 problem details, with Seatline's stable `code` and any extension members. */
export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  code: ProblemCode
  [extension: string]: unknown
}

export function problemType (code: ProblemCode): string {
  return `urn:seatline:problem:${code.toLowerCase().replaceAll('_', '-')}`
}

export function makeProblem (code: ProblemCode, detail: string, extensions: Record<string, unknown> = {}): Problem {
  const { status, title } = PROBLEMS[code]
  return { type: problemType(code), title, status, detail, code, ...extensions }
}
