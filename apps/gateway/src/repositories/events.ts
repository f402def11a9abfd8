import type { CreateEventBody, EventDetail, EventSummary, SeatChange, SeatCounts, SeatStatus, SeatView, SectionChange } from '@seatline/contracts'
import { type Db, insertSeats } from '@seatline/db'
import { sql } from 'kysely'

export class EventsRepository {
  readonly #db: Db
  /** Events are never deleted, so once seen an id stays valid: spare the hot path a query. */
  readonly #known = new Set<string>()

  constructor (db: Db) {
    this.#db = db
  }

  async create (userId: string, body: CreateEventBody): Promise<EventDetail> {
    const id = await this.#db.transaction().execute(async (trx) => {
      const event = await trx.insertInto('events')
        .values({ name: body.name, starts_at: body.startsAt ?? null, created_by: userId })
        .returning('id').executeTakeFirstOrThrow()
      if (body.sections?.length) {
        await trx.insertInto('sections').values(body.sections.map((s) => ({
          event_id: event.id, name: s.name, capacity: s.capacity, remaining: s.capacity, price_cents: s.priceCents ?? null,
        }))).execute()
      }
      await insertSeats(trx, event.id, body.seats ?? [])
      return event.id
    })
    this.#known.add(id)
    return (await this.detail(id))!
  }

  async exists (eventId: string): Promise<boolean> {
    if (this.#known.has(eventId)) return true
    const row = await this.#db.selectFrom('events').select('id').where('id', '=', eventId).executeTakeFirst()
    if (row) this.#known.add(eventId)
    return row !== undefined
  }

  async detail (eventId: string): Promise<EventDetail | undefined> {
    const event = await this.#db.selectFrom('events').select(['id', 'name', 'starts_at', 'created_at'])
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

  /** Newest first; the cursor is the last event's id, compared at the database's full precision. */
  async list (limit: number, after: string | undefined): Promise<EventSummary[]> {
    let query = this.#db.selectFrom('events').select(['id', 'name', 'starts_at', 'created_at'])
      .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit + 1)
    if (after) {
      query = query.where(({ eb, refTuple, selectFrom }) => eb(
        refTuple('created_at', 'id'), '<',
        selectFrom('events as c').select(['c.created_at', 'c.id']).where('c.id', '=', after) as never
      ))
    }
    const rows = await query.execute()
    return rows.map((e) => ({ id: e.id, name: e.name, startsAt: e.starts_at?.toISOString() ?? null, createdAt: e.created_at.toISOString() }))
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
