import { readFile, writeFile } from 'node:fs/promises'
import { sql } from 'kysely'
import t from 'tap'
import { call, createEvent, seatIds, signup } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

/**
 * An organiser's CSV of 100,000 bookings comes as a stream, a page of rows at a time, so the
 * gateway never holds them all: its peak RSS while sending is measured and bounded.
 */
const BOOKINGS = 100_000
const BUYERS = 1_000
/** What sending may add to the gateway's resident memory; the whole file is about 13 MB of text. */
const MAX_GROWTH_MB = 48

const stack = await startStack({ workers: 1 })
t.teardown(() => stack.stop())
const organiser = await signup(stack.url)
const event = await createEvent(stack.url, organiser.token, { seats: seatIds('S', BOOKINGS) })

// The event as if sold out to 1,000 buyers, written straight into the tables a booking writes
// (the booking path is what the other tests and the bench exercise; here it is the export).
await sql`insert into users (email, password_hash) select 'csv-buyer-' || n || '@example.com', 'not a hash' from generate_series(1, ${BUYERS}) n`.execute(stack.db)
await sql`
  with buyers as (select id, row_number() over (order by email) - 1 as n from users where email like 'csv-buyer-%'),
       sold as (select gen_random_uuid() as id, s.seat_id, row_number() over (order by s.seat_id) as n from seats s where s.event_id = ${event.id}),
       booked as (
         insert into bookings (id, event_id, user_id, status, quantity, created_at)
         select sold.id, ${event.id}, buyers.id, case when sold.n % 10 = 0 then 'cancelled' else 'confirmed' end, 1,
                now() + make_interval(secs => sold.n / 1000.0)
           from sold join buyers on buyers.n = sold.n % ${BUYERS}
         returning id)
  insert into booking_seats (booking_id, event_id, seat_id, active)
  select sold.id, ${event.id}, sold.seat_id, sold.n % 10 <> 0 from sold`.execute(stack.db)
await sql`update seats set status = 'booked', booking_id = bs.booking_id from booking_seats bs
           where bs.event_id = seats.event_id and bs.seat_id = seats.seat_id and bs.active and seats.event_id = ${event.id}`.execute(stack.db)
await sql`analyze`.execute(stack.db)

const gatewayPid = stack.gateways[0]!.pid
const rssMb = async (field: 'VmRSS' | 'VmHWM') => {
  const status = await readFile(`/proc/${gatewayPid}/status`, 'utf8')
  const kb = Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1])
  if (!Number.isFinite(kb) || kb <= 0) throw new Error(`no ${field} for the gateway (pid ${gatewayPid})`)
  return kb / 1024
}

t.test(`the CSV of ${BOOKINGS.toLocaleString('en')} bookings streams, in bounded memory`, async (t) => {
  // Warm the route (its first page, JIT), then start the peak afresh (clear_refs 5 resets VmHWM).
  await call(stack.url, 'GET', `/v1/events/${event.id}/bookings?limit=1000`, { token: organiser.token })
  const before = await rssMb('VmRSS')
  await writeFile(`/proc/${gatewayPid}/clear_refs`, '5')
  t.ok(await rssMb('VmHWM') - before < 1, 'the gateway\'s peak was reset to its resident size')

  const started = Date.now()
  const res = await fetch(`${stack.url}/v1/events/${event.id}/bookings`, { headers: { authorization: `Bearer ${organiser.token}`, accept: 'text/csv' } })
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/csv/)
  t.equal(res.headers.get('content-length'), null, 'no length up front: the body is streamed')
  const decoder = new TextDecoder()
  let text = ''
  let chunks = 0
  let firstChunkMs = 0
  for await (const chunk of res.body!) {
    if (chunks++ === 0) firstChunkMs = Date.now() - started
    text += decoder.decode(chunk, { stream: true })
  }
  const totalMs = Date.now() - started
  const peak = await rssMb('VmHWM')
  t.comment(`${(text.length / 1024 / 1024).toFixed(1)} MB of CSV in ${chunks} chunks, first after ${firstChunkMs} ms, all after ${totalMs} ms; ` +
    `gateway RSS ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB while sending`)
  t.ok(firstChunkMs < totalMs / 2, `the first rows left long before the last (${firstChunkMs} of ${totalMs} ms)`)
  t.ok(peak - before < MAX_GROWTH_MB, `sending grew the gateway's RSS by ${(peak - before).toFixed(1)} MB (under ${MAX_GROWTH_MB} MB)`)

  const lines = text.split('\r\n')
  t.equal(lines[0], 'bookingId,status,buyerEmail,seatIds,sectionId,quantity,priceCents,createdAt')
  t.equal(lines.pop(), '', 'ends with a line break')
  const rows = lines.slice(1).map((line) => line.split(','))
  t.equal(rows.length, BOOKINGS, `${BOOKINGS.toLocaleString('en')} rows`)
  t.equal(new Set(rows.map((r) => r[0])).size, BOOKINGS, 'each booking once')
  t.equal(new Set(rows.map((r) => r[3])).size, BOOKINGS, 'each seat once')
  t.equal(rows.filter((r) => r[1] === 'cancelled').length, BOOKINGS / 10, 'cancelled ones included, as booked')
  t.equal(new Set(rows.map((r) => r[2])).size, BUYERS, `${BUYERS} buyers' emails`)
  const times = rows.map((r) => Date.parse(r[7]!))
  t.ok(times.every((time, i) => i === 0 || time >= times[i - 1]!), 'oldest first')
})
