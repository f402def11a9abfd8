import { setTimeout as sleep } from 'node:timers/promises'
import { Redis } from 'ioredis'
import t from 'tap'
import { call, createEvent, poll, seatIds, signup, signupMany } from './helpers/api.ts'
import { openSse, type SseMessage } from './helpers/sse-client.ts'
import { REDIS_URL, startStack } from './helpers/stack.ts'

/**
 * The waiting room against real processes (two gateways, two workers, the admission step once a
 * second): one place per buyer, the shuffle of early joiners, admission by the rate and by the
 * places left, 403 NOT_ADMITTED without an admission, sold out and closed as answers.
 */
const stack = await startStack({ workers: 2, gateways: 2 })
t.teardown(() => stack.stop())
const redis = new Redis(REDIS_URL)
t.teardown(() => redis.disconnect())
const organiser = await signup(stack.url)

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString()
const url = (i: number) => stack.urls[i % stack.urls.length]!
const join = (eventId: string, token: string, i = 0) => call(url(i), 'POST', `/v1/events/${eventId}/queue`, { token })
const ticketOf = (eventId: string, token: string, i = 0) => call(url(i), 'GET', `/v1/events/${eventId}/queue`, { token })
const book = (eventId: string, token: string, seats: string[]) => call(stack.url, 'POST', `/v1/events/${eventId}/bookings`, { token, body: { seatIds: seats } })
const room = (admitPerMinute: number, admissionSeconds = 10) => ({ waitingRoom: { admitPerMinute, admissionSeconds } })

/** A ticket's stream, its messages collected as they come. */
async function follow (ticketId: string) {
  const events: SseMessage[] = []
  let ended = false
  const connection = await openSse(`${stack.url}/v1/queue/${ticketId}/stream`, (m) => events.push(m))
  connection.ended.then(() => { ended = true }, () => { ended = true })
  return { events, get ended () { return ended }, close: () => connection.close() }
}

/** Waits until the ticket has the status (the admission step runs once a second). */
async function until (eventId: string, token: string, status: string, ms = 10_000) {
  const reply = await poll(() => ticketOf(eventId, token), (r) => r.body?.status === status, ms)
  return reply.body
}

t.test('one place per buyer; no place is shown before the opening; the wrong event is told why', async (t) => {
  const [ada, bob] = [await signup(stack.url), await signup(stack.url)]
  const opensAt = inMs(3_000)
  const event = await createEvent(stack.url, organiser.token, { seats: seatIds('A', 4), sale: { opensAt, ...room(600) } })
  t.same(event.sale.waitingRoom, { admitPerMinute: 600, admissionSeconds: 10 }, 'the event reads its waiting room')

  const first = await join(event.id, ada.token, 0)
  t.equal(first.status, 201, 'the first join makes a ticket')
  t.match(first.body, { ticketId: /^[A-Za-z0-9_-]{38}$/, eventId: event.id, status: 'waiting', opensAt, joinedAt: String })
  t.notOk('position' in first.body, 'no position before the opening')
  const again = await join(event.id, ada.token, 1)
  t.equal(again.status, 200, 'joining again, through the other gateway, is no new place')
  t.equal(again.body.ticketId, first.body.ticketId, 'the same ticket')
  t.equal((await ticketOf(event.id, ada.token)).body.ticketId, first.body.ticketId, 'and reads as such')
  t.match(await ticketOf(event.id, bob.token), { status: 404, body: { code: 'QUEUE_TICKET_NOT_FOUND' } }, 'a buyer who has not joined has no ticket')

  const early = await book(event.id, ada.token, ['A1'])
  t.match(early, { status: 403, body: { code: 'NOT_ADMITTED', ticketStatus: 'waiting' } }, 'no booking without an admission')
  t.notOk('position' in early.body, '(no position yet)')
  t.match(await book(event.id, bob.token, ['A1']), { status: 403, body: { code: 'NOT_ADMITTED', ticketStatus: null } }, 'nor without a ticket')

  const plain = await createEvent(stack.url, organiser.token, { seats: ['B1'] })
  t.match(await join(plain.id, ada.token), { status: 409, body: { code: 'NO_WAITING_ROOM' } }, 'an event without a waiting room says so')
  t.match(await join('00000000-0000-4000-8000-000000000000', ada.token), { status: 404, body: { code: 'EVENT_NOT_FOUND' } })
  t.match(await call(stack.url, 'GET', '/v1/queue/not-a-ticket/stream'), { status: 404, body: { code: 'QUEUE_TICKET_NOT_FOUND' } })
  t.match(await call(stack.url, 'GET', `/v1/queue/${first.body.ticketId.slice(0, -2)}xy/stream`), { status: 404, body: { code: 'QUEUE_TICKET_NOT_FOUND' } },
    'a ticket id that names the event but no ticket')

  await sleep(Math.max(0, Date.parse(opensAt) - Date.now()))
  const admitted = await until(event.id, ada.token, 'admitted')
  t.match(admitted, { status: 'admitted', admittedAt: String, admittedUntil: String }, 'once the sale opens, the buyer is admitted')
  t.ok(Date.parse(admitted.admittedUntil) - Date.parse(admitted.admittedAt) === 10_000, 'for admissionSeconds')
  t.equal((await book(event.id, ada.token, ['A1'])).status, 201, 'and books')
})

t.test('admission follows the line, at the rate, while places outnumber the admitted buyers not shopping', async (t) => {
  const buyers = await signupMany(stack.url, 7)
  const opensAt = inMs(3_000)
  const event = await createEvent(stack.url, organiser.token, { seats: seatIds('C', 3), sale: { opensAt, ...room(6_000) } })
  const tickets = []
  for (const [i, buyer] of buyers.entries()) tickets.push((await join(event.id, buyer.token, i)).body)

  const streams = await Promise.all(tickets.map((ticket) => follow(ticket.ticketId)))
  t.teardown(() => { for (const stream of streams) stream.close() })
  await sleep(Math.max(0, Date.parse(opensAt) - Date.now()) + 2_500)
  const states = await Promise.all(buyers.map((b) => ticketOf(event.id, b.token).then((r) => r.body)))
  const admitted = states.filter((s) => s.status === 'admitted')
  const waiting = states.filter((s) => s.status === 'waiting')
  t.equal(admitted.length, 3, 'three admitted for three seats, however fast the rate')
  t.same(waiting.map((s) => s.position).sort(), [1, 2, 3, 4], 'four waiting, at positions 1 to 4')
  t.ok(waiting.every((s) => s.ahead === s.position - 1 && s.estimatedWaitSeconds >= 0 && s.seatsAvailable === 3), 'with people ahead, an estimated wait and the seats left')

  const [shopper, holder, idler] = admitted.map((s) => buyers[states.indexOf(s)]!)
  t.equal((await book(event.id, shopper!.token, ['C1'])).status, 201, 'an admitted buyer books a seat')
  const held = await call(stack.url, 'POST', `/v1/events/${event.id}/holds`, { token: holder!.token, body: { seatIds: ['C2'], ttlSeconds: 60 } })
  t.equal(held.status, 201, 'another holds one')
  await sleep(2_500)
  const after = await Promise.all(buyers.map((b) => ticketOf(event.id, b.token).then((r) => r.body.status)))
  t.equal(after.filter((s) => s === 'admitted').length, 3, 'one place left, one admitted buyer not shopping: nobody more is let in')

  const next = waiting.find((s) => s.position === 1)!
  const nextBuyer = buyers[states.indexOf(next)]!
  t.match(await book(event.id, nextBuyer.token, ['C3']), { status: 403, body: { code: 'NOT_ADMITTED', ticketStatus: 'waiting', position: 1 } },
    'the next in line may not book yet, and is told their place')

  // The idle buyer's admission runs out: its place goes to the next in line.
  const expired = await until(event.id, idler!.token, 'expired', 15_000)
  t.equal(expired.status, 'expired', 'an admission nobody used runs out')
  t.match(await book(event.id, idler!.token, ['C3']), { status: 403, body: { code: 'NOT_ADMITTED', ticketStatus: 'expired' } })
  t.equal((await until(event.id, nextBuyer.token, 'admitted')).status, 'admitted', 'and the next in line is admitted')
  const confirmed = await call(stack.url, 'POST', `/v1/holds/${held.body.holdId}/confirm`, { token: holder!.token })
  t.equal(confirmed.status, 201, 'a hold taken while admitted is confirmed after the admission ran out')
  const others = await Promise.all(buyers.filter((b) => b !== idler).map((b) => ticketOf(event.id, b.token).then((r) => r.body.status)))
  const rejoined = await join(event.id, idler!.token)
  t.equal(rejoined.status, 201, 'the buyer whose admission ran out joins again')
  t.match(rejoined.body, { ticketId: expired.ticketId, status: 'waiting', position: others.filter((s) => s === 'waiting').length + 1 }, 'at the back of the line')

  const seen = (i: number) => streams[i]!.events.filter((e) => e.event === 'ticket').map((e) => JSON.parse(e.data))
  t.ok(streams.every((_, i) => seen(i)[0]?.status === 'waiting' && !('position' in seen(i)[0])), 'every stream began waiting, without a position')
  const followed = waiting.filter((w) => w.position > 1).map((w) => states.indexOf(w))
  t.ok(followed.every((i) => seen(i).some((m) => m.position === states[i].position)), 'each waiting stream showed its place once the sale opened')
  t.ok(followed.every((i) => seen(i).some((m) => m.position === states[i].position - 1)), 'and moved up when the one ahead was admitted')
  t.ok(streams.every((_, i) => new Set(seen(i).filter((m) => m.status === 'admitted').map((m) => m.admittedAt)).size <= 1), 'one admission per ticket, however often its figures change')
})

t.test('sold out is an answer: every waiting ticket is told within 2 s, and new joins are refused', async (t) => {
  const buyers = await signupMany(stack.url, 5)
  const event = await createEvent(stack.url, organiser.token, { seats: seatIds('D', 2), sale: room(6_000) })
  const tickets = []
  for (const buyer of buyers) tickets.push((await join(event.id, buyer.token)).body)
  const streams = await Promise.all(tickets.map((ticket) => follow(ticket.ticketId)))
  t.teardown(() => { for (const s of streams) s.close() })
  await sleep(2_500)
  const states = await Promise.all(buyers.map((b) => ticketOf(event.id, b.token).then((r) => r.body)))
  const admitted = buyers.filter((_, i) => states[i].status === 'admitted')
  t.equal(admitted.length, 2, 'two admitted for two seats')
  t.equal((await book(event.id, admitted[0]!.token, ['D1'])).status, 201)
  t.equal((await book(event.id, admitted[1]!.token, ['D2'])).status, 201)
  const soldAt = Date.now()
  const waitingStreams = streams.filter((_, i) => states[i].status === 'waiting')
  await poll(async () => waitingStreams.every((s) => s.events.some((e) => e.event === 'ticket' && JSON.parse(e.data).status === 'sold-out')), (done) => done, 5_000)
  const toldAfter = Date.now() - soldAt
  t.ok(waitingStreams.every((s) => s.events.some((e) => e.event === 'ticket' && JSON.parse(e.data).status === 'sold-out')),
    `all ${waitingStreams.length} waiting streams said sold out, ${toldAfter} ms after the last seat sold`)
  t.ok(toldAfter < 2_500, 'within 2 s (and a little for the test)')
  await poll(async () => waitingStreams.every((s) => s.ended), (done) => done, 2_000)
  t.ok(waitingStreams.every((s) => s.ended), 'and closed their streams: it is final')
  const late = await join(event.id, (await signup(stack.url)).token)
  t.match(late, { status: 409, body: { code: 'SOLD_OUT' } }, 'a new join is told SOLD_OUT')
  const ttl = await redis.ttl(`${stack.prefix}:{wr:${event.id}}:line`)
  t.ok(ttl > 86_000 && ttl <= 86_400, `a sold-out room's keys are kept a day, then go (line expires in ${ttl} s)`)
  const report = await call(stack.url, 'GET', `/v1/events/${event.id}/sales`, { token: organiser.token })
  t.match(report.body, { status: 'sold-out', waitingRoom: { waiting: 0, admitted: 2, soldOut: 3, admitPerMinute: 6_000 } }, 'the organiser sees it')
})

t.test('closing turns the waiting tickets closed; pausing stops admissions', async (t) => {
  const buyers = await signupMany(stack.url, 3)
  const event = await createEvent(stack.url, organiser.token, { seats: seatIds('E', 10), sale: { paused: true, closesAt: inMs(6_000), ...room(6_000) } })
  for (const buyer of buyers) await join(event.id, buyer.token)
  await sleep(2_500)
  const paused = await Promise.all(buyers.map((b) => ticketOf(event.id, b.token).then((r) => r.body.status)))
  t.same(paused, ['waiting', 'waiting', 'waiting'], 'paused: nobody is admitted, everyone keeps their place')
  await poll(() => ticketOf(event.id, buyers[0]!.token), (r) => r.body.status === 'closed', 8_000)
  const closed = await Promise.all(buyers.map((b) => ticketOf(event.id, b.token).then((r) => r.body.status)))
  t.same(closed, ['closed', 'closed', 'closed'], 'after closesAt every waiting ticket reads closed')
  t.match(await join(event.id, (await signup(stack.url)).token), { status: 409, body: { code: 'SALE_CLOSED' } }, 'and joining is refused')
})

/** Spearman's rank correlation of two orderings of the same items. */
function spearman (a: readonly string[], b: readonly string[]): number {
  const rankB = new Map(b.map((x, i) => [x, i]))
  const n = a.length
  const d2 = a.reduce((sum, x, i) => sum + (i - rankB.get(x)!) ** 2, 0)
  return 1 - (6 * d2) / (n * (n * n - 1))
}

t.test('fair order: those who join before the opening are shuffled; later joiners follow in the order they came', async (t) => {
  const EARLY = 200
  const LATE = 40
  const RATE = 3_000 // 50 a second
  const buyers = await signupMany(stack.url, EARLY + LATE)
  const opensAt = inMs(8_000)
  const event = await createEvent(stack.url, organiser.token, { seats: seatIds('F', 500), sale: { opensAt, ...room(RATE, 600) } })
  const early: string[] = []
  for (const [i, buyer] of buyers.slice(0, EARLY).entries()) early.push((await join(event.id, buyer.token, i)).body.ticketId)
  t.ok(Date.now() < Date.parse(opensAt), `${EARLY} joined before the opening`)
  // The line's order, final for them once the sale opens: the order admissions must follow.
  const lineOrder = await redis.zrange(`${stack.prefix}:{wr:${event.id}}:line`, 0, -1)
  t.same([...lineOrder].sort(), [...early].sort(), 'every early joiner has one place in the line')
  await sleep(Math.max(0, Date.parse(opensAt) - Date.now()) + 50)
  const late: string[] = []
  for (const [i, buyer] of buyers.slice(EARLY).entries()) late.push((await join(event.id, buyer.token, i)).body.ticketId)

  // Everyone admitted, in the order the line held them; read back who was admitted when.
  await poll(() => ticketOf(event.id, buyers.at(-1)!.token), (r) => r.body.status === 'admitted', 20_000)
  const admitted = await Promise.all(buyers.map(async (b) => (await ticketOf(event.id, b.token)).body))
  t.ok(admitted.every((a) => a.status === 'admitted'), `all ${buyers.length} admitted`)
  const at = new Map(admitted.map((a) => [a.ticketId as string, Date.parse(a.admittedAt)]))
  const steps = [...Map.groupBy(admitted, (a) => a.admittedAt).values()].map((g) => g.length)
  t.ok(Math.max(...steps) <= RATE / 60, `no step admitted more than a second's share of ${RATE / 60} (steps of ${steps.join(', ')})`)

  t.ok(lineOrder.every((x, i) => i === 0 || at.get(x)! >= at.get(lineOrder[i - 1]!)!), 'early joiners were admitted in the line\'s order')
  const lastEarly = Math.max(...early.map((x) => at.get(x)!))
  t.ok(late.every((x) => at.get(x)! >= lastEarly), 'every later joiner was admitted after all the early ones')
  t.ok(late.every((x, i) => i === 0 || at.get(x)! >= at.get(late[i - 1]!)!), 'later joiners in the order they joined')
  const line = await redis.hget(`${stack.prefix}:{wr:${event.id}}:state`, 'served')
  t.equal(Number(line), EARLY + LATE, 'the serving counter counted every admission')
  const rho = spearman(early, lineOrder)
  t.comment(`Spearman's rank correlation of join order and admission order, early joiners: ${rho.toFixed(3)} (n = ${EARLY})`)
  t.ok(Math.abs(rho) < 0.25, 'near 0: arriving early gave no edge (|rho| < 0.25, 3.5 standard deviations)')
})
