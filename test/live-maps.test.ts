import { setTimeout as sleep } from 'node:timers/promises'
import type { SeatChange, SectionChange } from '@seatline/contracts'
import t from 'tap'
import { LiveMaps, type LiveMapSource } from '../apps/gateway/src/lib/live-maps.ts'

/** The seats as a database would hold them, in memory: the LiveMaps' only input besides notices. */
function memorySource () {
  const seats = new Map<string, SeatChange>()
  const reads: string[][] = []
  const source: LiveMapSource = {
    async seatChanges (_eventId, seatIds) {
      reads.push([...seatIds])
      return seatIds.flatMap((id) => (seats.has(id) ? [seats.get(id)!] : []))
    },
    async sectionChanges (): Promise<SectionChange[]> { return [] },
    async counts () { return { total: seats.size, available: 0, held: 0, booked: seats.size } },
  }
  return { seats, reads, source }
}

function subscriber () {
  const frames: string[] = []
  let ended = false
  return {
    frames,
    get ended () { return ended },
    // A write may carry several messages (one write per flush): split them.
    messages: () => frames.join('').split('\n\n').flatMap((f) => {
      const event = /^event: (\w+)$/m.exec(f)?.[1]
      const id = /^id: (\S+)$/m.exec(f)?.[1]
      const data = /^data: (.*)$/m.exec(f)?.[1]
      return event ? [{ event, id: id!, data: JSON.parse(data!) }] : []
    }),
    write (chunk: string | Buffer) { frames.push(chunk.toString()); return true },
    end () { ended = true },
  }
}

t.test('changes noticed within one flush go out as one message, read once', async (t) => {
  const { seats, reads, source } = memorySource()
  const live = new LiveMaps({ source, flushMs: 30, countsMs: 0 })
  t.teardown(() => live.close())
  const client = subscriber()
  live.subscribe('e1', undefined, client)
  for (let i = 1; i <= 50; i++) {
    seats.set(`S${i}`, { seatId: `S${i}`, status: 'booked', version: i })
    live.notice([{ eventId: 'e1', seatIds: [`S${i}`], sectionIds: [] }])
  }
  live.notice([{ eventId: 'other', seatIds: ['S1'], sectionIds: [] }])
  await sleep(100)
  const messages = client.messages()
  t.same(messages.map((m) => m.event), ['seats', 'counts'], 'one seats message and the counts')
  t.equal(messages[0]!.data.changes.length, 50, 'with all 50 changes')
  t.equal(reads.length, 1, 'read in one query')
})

t.test('a client resuming with Last-Event-ID gets what it missed; anything unknown is a reset', async (t) => {
  const { seats, source } = memorySource()
  const live = new LiveMaps({ source, flushMs: 10 })
  t.teardown(() => live.close())
  const first = subscriber()
  const stop = live.subscribe('e1', undefined, first)
  seats.set('A1', { seatId: 'A1', status: 'held', holdExpiresAt: new Date(Date.now() + 60_000).toISOString(), version: 2 })
  live.notice([{ eventId: 'e1', seatIds: ['A1'], sectionIds: [] }])
  await sleep(50)
  const lastSeen = first.messages().at(-1)!.id
  stop()

  seats.set('A2', { seatId: 'A2', status: 'booked', version: 4 })
  live.notice([{ eventId: 'e1', seatIds: ['A2'], sectionIds: [] }])
  await sleep(50)

  const resumed = subscriber()
  live.subscribe('e1', lastSeen, resumed)
  t.same(resumed.messages().filter((m) => m.event === 'seats').map((m) => m.data.changes.map((c: SeatChange) => c.seatId)), [['A2']],
    'the resumed client gets the change it missed, and only that')

  const stranger = subscriber()
  live.subscribe('e1', 'another-gateway.7', stranger)
  t.same(stranger.messages().map((m) => m.event), ['reset'], 'an id from elsewhere: start over')

  const watcher = subscriber()
  live.subscribe('e1', undefined, watcher)
  live.gap()
  t.same(watcher.messages().map((m) => m.event), ['reset'], 'announcements lost: every client starts over')
  const afterGap = subscriber()
  live.subscribe('e1', lastSeen, afterGap)
  t.same(afterGap.messages().map((m) => m.event), ['reset'], 'and nobody resumes across the gap')
})

t.test('a hold is read again when it expires; a client that stops reading is let go; quiet streams get heartbeats', async (t) => {
  const { seats, reads, source } = memorySource()
  const live = new LiveMaps({ source, flushMs: 10, heartbeatMs: 40 })
  t.teardown(() => live.close())
  const client = subscriber()
  live.subscribe('e1', undefined, client)
  seats.set('H1', { seatId: 'H1', status: 'held', holdExpiresAt: new Date(Date.now() + 300).toISOString(), version: 10 })
  live.notice([{ eventId: 'e1', seatIds: ['H1'], sectionIds: [] }])
  await sleep(100)
  seats.set('H1', { seatId: 'H1', status: 'available', version: 11 })
  await sleep(400)
  t.ok(reads.filter((r) => r.includes('H1')).length >= 2, 'read again at its expiry')
  t.match(client.messages().filter((m) => m.event === 'seats').at(-1)!.data.changes, [{ seatId: 'H1', status: 'available', version: 11 }])
  t.ok(client.frames.some((f) => f.startsWith(': keep-alive')), 'heartbeat comments')

  const stuck = { ...subscriber(), write: () => false }
  let stuckEnded = false
  stuck.end = () => { stuckEnded = true }
  live.subscribe('e1', undefined, stuck)
  seats.set('H2', { seatId: 'H2', status: 'booked', version: 12 })
  live.notice([{ eventId: 'e1', seatIds: ['H2'], sectionIds: [] }])
  await sleep(50)
  t.ok(stuckEnded, 'a client whose buffer is full is ended, to resume later')
  t.notOk(client.ended, 'the others go on')
})

t.test('past the write budget, flushes come less often; every stream still gets every change', async (t) => {
  const { seats, reads, source } = memorySource()
  // 20 ms flushes, but 200 writes a second: 10 streams allow one flush every 50 ms.
  const live = new LiveMaps({ source, flushMs: 20, writesPerSecond: 200, countsMs: 0 })
  t.teardown(() => live.close())
  const clients = Array.from({ length: 10 }, () => subscriber())
  const stops = clients.map((client) => live.subscribe('e1', undefined, client))
  t.equal(live.flushDelayMs, 50, '10 streams × 20 flushes a second would be 500 writes: flushes every 50 ms')

  const started = Date.now()
  for (let i = 1; i <= 40; i++) {
    seats.set(`S${i}`, { seatId: `S${i}`, status: 'booked', version: i })
    live.notice([{ eventId: 'e1', seatIds: [`S${i}`], sectionIds: [] }])
    await sleep(10)
  }
  await sleep(150)
  const elapsed = Date.now() - started
  const writesPerSecond = (clients[0]!.frames.length - 1) * clients.length / (elapsed / 1000)
  t.ok(writesPerSecond <= 200 * 1.2, `${Math.round(writesPerSecond)} writes a second, within the budget of 200`)
  t.ok(reads.length <= Math.ceil(elapsed / 50) + 1, `${reads.length} flushes in ${elapsed} ms`)
  for (const client of clients) {
    const seen = new Set(client.messages().filter((m) => m.event === 'seats').flatMap((m) => m.data.changes.map((c: SeatChange) => c.seatId)))
    t.equal(seen.size, 40, 'every change reached every stream')
  }

  for (const stop of stops.slice(0, 8)) stop()
  t.equal(live.flushDelayMs, 20, 'with 2 streams left, back to flushMs')
})

t.test('the history keeps each message\'s bytes, not the shared buffer slab they were cut from', async (t) => {
  const { setFlagsFromString } = await import('node:v8')
  const { runInNewContext } = await import('node:vm')
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  const { seats, source } = memorySource()
  const live = new LiveMaps({ source, flushMs: 1, countsMs: 0, historyMs: 60_000 })
  t.teardown(() => live.close())
  live.subscribe('e1', undefined, subscriber())
  const MESSAGES = 200
  gc()
  const before = process.memoryUsage().arrayBuffers
  let churn = 0
  for (let i = 1; i <= MESSAGES; i++) {
    seats.set('S1', { seatId: 'S1', status: 'booked', version: i })
    live.notice([{ eventId: 'e1', seatIds: ['S1'], sectionIds: [] }])
    await sleep(2)
    // The rest of a gateway's traffic moves Node's buffer pool on between two messages.
    for (let used = 0; used < Buffer.poolSize; used += Buffer.poolSize / 4) churn += Buffer.from('x'.repeat(Buffer.poolSize / 4 - 1)).length
  }
  gc()
  const kept = process.memoryUsage().arrayBuffers - before
  t.comment(`live-maps: ${MESSAGES} messages of ~100 bytes kept in the history hold ${Math.round(kept / 1024)} KB of buffers (pool slab ${Buffer.poolSize / 1024} KB; ${churn} bytes of churn)`)
  // Before, each message pinned its slab: MESSAGES × the pool's size.
  t.ok(kept < MESSAGES * 2_048, `the history holds about its messages' bytes (${kept} bytes for ${MESSAGES} messages)`)
})
