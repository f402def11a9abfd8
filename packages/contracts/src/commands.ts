/**
 * What the gateway puts on a partition queue and what the worker gives back. A domain refusal is
 * a result (`ok: false` with a code), never a failed job: only infrastructure faults fail a job.
 */
import type { Booking } from './http-bookings.ts'
import type { ProblemCode } from './problems.ts'

export interface BookSeatsCommand {
  type: 'book-seats'
  requestId: string
  userId: string
  eventId: string
  seatIds: string[]
}

export type Command = BookSeatsCommand

export interface RefusedSeat {
  seatId: string
  status: 'held' | 'booked'
  retryAfterSeconds?: number
}

export type DomainRefusalCode = Extract<ProblemCode,
  | 'EVENT_NOT_FOUND' | 'SEAT_NOT_FOUND' | 'SECTION_NOT_FOUND' | 'SEATS_UNAVAILABLE' | 'SOLD_OUT'
  | 'HOLD_NOT_FOUND' | 'NOT_HOLD_OWNER' | 'HOLD_EXPIRED' | 'HOLD_NOT_ACTIVE'
  | 'BOOKING_NOT_FOUND' | 'NOT_BOOKING_OWNER' | 'ALREADY_CANCELLED' | 'UNAVAILABLE'>

export interface Refusal {
  ok: false
  code: DomainRefusalCode
  detail: string
  seats?: RefusedSeat[]
  seatIds?: string[]
  remaining?: number
}

export interface BookingCreated {
  ok: true
  kind: 'booking'
  booking: Booking
}

export type CommandResult = BookingCreated | Refusal
