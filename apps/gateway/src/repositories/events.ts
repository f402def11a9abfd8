import { type CreateEventBody, DEFAULT_ADMISSION_SECONDS, type EventDetail, type EventSummary, type PatchEventBody, type Sale, type SaleStatus, type SeatChange, type SeatCounts, type SeatStatus, type SeatView, type SectionChange } from '@seatline/contracts'
import { type Database, type Db, insertSeats } from '@seatline/db'
import { type ExpressionBuilder, sql } from 'kysely'
import { ExpiringSet } from '../lib/expiring-set.ts'

const CHECK_VIOLATION = '23514'
/**
 * How old an event's sale settings may be when a command or a join reads them: past the first,
 * a read refreshes them for the next; past the second (a quiet event), it waits for fresh ones.
 */
const SALE_SETTINGS_MS = 1_000
const STALE_SALE_SETTINGS_MS = 5_000
const MAX_SALES_CACHED = 10_000

/** The sale's columns of an event row, and its status by the rule in SQL (`seatline_sale_status`). */
function saleColumns (eb: ExpressionBuilder<Database, 'events'>) {
  return [
    eb.ref('events.sale_opens_at').as('sale_opens_at'),
    eb.ref('events.sale_closes_at').as('sale_closes_at'),
    eb.ref('events.sale_paused').as('sale_paused'),
    eb.ref('events.max_seats_per_buyer').as('max_seats_per_buyer'),
    eb.ref('events.admit_per_minute').as('admit_per_minute'),
    eb.ref('events.admission_seconds').as('admission_seconds'),
    sql<SaleStatus>`seatline_sale_status(events.id, events.sale_opens_at, events.sale_closes_at, events.sale_paused)`.as('sale_status'),
  ]
}

interface SaleRow {
  sale_opens_at: Date
  sale_closes_at: Date | null
  sale_paused: boolean
  max_seats_per_buyer: number | null
  admit_per_minute: number | null
  admission_seconds: number | null
  sale_status: SaleStatus
}

function saleOf (row: SaleRow): Sale {
  return {
    opensAt: row.sale_opens_at.toISOString(),
    closesAt: row.sale_closes_at?.toISOString() ?? null,
    maxSeatsPerBuyer: row.max_seats_per_buyer,
    paused: row.sale_paused,
    waitingRoom: row.admit_per_minute && row.admission_seconds ? { admitPerMinute: row.admit_per_minute, admissionSeconds: row.admission_seconds } : null,
    status: row.sale_status,
  }
}

function waitingRoomColumns (room: { admitPerMinute: number, admissionSeconds?: number } | null) {
  return { admit_per_minute: room?.admitPerMinute ?? null, admission_seconds: room ? room.admissionSeconds ?? DEFAULT_ADMISSION_SECONDS : null }
}

/** What the command and queue routes need of an event's sale, read at most once a second. */
export interface SaleSettings {
  opensAt: Date
  closesAt: Date | null
  paused: boolean
  waitingRoom: { admitPerMinute: number, admissionSeconds: number } | null
  /** The waiting room sold out or closed for good: nobody joins any more. */
  settled: boolean
}

/** Why a change to an event was not made; undefined when it was. */
export type EventChangeRefusal = 'not-found' | 'not-organiser' | 'sale-already-open' | 'closes-before-opens'

function isCheckViolation (error: unknown): boolean {
  return (error as { code?: string }).code === CHECK_VIOLATION
}

export class EventsRepository {
  readonly #db: Db
  /**
   * Events are never deleted, so once seen an id stays valid: spare the hot path a query. Bounded,
   * so a flood of junk events cannot grow the heap: an id forgotten is looked up again.
   */
  readonly #known = new ExpiringSet(60 * 60_000, 100_000)
  readonly #sales = new Map<string, { at: number, settings: SaleSettings }>()
  readonly #reading = new Map<string, Promise<SaleSettings | undefined>>()

  readonly #eventsPerUserPerDay: number

  /** `eventsPerUserPerDay`: how many events one user may create in 24 hours; 0 is no limit. */
  constructor (db: Db, { eventsPerUserPerDay = 0 }: { eventsPerUserPerDay?: number } = {}) {
    this.#db = db
    this.#eventsPerUserPerDay = eventsPerUserPerDay
  }

  /** The new event, or why it was not made: its sale would close before it opens, or its creator is over their quota. */
  async create (userId: string, body: CreateEventBody): Promise<EventDetail | 'closes-before-opens' | { quotaRetryAfterS: number }> {
    const sale = body.sale ?? {}
    const id = await this.#db.transaction().execute(async (trx) => {
      if (this.#eventsPerUserPerDay > 0) {
        // One creator's events are counted one transaction at a time, so a burst cannot pass the quota together.
        await sql`select pg_advisory_xact_lock(hashtextextended(${`events-by:${userId}`}, 0))`.execute(trx)
        const { rows: [today] } = await sql<{ count: number, frees_in_s: number | null }>`
          select count(*)::int as count, ceil(extract(epoch from min(created_at) + interval '1 day' - now()))::int as frees_in_s
            from (select created_at from events where created_by = ${userId} and created_at > now() - interval '1 day'
                  order by created_at desc limit ${this.#eventsPerUserPerDay}) recent`.execute(trx)
        if (today!.count >= this.#eventsPerUserPerDay) return { quotaRetryAfterS: Math.max(1, today!.frees_in_s ?? 1) }
      }
      const event = await trx.insertInto('events')
        .values({
          name: body.name,
          starts_at: body.startsAt ?? null,
          created_by: userId,
          // Left out, the sale opens at the database's "now", the clock every command is judged by.
          ...(sale.opensAt ? { sale_opens_at: sale.opensAt } : {}),
          sale_closes_at: sale.closesAt ?? null,
          max_seats_per_buyer: sale.maxSeatsPerBuyer ?? null,
          sale_paused: sale.paused ?? false,
          ...waitingRoomColumns(sale.waitingRoom ?? null),
        })
        .returning('id').executeTakeFirstOrThrow()
      if (body.sections?.length) {
        await trx.insertInto('sections').values(body.sections.map((s) => ({
          event_id: event.id, name: s.name, capacity: s.capacity, remaining: s.capacity, price_cents: s.priceCents ?? null,
        }))).execute()
      }
      await insertSeats(trx, event.id, body.seats ?? [])
      return event.id
    }).catch((error: unknown) => {
      if (isCheckViolation(error)) return 'closes-before-opens' as const
      throw error
    })
    if (id === 'closes-before-opens' || typeof id !== 'string') return id
    this.#known.add(id)
    return (await this.detail(id))!
  }

  /**
   * An event's sale as the command and queue routes need it, at most about a second old: a
   * command on an event with a waiting room checks the buyer's admission here, and the
   * transaction checks the admission the command carries against the sale as it is (so a stale
   * answer here can refuse for a second, never let through). A known event answers at once, from
   * memory, and an older answer is refreshed behind it: commands must not wait for a query here,
   * or one that did would fall behind those that came after it in its seat's line.
   */
  async saleSettings (eventId: string): Promise<SaleSettings | undefined> {
    const cached = this.#sales.get(eventId)
    const age = cached ? Date.now() - cached.at : Number.POSITIVE_INFINITY
    if (age > STALE_SALE_SETTINGS_MS) return this.#readSale(eventId)
    if (age > SALE_SETTINGS_MS && !this.#reading.has(eventId)) this.#readSale(eventId).catch(() => {})
    return cached!.settings
  }

  /** Reads an event's sale into memory; callers that ask while it runs share it. */
  #readSale (eventId: string): Promise<SaleSettings | undefined> {
    let reading = this.#reading.get(eventId)
    if (!reading) {
      reading = (async () => {
        const row = await this.#db.selectFrom('events')
          .select(['sale_opens_at', 'sale_closes_at', 'sale_paused', 'admit_per_minute', 'admission_seconds', 'waiting_room_settled_at'])
          .where('id', '=', eventId).executeTakeFirst()
        if (!row) return undefined
        const settings: SaleSettings = {
          opensAt: row.sale_opens_at,
          closesAt: row.sale_closes_at,
          paused: row.sale_paused,
          waitingRoom: row.admit_per_minute && row.admission_seconds ? { admitPerMinute: row.admit_per_minute, admissionSeconds: row.admission_seconds } : null,
          settled: row.waiting_room_settled_at !== null,
        }
        if (this.#sales.size >= MAX_SALES_CACHED) this.#sales.delete(this.#sales.keys().next().value!)
        this.#sales.set(eventId, { at: Date.now(), settings })
        return settings
      })().finally(() => this.#reading.delete(eventId))
      this.#reading.set(eventId, reading)
    }
    return reading
  }

  /** The organiser of an event, or undefined when there is no such event. */
  async organiserOf (eventId: string): Promise<string | undefined> {
    const row = await this.#db.selectFrom('events').select('created_by').where('id', '=', eventId).executeTakeFirst()
    if (row) this.#known.add(eventId)
    return row?.created_by
  }

  /**
   * Changes an event as its organiser asks. The row is locked against other changes only
   * (FOR NO KEY UPDATE does not wait for the bookings that reference it), and the opening time
   * cannot move once it has passed: buyers were let in by it.
   */
  async change (eventId: string, userId: string, body: PatchEventBody): Promise<EventChangeRefusal | undefined> {
    const sale = body.sale ?? {}
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom('events').select('created_by')
          .select(sql<boolean>`sale_opens_at <= now()`.as('opened'))
          .select(sql<boolean>`sale_opens_at = ${sale.opensAt ?? null}::timestamptz`.as('same_opening'))
          .where('id', '=', eventId).forNoKeyUpdate().executeTakeFirst()
        if (!row) return 'not-found'
        if (row.created_by !== userId) return 'not-organiser'
        if (sale.opensAt !== undefined && row.opened && !row.same_opening) return 'sale-already-open'
        const changes = {
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.startsAt !== undefined ? { starts_at: body.startsAt } : {}),
          ...(sale.opensAt !== undefined ? { sale_opens_at: sale.opensAt } : {}),
          ...(sale.closesAt !== undefined ? { sale_closes_at: sale.closesAt } : {}),
          ...(sale.maxSeatsPerBuyer !== undefined ? { max_seats_per_buyer: sale.maxSeatsPerBuyer } : {}),
          ...(sale.paused !== undefined ? { sale_paused: sale.paused } : {}),
          ...(sale.waitingRoom !== undefined ? { ...waitingRoomColumns(sale.waitingRoom), waiting_room_settled_at: null } : {}),
        }
        if (Object.keys(changes).length > 0) await trx.updateTable('events').set(changes).where('id', '=', eventId).execute()
        return undefined
      }).finally(() => this.#sales.delete(eventId))
    } catch (error) {
      if (isCheckViolation(error)) return 'closes-before-opens'
      throw error
    }
  }

  async exists (eventId: string): Promise<boolean> {
    if (this.#known.has(eventId)) return true
    const row = await this.#db.selectFrom('events').select('id').where('id', '=', eventId).executeTakeFirst()
    if (row) this.#known.add(eventId)
    return row !== undefined
  }

  async detail (eventId: string): Promise<EventDetail | undefined> {
    const event = await this.#db.selectFrom('events').select(['id', 'name', 'starts_at', 'created_at']).select(saleColumns)
      .where('id', '=', eventId).executeTakeFirst()
    if (!event) return undefined
    const [counts, sections] = await Promise.all([
      this.counts(eventId),
      this.#db.selectFrom('sections').select(['id', 'name', 'capacity', 'remaining', 'price_cents', 'fence'])
        .where('event_id', '=', eventId).orderBy('name').orderBy('id').execute(),
    ])
    return {
      id: event.id,
      name: event.name,
      startsAt: event.starts_at?.toISOString() ?? null,
      createdAt: event.created_at.toISOString(),
      seats: counts,
      sections: sections.map((s) => ({ id: s.id, name: s.name, capacity: s.capacity, remaining: s.remaining, priceCents: s.price_cents, version: Number(s.fence) })),
      sale: saleOf(event),
    }
  }

  async counts (eventId: string): Promise<SeatCounts> {
    const { rows } = await sql<SeatCounts>`
      select count(*)::int as total,
             count(*) filter (where status = 'available')::int as available,
             count(*) filter (where status = 'held')::int as held,
             count(*) filter (where status = 'booked')::int as booked
        from seat_states where event_id = ${eventId}`.execute(this.#db)
    return rows[0]!
  }

  /** These seats as they are now, with their versions: what a live map is sent. */
  async seatChanges (eventId: string, seatIds: readonly string[]): Promise<SeatChange[]> {
    if (seatIds.length === 0) return []
    const rows = await this.#db.selectFrom('seat_states').select(['seat_id', 'status', 'hold_expires_at', 'version'])
      .where('event_id', '=', eventId).where('seat_id', '=', (eb) => eb.fn.any(eb.val([...seatIds])))
      .execute()
    return rows.map(seatView)
  }

  /** These sections' remaining places now, with their versions. */
  async sectionChanges (eventId: string, sectionIds: readonly string[]): Promise<SectionChange[]> {
    if (sectionIds.length === 0) return []
    const rows = await this.#db.selectFrom('sections').select(['id', 'remaining', 'fence'])
      .where('event_id', '=', eventId).where('id', 'in', [...sectionIds]).execute()
    return rows.map((r) => ({ sectionId: r.id, remaining: r.remaining, version: Number(r.fence) }))
  }

  /**
   * Newest first, every event or one organiser's; the cursor is the last event's id, compared at
   * the database's full precision.
   */
  async list (limit: number, after: string | undefined, organiserId?: string): Promise<EventSummary[]> {
    let query = this.#db.selectFrom('events').select(['id', 'name', 'starts_at', 'created_at']).select(saleColumns)
      .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1)
    if (organiserId) query = query.where('created_by', '=', organiserId)
    if (after) {
      query = query.where(({ eb, refTuple, selectFrom }) => eb(
        refTuple('created_at', 'id'), '<',
        selectFrom('events as c').select(['c.created_at', 'c.id']).where('c.id', '=', after) as never
      ))
    }
    const rows = await query.execute()
    return rows.map((e) => ({ id: e.id, name: e.name, startsAt: e.starts_at?.toISOString() ?? null, createdAt: e.created_at.toISOString(), sale: saleOf(e) }))
  }

  /** Seats in id order, as `seat_states` shows them: an expired hold reads as available. */
  async seats (eventId: string, status: SeatStatus | undefined, limit: number, after: string | undefined): Promise<SeatView[]> {
    let query = this.#db.selectFrom('seat_states').select(['seat_id', 'status', 'hold_expires_at', 'version'])
      .where('event_id', '=', eventId).where('seat_id', '>', after ?? '')
      .orderBy('seat_id').limit(limit + 1)
    if (status) query = query.where('status', '=', status)
    return (await query.execute()).map(seatView)
  }
}

function seatView (r: { seat_id: string, status: SeatStatus, hold_expires_at: Date | null, version: string }): SeatView {
  const view: SeatView = { seatId: r.seat_id, status: r.status, version: Number(r.version) }
  if (r.hold_expires_at) view.holdExpiresAt = r.hold_expires_at.toISOString()
  return view
}
