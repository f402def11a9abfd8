import { commandGroupKey, hash32, partitionOf, partitionQueueName } from '@seatline/queue'
import t from 'tap'

t.test('a group key always lands on the same partition', async (t) => {
  // FNV-1a reference values: a change of hash would silently reorder queued commands.
  t.equal(hash32(''), 0x811c9dc5)
  t.equal(hash32('a'), 0xe40c292c)
  t.equal(hash32('foobar'), 0xbf9cf968)
  // Pinned from the current implementation: a queued command must find its partition again
  // after a deploy, so these may never change.
  const pinned: Array<[string, number, number]> = [
    ['e1:A1', 16, 13], ['e1:B7', 16, 4], ['e2:A1', 16, 10],
    ['e1:A1', 4, 1], ['e1:B7', 4, 0], ['e2:A1', 4, 2],
    ['e1:A1', 64, 45], ['e1:B7', 64, 36], ['e2:A1', 64, 42],
  ]
  for (const [key, partitions, expected] of pinned) t.equal(partitionOf(key, partitions), expected, `${key} is on partition ${expected} of ${partitions}`)
})

t.test('keys spread evenly over the partitions', async (t) => {
  for (const partitions of [4, 16, 64]) {
    const counts = new Array(partitions).fill(0)
    const keys = 50_000
    for (let i = 0; i < keys; i++) counts[partitionOf(`event-${i % 7}:${String.fromCharCode(65 + (i % 26))}${i}`, partitions)]++
    const mean = keys / partitions
    t.ok(counts.every((c) => c > mean * 0.85 && c < mean * 1.15), `${partitions} partitions: every one within 15% of ${mean}`)
  }
})

t.test('group keys and queue names', async (t) => {
  const base = { requestId: 'r', userId: 'u', eventId: 'ev' }
  t.equal(commandGroupKey({ ...base, type: 'book-seats', seatIds: ['C3', 'A10', 'B2'] }), 'ev:A10', 'a multi-seat command groups under its smallest seat')
  t.equal(commandGroupKey({ ...base, type: 'hold-seats', seatIds: ['B2', 'C3', 'A10'], ttlSeconds: 60 }), 'ev:A10', 'whatever the order it was given in')
  t.equal(commandGroupKey({ ...base, type: 'book-section', sectionId: 'sec', quantity: 1 }), 'ev:sec', 'a section is one group')
  t.equal(commandGroupKey({ ...base, type: 'cancel-booking', bookingId: 'b', seatIds: [], sectionId: 'sec' }), 'ev:sec', 'and so is cancelling a booking of it')
  t.equal(commandGroupKey({ ...base, type: 'cancel-booking', bookingId: 'b', seatIds: ['D4', 'D2'], sectionId: null }), 'ev:D2', 'cancelling seats groups with booking them')
  t.equal(partitionQueueName(3), '{booking-3}', 'queue names carry a Redis Cluster hash tag')
})
