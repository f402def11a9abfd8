import t from 'tap'
import { call, createEvent, type Reply, seatIds, signup } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

/**
 * The creator of an event is its organiser: only they change it, see its sales and its buyers'
 * emails. Everyone else is refused on every such route, and changes nothing.
 */
const stack = await startStack({ workers: 1 })
t.teardown(() => stack.stop())
const [organiser, stranger, buyer, buyer2] = [await signup(stack.url), await signup(stack.url), await signup(stack.url), await signup(stack.url)]
const event = await createEvent(stack.url, organiser.token, {
  name: 'Organised',
  seats: seatIds('A', 6),
  sections: [{ name: 'Floor', capacity: 100, priceCents: 2500 }, { name: 'Free', capacity: 10 }],
})
const [floor, free] = event.sections.map((s: { id: string }) => s.id) as [string, string]
const UNKNOWN = '00000000-0000-4000-8000-000000000000'

const csv = (path: string, token?: string) => call(stack.url, 'GET', path, { ...(token ? { token } : {}), headers: { accept: 'text/csv' } })

/** Every organiser-only route, as a call by whoever is given. */
const ROUTES: Array<{ name: string, send: (eventId: string, token?: string) => Promise<Reply> }> = [
  { name: 'PATCH /v1/events/:eventId', send: (id, token) => call(stack.url, 'PATCH', `/v1/events/${id}`, { ...(token ? { token } : {}), body: { name: 'Mine now', sale: { paused: true } } }) },
  { name: 'GET /v1/events/:eventId/sales', send: (id, token) => call(stack.url, 'GET', `/v1/events/${id}/sales`, token ? { token } : {}) },
  { name: 'GET /v1/events/:eventId/bookings', send: (id, token) => call(stack.url, 'GET', `/v1/events/${id}/bookings`, token ? { token } : {}) },
  { name: 'GET /v1/events/:eventId/bookings (CSV)', send: (id, token) => csv(`/v1/events/${id}/bookings`, token) },
]

t.test('every organiser route: 401 without a token, 404 for no such event, 403 for anyone but the organiser', async (t) => {
  const before = await stack.db.selectFrom('events').selectAll().where('id', '=', event.id).executeTakeFirstOrThrow()
  for (const route of ROUTES) {
    const anonymous = await route.send(event.id)
    t.match([anonymous.status, anonymous.body.code], [401, 'UNAUTHENTICATED'], `${route.name}: no token`)
    const missing = await route.send(UNKNOWN, stranger.token)
    t.match([missing.status, missing.body.code], [404, 'EVENT_NOT_FOUND'], `${route.name}: an unknown event`)
    const malformed = await route.send('not-an-id', stranger.token)
    t.match([malformed.status, malformed.body.code], [404, 'EVENT_NOT_FOUND'], `${route.name}: a malformed id names nothing`)
    for (const [who, token] of [['another user', stranger.token], ['a buyer of the event', buyer.token]] as const) {
      const refused = await route.send(event.id, token)
      t.match([refused.status, refused.body.code], [403, 'NOT_EVENT_ORGANISER'], `${route.name}: ${who} is refused`)
      t.ok(refused.headers.get('content-type')?.startsWith('application/problem+json'), `${route.name}: as problem+json, not CSV`)
      t.notMatch(JSON.stringify(refused.body), /@example\.com/, `${route.name}: no email in the refusal`)
    }
  }
  const after = await stack.db.selectFrom('events').selectAll().where('id', '=', event.id).executeTakeFirstOrThrow()
  t.same(after, before, 'the event row is unchanged by every refused PATCH')
})

t.test('GET /v1/events?organiser=me lists the caller\'s own events and needs a token', async (t) => {
  const second = await createEvent(stack.url, organiser.token, { name: 'Second', seats: ['Z1'] })
  const theirs = await createEvent(stack.url, stranger.token, { name: 'Theirs', seats: ['Z1'] })
  const mine = await call(stack.url, 'GET', '/v1/events?organiser=me&limit=1', { token: organiser.token })
  t.equal(mine.status, 200)
  t.same(mine.body.items.map((e: { id: string }) => e.id), [second.id], 'newest first')
  const next = await call(stack.url, 'GET', `/v1/events?organiser=me&limit=1&cursor=${mine.body.nextCursor}`, { token: organiser.token })
  t.same(next.body.items.map((e: { id: string }) => e.id), [event.id], 'then the older one')
  t.equal(next.body.nextCursor, null, 'and no more: the stranger\'s event is not among them')
  t.match(next.body.items[0].sale, { status: 'open', paused: false, maxSeatsPerBuyer: null }, 'each with its sale')
  const everyone = await call(stack.url, 'GET', '/v1/events?limit=100')
  t.ok(everyone.body.items.some((e: { id: string }) => e.id === theirs.id), 'without the filter, every event is listed (no token needed)')
  const anonymous = await call(stack.url, 'GET', '/v1/events?organiser=me')
  t.match([anonymous.status, anonymous.body.code], [401, 'UNAUTHENTICATED'], 'organiser=me without a token is 401')
  const other = await call(stack.url, 'GET', '/v1/events?organiser=someone', { token: organiser.token })
  t.match([other.status, other.body.code], [400, 'VALIDATION_FAILED'], 'organiser takes only "me"')
})

t.test('the sales report and the bookings, as sold', async (t) => {
  const book = (token: string, body: unknown) => call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, { token, body })
  const seats = await book(buyer.token, { seatIds: ['A1', 'A2'] })
  const floor3 = await book(buyer.token, { sectionId: floor, quantity: 3 })
  const floor2 = await book(buyer2.token, { sectionId: floor, quantity: 2 })
  const freeOne = await book(buyer2.token, { sectionId: free, quantity: 1 })
  const held = await call(stack.url, 'POST', `/v1/events/${event.id}/holds`, { token: buyer2.token, body: { seatIds: ['A3'] } })
  t.same([seats.status, floor3.status, floor2.status, freeOne.status, held.status], [201, 201, 201, 201, 201], 'two buyers book and hold')
  const cancelled = await call(stack.url, 'DELETE', `/v1/bookings/${floor2.body.bookingId}`, { token: buyer2.token })
  t.equal(cancelled.status, 200, 'and one booking is cancelled')

  const report = await call(stack.url, 'GET', `/v1/events/${event.id}/sales`, { token: organiser.token })
  t.equal(report.status, 200)
  t.same(report.body, {
    eventId: event.id,
    status: 'open',
    seats: { total: 6, available: 3, held: 1, booked: 2 },
    sections: [
      { id: floor, name: 'Floor', capacity: 100, remaining: 97, sold: 3, revenueCents: 7500 },
      { id: free, name: 'Free', capacity: 10, remaining: 9, sold: 1, revenueCents: 0 },
    ],
    bookings: { confirmed: 3, cancelled: 1 },
    buyers: 2,
    revenueCents: 7500,
  }, 'counts, sold places and revenue per section, bookings by status, buyers')

  const all = await call(stack.url, 'GET', `/v1/events/${event.id}/bookings`, { token: organiser.token })
  t.equal(all.status, 200)
  t.same(all.body.items.map((b: { bookingId: string }) => b.bookingId),
    [seats, floor3, floor2, freeOne].map((r) => r.body.bookingId), 'every booking, oldest first')
  t.match(all.body.items[0], { eventId: event.id, userId: buyer.userId, buyerEmail: buyer.email, status: 'confirmed', seatIds: ['A1', 'A2'] },
    'a reserved-seat booking with its buyer\'s email')
  t.match(all.body.items[2], { buyerEmail: buyer2.email, status: 'cancelled', sectionId: floor, quantity: 2 }, 'a cancelled general-admission booking')

  const pages: string[] = []
  let cursor: string | null = null
  do {
    const page: { status: number, body: any } = await call(stack.url, 'GET', `/v1/events/${event.id}/bookings?status=confirmed&limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: organiser.token })
    t.equal(page.status, 200)
    pages.push(...page.body.items.map((b: { bookingId: string }) => b.bookingId))
    cursor = page.body.nextCursor
  } while (cursor)
  t.same(pages, [seats, floor3, freeOne].map((r) => r.body.bookingId), 'confirmed ones, two pages of two: each once, in order')
  const foreign = Buffer.from(UNKNOWN).toString('base64url')
  const strange = await call(stack.url, 'GET', `/v1/events/${event.id}/bookings?cursor=${foreign}`, { token: organiser.token })
  t.same(strange.body, { items: [], nextCursor: null }, 'a cursor naming no booking of this event gives nothing')

  const file = await csv(`/v1/events/${event.id}/bookings`, organiser.token)
  t.equal(file.status, 200)
  t.match(file.headers.get('content-type'), /^text\/csv/, 'with Accept: text/csv, CSV')
  t.match(file.headers.get('content-disposition'), /attachment; filename="bookings-[0-9a-f-]+\.csv"/, 'as a download')
  const lines = String(file.body).split('\r\n')
  t.equal(lines[0], 'bookingId,status,buyerEmail,seatIds,sectionId,quantity,priceCents,createdAt', 'the contract\'s header row')
  t.equal(lines.at(-1), '', 'every line ends with CRLF')
  t.same(lines.slice(1, -1), [
    `${seats.body.bookingId},confirmed,${buyer.email},A1 A2,,2,,${seats.body.createdAt}`,
    `${floor3.body.bookingId},confirmed,${buyer.email},,${floor},3,2500,${floor3.body.createdAt}`,
    `${floor2.body.bookingId},cancelled,${buyer2.email},,${floor},2,2500,${floor2.body.createdAt}`,
    `${freeOne.body.bookingId},confirmed,${buyer2.email},,${free},1,,${freeOne.body.createdAt}`,
  ], 'one row per booking, seats space-separated, the section\'s price per place')
  const cancelledOnly = await csv(`/v1/events/${event.id}/bookings?status=cancelled`, organiser.token)
  t.equal(String(cancelledOnly.body).split('\r\n').length, 3, 'the status filter applies to the CSV too')
})

t.test('PATCH validates what it is given', async (t) => {
  const patch = (body: unknown) => call(stack.url, 'PATCH', `/v1/events/${event.id}`, { token: organiser.token, body })
  for (const [body, path] of [
    [{ sale: { maxSeatsPerBuyer: 0 } }, 'body/sale/maxSeatsPerBuyer'],
    [{ sale: { maxSeatsPerBuyer: 101 } }, 'body/sale/maxSeatsPerBuyer'],
    [{ sale: { maxSeatsPerBuyer: '4' } }, 'body/sale/maxSeatsPerBuyer'],
    [{ sale: { paused: 'yes' } }, 'body/sale/paused'],
    [{ sale: { closesAt: 'tomorrow' } }, 'body/sale/closesAt'],
    [{ sale: { opensAt: null } }, 'body/sale/opensAt'],
    [{ sale: { status: 'open' } }, 'body/sale/status'],
    [{ organiser: stranger.userId }, 'body/organiser'],
    [{ name: '' }, 'body/name'],
  ] as const) {
    const res = await patch(body)
    t.match([res.status, res.body.code], [400, 'VALIDATION_FAILED'], `${JSON.stringify(body)} is refused`)
    t.ok(res.body.errors?.some((e: { path: string }) => e.path === path), `naming ${path}`)
  }
  const empty = await patch({})
  t.equal(empty.status, 200, 'an empty change is no change')
})
