import { sql } from 'kysely'
import type { Target } from './target.ts'

export interface AuditCheck { name: string, ok: boolean, detail: string }
export interface Audit { ok: boolean, checks: AuditCheck[] }

export function audit (checks: AuditCheck[]): Audit {
  return { ok: checks.every((c) => c.ok), checks }
}

export function check (name: string, ok: boolean, detail: string): AuditCheck {
  return { name, ok, detail }
}

async function bookedSeatsOf (target: Target, eventIds: string[]): Promise<number> {
  if (target.db) {
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from seats where status = 'booked' and event_id = any(${eventIds}::uuid[])`.execute(target.db)
    return rows[0]!.n
  }
  let booked = 0
  for (const id of eventIds) {
    const event = await (await fetch(`${target.url}/v1/events/${id}`)).json() as { seats: { booked: number } }
    booked += event.seats.booked
  }
  return booked
}

/** How long `settle` waits for the booked count to hold still. */
const SETTLE_MS = 30_000

/**
 * Waits until the commands still in flight when the load stopped have landed: the booked count
 * holds still for a second (at most 30 s), so the audit compares finished states. False when it
 * never held still: the audit would then compare a moving count, and must say so.
 */
export async function settle (target: Target, eventIds: string[]): Promise<boolean> {
  let last = -1
  const deadline = Date.now() + SETTLE_MS
  while (Date.now() < deadline) {
    const now = await bookedSeatsOf(target, eventIds)
    if (now === last) return true
    last = now
    await new Promise((resolve) => setTimeout(resolve, 1_000))
  }
  return false
}

/**
 * After the load: no seat sold twice, every 201 in the database, no booking beyond those answered
 * (except requests the load generator cut off in flight when it stopped), and seat counts that
 * agree with the bookings. Read from the database when the bench owns the stack, from the API's
 * event counts otherwise.
 */
export async function auditSeatBookings (target: Target, eventIds: string[], created: string[], seatsPerBooking: number, inFlight: number): Promise<AuditCheck[]> {
  const settled = await settle(target, eventIds)
  const unsettled = settled ? [] : [check(`the load settled within ${SETTLE_MS / 1000} s`, false, 'the booked count was still moving when the audit read it')]
  if (!target.db) {
    const booked = await bookedSeatsOf(target, eventIds)
    const extra = booked / seatsPerBooking - created.length
    return [
      ...unsettled,
      // Through the API only counts can be compared, and 0 booked matches 0 answered: a load that
      // booked nothing must fail here as it does on a stack the bench started.
      check('the load booked something', created.length > 0, `${created.length} bookings answered 201`),
      check('booked seats match the 201s', extra >= 0 && extra <= inFlight, `${booked} booked seats, ${created.length} bookings answered 201, ${inFlight} cut off in flight at most`),
    ]
  }
  if (target.name === 'peer') return [...unsettled, ...await auditPeerBookings(target, eventIds, created, inFlight)]
  const db = target.db
  const doubles = await sql<{ n: number }>`
    select count(*)::int as n from (
      select event_id, seat_id from booking_seats
       where active and event_id = any(${eventIds}::uuid[])
       group by event_id, seat_id having count(*) > 1) d`.execute(db)
  const bookings = await sql<{ n: number, seats: number }>`
    select count(distinct b.id)::int as n, count(bs.seat_id)::int as seats
      from bookings b left join booking_seats bs on bs.booking_id = b.id
     where b.status = 'confirmed' and b.event_id = any(${eventIds}::uuid[])`.execute(db)
  const found = await sql<{ n: number }>`select count(*)::int as n from bookings where id = any(${created}::uuid[]) and status = 'confirmed'`.execute(db)
  const bookedSeats = await sql<{ n: number }>`select count(*)::int as n from seats where status = 'booked' and event_id = any(${eventIds}::uuid[])`.execute(db)
  const { n, seats } = bookings.rows[0]!
  return [
    ...unsettled,
    check('the load booked something', created.length > 0, `${created.length} bookings answered 201`),
    check('no seat sold twice', doubles.rows[0]!.n === 0, `${doubles.rows[0]!.n} seats with two active bookings`),
    check('every 201 is in the database', found.rows[0]!.n === created.length, `${found.rows[0]!.n} of ${created.length} answered bookings found`),
    check('no booking without a 201', n >= created.length && n - created.length <= inFlight,
      `${n} bookings in the database, ${created.length} answered 201, ${n - created.length} from requests cut off in flight (at most ${inFlight})`),
    check('seat counts add up', seats === n * seatsPerBooking && bookedSeats.rows[0]!.n === seats, `${seats} booked seat rows, ${bookedSeats.rows[0]!.n} seats marked booked, ${n} bookings of ${seatsPerBooking}`),
  ]
}

/** The same checks on the peer's own tables. */
async function auditPeerBookings (target: Target, eventIds: string[], created: string[], inFlight: number): Promise<AuditCheck[]> {
  const db = target.db!
  const { rows } = await sql<{ doubles: number, bookings: number, found: number, booked: number }>`
    select (select count(*)::int from (select 1 from peer_bookings where event_id = any(${eventIds}::uuid[]) group by event_id, seat_id having count(*) > 1) d) as doubles,
           (select count(*)::int from peer_bookings where event_id = any(${eventIds}::uuid[])) as bookings,
           (select count(*)::int from peer_bookings where id = any(${created}::uuid[])) as found,
           (select count(*)::int from peer_seats where status = 'booked' and event_id = any(${eventIds}::uuid[])) as booked`.execute(db)
  const { doubles, bookings, found, booked } = rows[0]!
  return [
    check('the load booked something', created.length > 0, `${created.length} bookings answered 201`),
    check('no seat sold twice', doubles === 0, `${doubles} seats booked twice`),
    check('every 201 is in the database', found === created.length, `${found} of ${created.length} answered bookings found`),
    check('no booking without a 201', bookings >= created.length && bookings - created.length <= inFlight, `${bookings} bookings, ${created.length} answered 201`),
    check('seat counts add up', booked === bookings, `${booked} seats marked booked, ${bookings} bookings`),
  ]
}

/** The booking id of a 201 body, found without parsing the whole reply. */
export function bookingIdOf (body: string): string | undefined {
  const match = /"bookingId":"([0-9a-f-]{36})"/.exec(body)
  return match?.[1]
}

/** An autocannon `onResponse` that keeps the id of every booking answered 201, for the audit. */
export function collectBookings (created: string[]) {
  return (status: number, body: string): void => {
    if (status !== 201) return
    const id = bookingIdOf(body)
    if (id) created.push(id)
  }
}

/**
 * The audit of a sale whose bookings take one or more seats each, from the database of a stack
 * the bench started (auditSeatBookings counts a fixed number of seats per booking): no seat sold
 * twice, every 201 in the database and no booking without one, seat rows that add up to the
 * bookings' quantities. `oversold` is the number of seats with two active bookings.
 */
export async function auditBookingsOfAnySize (target: Target, eventId: string, created: string[]): Promise<{ checks: AuditCheck[], oversold: number, bookedSeats: number }> {
  const db = target.db!
  const settled = await settle(target, [eventId])
  const { rows: [r] } = await sql<{ doubles: number, bookings: number, quantity: number, seatRows: number, marked: number, found: number }>`
    select (select count(*)::int from (select 1 from booking_seats where active and event_id = ${eventId} group by seat_id having count(*) > 1) d) as doubles,
           (select count(*)::int from bookings where event_id = ${eventId} and status = 'confirmed') as bookings,
           (select coalesce(sum(quantity), 0)::int from bookings where event_id = ${eventId} and status = 'confirmed') as quantity,
           (select count(*)::int from booking_seats bs join bookings b on b.id = bs.booking_id where b.event_id = ${eventId} and b.status = 'confirmed') as "seatRows",
           (select count(*)::int from seats where event_id = ${eventId} and status = 'booked') as marked,
           (select count(*)::int from bookings where id = any(${created}::uuid[]) and status = 'confirmed') as found`.execute(db)
  const { doubles, bookings, quantity, seatRows, marked, found } = r!
  return {
    oversold: doubles,
    bookedSeats: marked,
    checks: [
      ...(settled ? [] : [check(`the load settled within ${SETTLE_MS / 1000} s`, false, 'the booked count was still moving when the audit read it')]),
      check('the load booked something', created.length > 0, `${created.length} bookings answered 201`),
      check('no seat sold twice', doubles === 0, `${doubles} seats with two active bookings`),
      check('every 201 is in the database', found === created.length, `${found} of ${created.length} answered bookings found`),
      check('no booking without a 201', bookings === created.length, `${bookings} bookings in the database, ${created.length} answered 201`),
      check('seat counts add up', seatRows === quantity && marked === seatRows, `${seatRows} booked seat rows, ${quantity} places in the bookings, ${marked} seats marked booked`),
    ],
  }
}

/** The most places one buyer has in the event, and how many buyers have more than `limit`. */
export async function buyerPlaces (target: Target, eventId: string, limit: number): Promise<{ most: number, above: number }> {
  const { rows: [r] } = await sql<{ most: number | null, above: number }>`
    select max(places)::int as most, count(*) filter (where places > ${limit})::int as above from (
      select sum(quantity) as places from bookings where event_id = ${eventId} and status = 'confirmed' group by user_id) b`.execute(target.db!)
  return { most: r?.most ?? 0, above: r?.above ?? 0 }
}
