// The web app's pure client logic, in Node: the stream reconciliation (buffer, read, apply;
// higher version wins; reset reads again) and the seat layout.
import t from 'tap'
import { layoutSeats, planSeats, rowLabel, rowNumber } from '../apps/web/client/layout.ts'
import { effectiveStatus, LiveMap, type MapUpdate, parseStreamMessage, Reconciler, type SeatState, type Snapshot, type StreamMessage } from '../apps/web/client/live-map.ts'

const EVENT = '00000000-0000-4000-8000-000000000001'

function seats (...changes: Array<[string, SeatState['status'], number, string?]>): StreamMessage {
  return { type: 'seats', data: { eventId: EVENT, changes: changes.map(([seatId, status, version, holdExpiresAt]) => ({ seatId, status, version, ...(holdExpiresAt ? { holdExpiresAt } : {}) })) } }
}

function snapshot (list: Array<[string, SeatState['status'], number]>, sections: Snapshot['sections'] = []): Snapshot {
  return { seats: list.map(([seatId, status, version]) => ({ seatId, status, version })), sections }
}

/** A load the test answers when it likes, counting how often it was asked. */
function controlledLoad () {
  const pending: Array<(s: Snapshot) => void> = []
  return {
    calls: 0,
    pending,
    load () {
      this.calls++
      return new Promise<Snapshot>((resolve) => pending.push(resolve))
    },
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

function statusOf (r: Reconciler, seatId: string) {
  const s = r.map.seats.get(seatId)
  return s && `${s.status}@${s.version}`
}

t.test('messages that come before the list are buffered, then applied by version', async (t) => {
  const load = controlledLoad()
  const updates: MapUpdate[] = []
  const r = new Reconciler({ load: () => load.load(), onUpdate: (u) => updates.push(u) })
  // The stream is open first: these arrive while the list is read.
  r.receive(seats(['A1', 'held', 5, '2099-01-01T00:00:00.000Z']))
  r.receive(seats(['A2', 'booked', 1]))
  const loading = r.reload()
  r.receive(seats(['A3', 'held', 4]))
  t.equal(updates.length, 0, 'nothing is shown before the list is in')
  t.equal(load.pending.length, 1)
  load.pending[0]!(snapshot([['A1', 'available', 4], ['A2', 'available', 3], ['A3', 'held', 4], ['A4', 'available', 0]]))
  await loading
  t.equal(statusOf(r, 'A1'), 'held@5', 'a buffered change newer than the list wins')
  t.equal(r.map.seats.get('A1')?.holdExpiresAt, '2099-01-01T00:00:00.000Z', 'with its hold expiry')
  t.equal(statusOf(r, 'A2'), 'available@3', 'a buffered change older than the list loses')
  t.equal(statusOf(r, 'A3'), 'held@4', 'an equal version applies (>=)')
  t.equal(statusOf(r, 'A4'), 'available@0')
  t.same(updates, [{ all: true, seatIds: [], sections: true, counts: true }], 'one full update after the read')
})

t.test('later messages apply at once, unless older than what is known', async (t) => {
  const updates: MapUpdate[] = []
  const r = new Reconciler({ load: async () => snapshot([['A1', 'available', 2], ['A2', 'available', 2]]), onUpdate: (u) => updates.push(u) })
  await r.reload()
  updates.length = 0
  r.receive(seats(['A1', 'held', 3], ['A2', 'booked', 1]))
  t.equal(statusOf(r, 'A1'), 'held@3')
  t.equal(statusOf(r, 'A2'), 'available@2', 'an old change is ignored')
  t.same(updates, [{ all: false, seatIds: ['A1'], sections: false, counts: false }], 'the update names only the seat that changed')
  r.receive(seats(['A1', 'available', 3]))
  t.equal(statusOf(r, 'A1'), 'available@3', 'the same version again applies')
  r.receive(seats(['A9', 'held', 1]))
  t.equal(statusOf(r, 'A9'), 'held@1', 'a seat the list did not have is added')
})

t.test('a list without versions (a server before the stream) is overridden by any change', async (t) => {
  const r = new Reconciler({ load: async () => ({ seats: [{ seatId: 'A1', status: 'available' }], sections: [] }), onUpdate: () => {} })
  await r.reload()
  r.receive(seats(['A1', 'booked', 0]))
  t.equal(statusOf(r, 'A1'), 'booked@0')
})

t.test('reset reads the list again, buffering the stream meanwhile', async (t) => {
  const load = controlledLoad()
  const updates: MapUpdate[] = []
  const r = new Reconciler({ load: () => load.load(), onUpdate: (u) => updates.push(u) })
  const first = r.reload()
  load.pending[0]!(snapshot([['A1', 'available', 1], ['A2', 'available', 1]]))
  await first
  r.receive({ type: 'reset', data: { eventId: EVENT } })
  t.equal(load.calls, 2, 'a reset starts a read')
  r.receive(seats(['A1', 'held', 7]))
  t.equal(statusOf(r, 'A1'), 'available@1', 'messages during the read wait')
  // The new read's versions may be lower than before (a rebuilt server): the read replaces all.
  load.pending[1]!(snapshot([['A1', 'available', 6], ['A3', 'booked', 0]]))
  await tick()
  t.equal(statusOf(r, 'A1'), 'held@7', 'the buffered message applies after the read')
  t.equal(r.map.seats.has('A2'), false, 'a seat gone from the list is gone from the map')
  t.equal(statusOf(r, 'A3'), 'booked@0')
  t.equal(updates.at(-1)?.all, true)
})

t.test('a reset during a read makes it read once more', async (t) => {
  const load = controlledLoad()
  const r = new Reconciler({ load: () => load.load(), onUpdate: () => {} })
  const loading = r.reload()
  r.receive({ type: 'reset', data: { eventId: EVENT } })
  const again = r.reload()
  load.pending[0]!(snapshot([['A1', 'available', 1]]))
  await tick()
  t.equal(load.calls, 2, 'read again: the first read may predate the reset')
  load.pending[1]!(snapshot([['A1', 'booked', 2]]))
  await loading
  t.equal(again, loading, 'a reload asked for meanwhile joins the one under way')
  t.equal(statusOf(r, 'A1'), 'booked@2')
  t.equal(load.calls, 2, 'and only once more')
})

t.test('a failed read is tried again; the buffer is kept', async (t) => {
  let calls = 0
  const errors: unknown[] = []
  const r = new Reconciler({
    load: async () => {
      if (++calls === 1) throw new Error('503')
      return snapshot([['A1', 'available', 1]])
    },
    onUpdate: () => {},
    onError: (e) => errors.push(e),
    sleep: async () => {},
  })
  r.receive(seats(['A1', 'held', 2]))
  await r.reload()
  t.equal(calls, 2)
  t.equal(errors.length, 1)
  t.equal(statusOf(r, 'A1'), 'held@2')
})

t.test('sections: higher version wins; counts from the seats, expired holds as available', async (t) => {
  const section = { id: 's1', name: 'Standing', capacity: 100, remaining: 100, priceCents: null, version: 3 }
  const r = new Reconciler({ load: async () => snapshot([['A1', 'available', 1], ['A2', 'booked', 1]], [section]), onUpdate: () => {} })
  await r.reload()
  r.receive({ type: 'sections', data: { eventId: EVENT, changes: [{ sectionId: 's1', remaining: 90, version: 4 }, { sectionId: 'unknown', remaining: 1, version: 9 }] } })
  t.equal(r.map.sections.get('s1')?.remaining, 90)
  r.receive({ type: 'sections', data: { eventId: EVENT, changes: [{ sectionId: 's1', remaining: 95, version: 2 }] } })
  t.equal(r.map.sections.get('s1')?.remaining, 90, 'an older section change is ignored')
  t.equal(r.map.sections.has('unknown'), false)

  r.receive({ type: 'counts', data: { eventId: EVENT, seats: { total: 2, available: 0, held: 1, booked: 1 } } })
  t.same(r.map.serverCounts, { total: 2, available: 0, held: 1, booked: 1 })
  const now = Date.parse('2030-01-01T00:00:00Z')
  r.receive(seats(['A1', 'held', 2, new Date(now + 5000).toISOString()]))
  t.same(r.map.counts(now), { total: 2, available: 0, held: 1, booked: 1 })
  t.same(r.map.counts(now + 5000), { total: 2, available: 1, held: 0, booked: 1 }, 'a hold past its expiry counts as available')
  t.equal(effectiveStatus(r.map.seats.get('A1')!, now + 4999), 'held')
})

t.test('stream messages are parsed by their event name', async (t) => {
  t.same(parseStreamMessage('seats', '{"eventId":"e","changes":[]}'), { type: 'seats', data: { eventId: 'e', changes: [] } })
  t.equal(parseStreamMessage('seats', 'not json'), undefined)
  t.equal(parseStreamMessage('message', '{}'), undefined, 'an unknown type is ignored')
  t.equal(parseStreamMessage('reset', 'null'), undefined)
  const map = new LiveMap()
  t.equal(map.applySeat({ seatId: 'B1', status: 'held', version: 1 }), true)
})

t.test('seat layout: rows in natural order, seats by number', async (t) => {
  const grid = layoutSeats(['B2', 'A10', 'A2', 'AA1', 'A1', 'B1', 'Z9', 'box', 'lounge'])
  t.same(grid.map((r) => r.label), ['A', 'B', 'Z', 'AA', ''])
  t.same(grid[0]!.seats, [{ seatId: 'A1', column: 1 }, { seatId: 'A2', column: 2 }, { seatId: 'A10', column: 10 }], 'gaps keep their columns')
  t.same(grid.at(-1)!.seats.map((s) => s.seatId), ['box', 'lounge'], 'ids with no number share a row')
})

t.test('rows × seats to seat ids', async (t) => {
  const plan = planSeats({ firstRow: 'A', lastRow: 'J', seatsPerRow: 20 })
  t.ok('seatIds' in plan)
  if (!('seatIds' in plan)) return
  t.equal(plan.seatIds.length, 200)
  t.equal(plan.seatIds[0], 'A1')
  t.equal(plan.seatIds.at(-1), 'J20')
  t.equal(rowLabel(1), 'A')
  t.equal(rowLabel(26), 'Z')
  t.equal(rowLabel(27), 'AA')
  t.equal(rowNumber('ab'), 28)
  t.same(planSeats({ firstRow: 'Y', lastRow: 'AB', seatsPerRow: 1 }), { seatIds: ['Y1', 'Z1', 'AA1', 'AB1'] })
  t.match(planSeats({ firstRow: 'J', lastRow: 'A', seatsPerRow: 2 }), { error: /before/ })
  t.match(planSeats({ firstRow: '1', lastRow: 'A', seatsPerRow: 2 }), { error: /letters/ })
  t.match(planSeats({ firstRow: 'A', lastRow: 'ZZ', seatsPerRow: 200 }), { error: /100,000/ })
})
