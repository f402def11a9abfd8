import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { SharedReads } from '../apps/gateway/src/lib/shared-reads.ts'
import { call, createEvent, signupMany } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

t.test('readers who ask while a read runs share the next one, which starts after they asked', async (t) => {
  const reads = new SharedReads<number>()
  let state = 0
  let loads = 0
  const load = async () => {
    loads++
    const seen = state
    await sleep(30)
    return seen
  }
  const first = reads.read('k', load)
  state = 1
  const joiners = Array.from({ length: 50 }, () => reads.read('k', load))
  const otherKey = reads.read('other', load)
  state = 2
  t.equal(await first, 0, 'the first read saw the state when it started')
  t.same(new Set(await Promise.all(joiners)), new Set([2]), 'every joiner saw a state at least as new as its request')
  t.equal(await otherKey, 1, 'another key is read on its own, at once')
  t.equal(loads, 3, '52 readers, three loads: the first, the one the 50 shared, and the other key')

  // One who asks while the shared read runs is not given it: it started before they asked.
  const running = reads.read('k', load)
  await sleep(5)
  state = 3
  const late = reads.read('k', load)
  t.equal(await running, 2, 'the running read saw the state when it started')
  t.equal(await late, 3, 'who asked while it ran got a read of their own, started after they asked')
  t.equal(loads, 5)
  t.equal(reads.size, 0, 'nothing is kept once the reads are done')
})

t.test('a failed read fails those who shared it; the next read starts anew', async (t) => {
  const reads = new SharedReads<string>()
  let fail = true
  const load = async () => {
    await sleep(10)
    if (fail) throw new Error('database away')
    return 'ok'
  }
  const first = reads.read('k', load)
  const joiners = [reads.read('k', load), reads.read('k', load)]
  await t.rejects(first, /database away/)
  await t.rejects(Promise.all(joiners), /database away/)
  fail = false
  t.equal(await reads.read('k', load), 'ok')
})

t.test('under many concurrent readers, no read of the seat list or the event misses a booking answered before it was asked', async (t) => {
  const stack = await startStack({ workers: 2 })
  t.teardown(() => stack.stop())
  const buyers = await signupMany(stack.url, 8)
  // A full page of seats, so reads take a while and one is nearly always running when one asks.
  const seats = Array.from({ length: 1000 }, (_, i) => `R${String(i).padStart(4, '0')}`)
  const event = await createEvent(stack.url, buyers[0]!.token, { seats })
  const booked = seats.slice(0, 160)

  /** When each seat's 201 reached us. */
  const bookedAt = new Map<string, number>()
  const stale: string[] = []
  let reads = 0
  /** Reads the list and the event; both must show every booking answered before the ask. */
  async function readAndCheck (): Promise<void> {
    const askedAt = performance.now()
    const answeredBefore = [...bookedAt].filter(([, at]) => at < askedAt).map(([seat]) => seat)
    const [list, detail] = await Promise.all([
      call(stack.url, 'GET', `/v1/events/${event.id}/seats?limit=1000`),
      call(stack.url, 'GET', `/v1/events/${event.id}`),
    ])
    if (list.status !== 200 || detail.status !== 200) throw new Error(`reads: ${list.status} ${detail.status}`)
    reads++
    const status = new Map<string, string>(list.body.items.map((s: { seatId: string, status: string }) => [s.seatId, s.status]))
    const missed = answeredBefore.filter((seat) => status.get(seat) !== 'booked')
    if (missed.length) stale.push(`seat list missed ${missed.join(', ')}`)
    if (detail.body.seats.booked < answeredBefore.length) stale.push(`event counted ${detail.body.seats.booked} booked, ${answeredBefore.length} were answered`)
  }

  // Each buyer books, then at once reads the map (read your own writes) ...
  const bookers = buyers.map(async (buyer, b) => {
    for (let i = b; i < booked.length; i += buyers.length) {
      const res = await call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, { token: buyer.token, body: { seatIds: [booked[i]] } })
      if (res.status !== 201) throw new Error(`booking ${booked[i]}: ${res.status} ${JSON.stringify(res.body)}`)
      bookedAt.set(booked[i]!, performance.now())
      await readAndCheck()
    }
  })
  // ... while 40 live maps keep reading it too.
  const bookings = { done: false }
  const readers = Array.from({ length: 40 }, async () => {
    while (!bookings.done) await readAndCheck()
  })
  await Promise.all(bookers)
  bookings.done = true
  await Promise.all(readers)

  t.equal(bookedAt.size, booked.length, 'every seat was booked')
  t.ok(reads >= 400, `${reads} reads ran alongside the bookings`)
  t.same(stale.slice(0, 5), [], 'no read was older than the bookings answered before it')
  const final = await call(stack.url, 'GET', `/v1/events/${event.id}/seats?limit=1000`)
  t.equal(final.headers.get('content-type'), 'application/json; charset=utf-8')
  t.equal(final.body.items.filter((s: { status: string }) => s.status === 'booked').length, booked.length)
  t.equal(final.body.items.length, seats.length)
})
