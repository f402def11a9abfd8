/**
 * What the gateway puts on a partition queue and what the worker gives back. A domain refusal is
 * a result (`ok: false` with a code), never a failed job: only infrastructure faults fail a job.
 * Every command carries the request id it is recorded under, which makes it idempotent.
 */
import type { Booking } from './http-bookings.ts'
import type { Hold } from './http-holds.ts'
import type { ProblemCode } from './problems.ts'

interface CommandBase {
  requestId: string
  userId: string
  eventId: string
  /** The id of the HTTP request that sent it (x-request-id): the worker logs it, so one search finds both ends. */
  reqId?: string
}

/** Commands that take seats: on an event with a waiting room they carry the buyer's admission. */
interface TakingSeats extends CommandBase {
  /** When the admission the gateway found ends (ISO); the transaction refuses a command past it. */
  admittedUntil?: string
}

export interface BookSeatsCommand extends TakingSeats {
  type: 'book-seats'
  seatIds: string[]
}

export interface BookSectionCommand extends TakingSeats {
  type: 'book-section'
  sectionId: string
  quantity: number
}

export interface HoldSeatsCommand extends TakingSeats {
  type: 'hold-seats'
  seatIds: string[]
  ttlSeconds: number
}

/** Hold commands carry the hold's seats (read by the gateway) so the worker can lock them first. */
export interface ConfirmHoldCommand extends CommandBase {
  type: 'confirm-hold'
  holdId: string
  seatIds: string[]
}

export interface ReleaseHoldCommand extends CommandBase {
  type: 'release-hold'
  holdId: string
  seatIds: string[]
}

export interface CancelBookingCommand extends CommandBase {
  type: 'cancel-booking'
  bookingId: string
  seatIds: string[]
  sectionId: string | null
}

export type Command =
  | BookSeatsCommand | BookSectionCommand | HoldSeatsCommand
  | ConfirmHoldCommand | ReleaseHoldCommand | CancelBookingCommand

/**
 * The payload of every partition job: one partition's commands in arrival order (often just
 * one). Its return value is their results, in the same order.
 */
export interface CommandJob {
  commands: Command[]
}

export interface RefusedSeat {
  seatId: string
  status: 'held' | 'booked'
  retryAfterSeconds?: number
}

export type DomainRefusalCode = Extract<ProblemCode,
  | 'EVENT_NOT_FOUND' | 'SEAT_NOT_FOUND' | 'SECTION_NOT_FOUND' | 'SEATS_UNAVAILABLE' | 'SOLD_OUT'
  | 'HOLD_NOT_FOUND' | 'NOT_HOLD_OWNER' | 'HOLD_EXPIRED' | 'HOLD_NOT_ACTIVE'
  | 'BOOKING_NOT_FOUND' | 'NOT_BOOKING_OWNER' | 'ALREADY_CANCELLED' | 'UNAVAILABLE'
  | 'SALE_NOT_OPEN' | 'SALE_CLOSED' | 'SALE_PAUSED' | 'BUYER_LIMIT_REACHED' | 'NOT_ADMITTED'>

export interface Refusal {
  ok: false
  code: DomainRefusalCode
  detail: string
  seats?: RefusedSeat[]
  seatIds?: string[]
  remaining?: number
  /** SALE_NOT_OPEN: when it opens (the reply's Retry-After counts down to it). */
  opensAt?: string
  /** SALE_CLOSED: when it closed. */
  closesAt?: string
  /** BUYER_LIMIT_REACHED: the event's limit and the places the buyer has now. */
  limit?: number
  current?: number
  /** NOT_ADMITTED: where the buyer's queue ticket stands (null without one), and its place when waiting. */
  ticketStatus?: string | null
  position?: number
}

export type Success =
  | { ok: true, kind: 'booking', booking: Booking }
  | { ok: true, kind: 'cancellation', booking: Booking }
  | { ok: true, kind: 'hold', hold: Hold }
  | { ok: true, kind: 'release', holdId: string }

export type CommandResult = Success | Refusal

export function refuse (code: DomainRefusalCode, detail: string, extensions: Omit<Refusal, 'ok' | 'code' | 'detail'> = {}): Refusal {
  return { ok: false, code, detail, ...extensions }
}

export function isRefusal (value: object): value is Refusal {
  return 'ok' in value && value.ok === false
}

/** The refusal of seats that are taken; the worker's SQL words it the same way. */
export function seatsUnavailable (seats: RefusedSeat[]): Refusal {
  return refuse('SEATS_UNAVAILABLE', `not available: ${seats.map((s) => `${s.seatId} (${s.status})`).join(', ')}`, { seats })
}
