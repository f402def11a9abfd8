import type { ColumnType, Generated } from 'kysely'

type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type Timestamp = ColumnType<Date, Date | string, Date | string>
/** Postgres bigint arrives as a string: compare fences in SQL, or as numbers. */
type Fence = ColumnType<string, number | string | undefined, number | string>

export interface UsersTable {
  id: Generated<string>
  email: string
  password_hash: string
  /** Tokens issued with another version are refused: raising it signs the user out everywhere. */
  token_version: Generated<number>
  created_at: CreatedAt
}

export interface EventsTable {
  id: Generated<string>
  name: string
  starts_at: Timestamp | null
  /** The organiser. */
  created_by: string
  created_at: CreatedAt
  sale_opens_at: ColumnType<Date, Date | string | undefined, Date | string>
  sale_closes_at: Timestamp | null
  sale_paused: ColumnType<boolean, boolean | undefined, boolean>
  max_seats_per_buyer: number | null
  /** The waiting room (migration T09): both set, or neither. */
  admit_per_minute: number | null
  admission_seconds: number | null
  /** When the waiting room sold out or closed for good (its admission step stops a day later). */
  waiting_room_settled_at: Timestamp | null
}

/** The lock row of a buyer in an event with a buyer limit (migration T07). */
export interface EventBuyersTable {
  event_id: string
  user_id: string
}

export interface SectionsTable {
  id: Generated<string>
  event_id: string
  name: string
  capacity: number
  remaining: number
  price_cents: number | null
  fence: Fence
}

export type SeatState = 'available' | 'held' | 'booked'

export interface SeatsTable {
  event_id: string
  seat_id: string
  section: string | null
  status: ColumnType<SeatState, SeatState | undefined, SeatState>
  hold_id: string | null
  hold_expires_at: Timestamp | null
  booking_id: string | null
  fence: Fence
}

/** The `seat_states` view: seats as every reader sees them (migration T03 defines the rule, T06 the version). */
export interface SeatStatesView {
  event_id: string
  seat_id: string
  section: string | null
  /** An expired hold already reads as available. */
  status: SeatState
  /** Set only while the seat is held. */
  hold_expires_at: Date | null
  hold_id: string | null
  booking_id: string | null
  fence: string
  /** The seat's entry in a SEATS_UNAVAILABLE refusal; null when available. */
  refusal: { seatId: string, status: 'held' | 'booked', retryAfterSeconds?: number } | null
  /** Grows with every change of the seat, its hold expiring included (migration T06). */
  version: string
}

export interface HoldsTable {
  id: string
  event_id: string
  user_id: string
  seat_ids: string[]
  status: 'active' | 'confirmed' | 'released'
  expires_at: Timestamp
  booking_id: string | null
  created_at: CreatedAt
}

export interface BookingsTable {
  id: string
  event_id: string
  user_id: string
  status: 'confirmed' | 'cancelled'
  section_id: string | null
  /** The places it takes: its seats, or its general-admission quantity. */
  quantity: number | null
  created_at: CreatedAt
  cancelled_at: Timestamp | null
}

export interface BookingSeatsTable {
  booking_id: string
  event_id: string
  seat_id: string
  active: ColumnType<boolean, boolean | undefined, boolean>
}

type RequestStatus = 'pending' | 'succeeded' | 'failed'

export interface RequestsTable {
  id: string
  user_id: string
  command: ColumnType<unknown, string, never>
  status: ColumnType<RequestStatus, RequestStatus | undefined, RequestStatus>
  result: ColumnType<unknown, string | undefined, string>
  created_at: CreatedAt
  completed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>
}

export interface IdempotencyKeysTable {
  user_id: string
  key: string
  fingerprint: string
  request_id: string
  created_at: CreatedAt
}

export interface Database {
  users: UsersTable
  events: EventsTable
  event_buyers: EventBuyersTable
  sections: SectionsTable
  seats: SeatsTable
  seat_states: SeatStatesView
  holds: HoldsTable
  bookings: BookingsTable
  booking_seats: BookingSeatsTable
  requests: RequestsTable
  idempotency_keys: IdempotencyKeysTable
}
