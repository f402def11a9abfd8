import { sql } from 'kysely'
import { check, settle, type AuditCheck } from './audit.ts'
import type { Target } from './target.ts'

export interface SoakOutcome {
  /** Bookings answered 201 and not cancelled since. */
  kept: string[]
  /** Bookings whose cancellation was answered 200. */
  cancelled: string[]
  /** Commands whose outcome the bench could not know (202, 5xx, a failed connection). */
  uncertain: number
  /** Answers other than each kind's expected one, by "kind status". */
  unexpected: Map<string, number>
  maps: { exact: number, total: number }
}

/** Holds expired longer ago than this must have been tidied: two sweeps (every 5 s) and some. */
const SWEPT_WITHIN_S = 15

/**
 * After a soak (bench/lib/audit.ts's checks, with cancellations): no seat sold twice, every 201
 * still confirmed unless its cancellation was answered, every answered cancellation cancelled, no
 * booking nobody was told of, seat counts that add up, expired holds tidied by the sweeper, every
 * open live map equal to the database, and no command refused.
 */
export async function auditSoak (target: Target, eventIds: string[], outcome: SoakOutcome): Promise<AuditCheck[]> {
  const db = target.db!
  const settled = await settle(target, eventIds)
  const { kept, cancelled, uncertain } = outcome
  const { rows: [r] } = await sql<{ doubles: number, confirmed: number, cancelledRows: number, keptFound: number, cancelledFound: number, activeSeats: number, confirmedSeats: number, marked: number, unswept: number }>`
    select (select count(*)::int from (select 1 from booking_seats where active and event_id = any(${eventIds}::uuid[]) group by event_id, seat_id having count(*) > 1) d) as doubles,
           (select count(*)::int from bookings where event_id = any(${eventIds}::uuid[]) and status = 'confirmed') as confirmed,
           (select count(*)::int from bookings where event_id = any(${eventIds}::uuid[]) and status = 'cancelled') as "cancelledRows",
           (select count(*)::int from bookings where id = any(${kept}::uuid[]) and status = 'confirmed') as "keptFound",
           (select count(*)::int from bookings where id = any(${cancelled}::uuid[]) and status = 'cancelled') as "cancelledFound",
           (select count(*)::int from booking_seats where active and event_id = any(${eventIds}::uuid[])) as "activeSeats",
           (select count(*)::int from booking_seats bs join bookings b on b.id = bs.booking_id
             where b.status = 'confirmed' and b.event_id = any(${eventIds}::uuid[])) as "confirmedSeats",
           (select count(*)::int from seats where status = 'booked' and event_id = any(${eventIds}::uuid[])) as marked,
           (select count(*)::int from seats where status = 'held' and hold_expires_at < now() - make_interval(secs => ${SWEPT_WITHIN_S})
               and event_id = any(${eventIds}::uuid[])) as unswept`.execute(db)
  const { doubles, confirmed, cancelledRows, keptFound, cancelledFound, activeSeats, confirmedSeats, marked, unswept } = r!
  const refused = [...outcome.unexpected].filter(([key]) => /\s4\d\d$/.test(key))
  const maps = outcome.maps
  return [
    ...(settled ? [] : [check('the load settled within 30 s', false, 'the booked count was still moving when the audit read it')]),
    check('the load booked something', kept.length + cancelled.length > 0, `${kept.length} bookings kept, ${cancelled.length} cancelled`),
    check('no seat sold twice', doubles === 0, `${doubles} seats with two active bookings`),
    check('every 201 is in the database', keptFound === kept.length, `${keptFound} of ${kept.length} kept bookings confirmed`),
    check('every cancellation is in the database', cancelledFound === cancelled.length, `${cancelledFound} of ${cancelled.length} cancellations answered 200 are cancelled`),
    check('no booking without an answer', confirmed - kept.length >= 0 && confirmed + cancelledRows - kept.length - cancelled.length <= uncertain,
      `${confirmed} confirmed and ${cancelledRows} cancelled in the database, ${kept.length} and ${cancelled.length} answered, ${uncertain} answers uncertain (202, 5xx, failed)`),
    check('seat counts add up', activeSeats === confirmedSeats && marked === activeSeats, `${activeSeats} active booked seat rows, ${confirmedSeats} of confirmed bookings, ${marked} seats marked booked`),
    check('the sweeper tidied every expired hold', unswept === 0, `${unswept} seats still marked held ${SWEPT_WITHIN_S} s after their hold expired`),
    check('every open live map ends equal to the database', maps.total > 0 && maps.exact === maps.total, `${maps.exact} of ${maps.total} maps exact`),
    check('no command refused', refused.length === 0, refused.length === 0 ? 'no 4xx' : refused.map(([k, n]) => `${k}: ${n}`).join(', ')),
  ]
}
