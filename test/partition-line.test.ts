import { randomUUID } from 'node:crypto'
import type { Command } from '@seatline/contracts'
import { commandJobId, PartitionLine } from '@seatline/queue'
import t from 'tap'

const command = (seatId: string): Command =>
  ({ type: 'book-seats', requestId: randomUUID(), userId: randomUUID(), eventId: 'e', seatIds: [seatId] })

function line (options: Partial<{ maxInFlight: number, maxBatch: number, releaseAfterMs: number }> = {}) {
  let freed = 0
  const l = new PartitionLine<string>({ maxInFlight: 1, maxBatch: 3, releaseAfterMs: 60_000, onSlotFreed: () => { freed++ }, ...options })
  const add = (seat: string, alone = false, group = seat) => {
    const place = l.reserve(group)
    l.fill(place, command(seat), alone, seat)
    return place
  }
  const seatsOf = (jobs: ReturnType<typeof l.take>) => jobs.map((j) => j.places.map((p) => p.payload))
  return { l, add, seatsOf, freed: () => freed }
}

t.test('light load: a command leaves at once, in a batch of one', async (t) => {
  const { l, add, seatsOf } = line()
  add('S1')
  const jobs = l.take()
  t.same(seatsOf(jobs), [['S1']])
  t.ok(jobs[0]!.batch && jobs[0]!.jobId.startsWith('batch-'))
})

t.test('while a batch is in flight the rest wait, then leave together in arrival order', async (t) => {
  const { l, add, seatsOf, freed } = line()
  add('S1')
  const [first] = l.take()
  for (const seat of ['S2', 'S3', 'S4', 'S5']) add(seat)
  const keyed = add('S6', true)
  const during = l.take()
  t.same(seatsOf(during), [['S6']], 'only the job of its own leaves: it takes no slot, and no earlier command of its group waits')
  t.equal(during[0]!.jobId, commandJobId(keyed.command!.requestId), 'under its request id, so a duplicate joins it')
  t.equal(l.waiting, 4)

  l.finished(first!.jobId)
  t.equal(freed(), 1, 'the freed slot is announced')
  const next = l.take()
  t.same(seatsOf(next), [['S2', 'S3', 'S4']], 'one batch of at most maxBatch, in arrival order')
  t.equal(l.waiting, 1, 'the rest waits for the next slot')
  l.finished(next[0]!.jobId)
  t.same(seatsOf(l.take()), [['S5']])
})

t.test('a command never overtakes an earlier one of its group that is still being recorded', async (t) => {
  const { l, seatsOf } = line({ maxInFlight: Number.POSITIVE_INFINITY })
  const slow = l.reserve('A')
  const later = l.reserve('A')
  l.fill(later, command('A-later'), false, 'A-later')
  const other = l.reserve('B')
  l.fill(other, command('B'), false, 'B')
  t.same(seatsOf(l.take()), [['B']], "another group's command does not wait")
  l.fill(slow, command('A-first'), true, 'A-first')
  t.same(seatsOf(l.take()), [['A-first'], ['A-later']], 'once ready, the first leaves before the later one, in that order')
})

t.test('a cancelled place is skipped and holds nobody back', async (t) => {
  const { l, seatsOf } = line()
  const gone = l.reserve('A')
  const next = l.reserve('A')
  l.fill(next, command('A2'), false, 'A2')
  l.cancel(gone)
  t.same(seatsOf(l.take()), [['A2']])
  t.equal(l.waiting, 0)
})

t.test('batching off: every command is a job of its own, at once', async (t) => {
  const { l, add, seatsOf } = line({ maxInFlight: Number.POSITIVE_INFINITY, maxBatch: 1 })
  for (const seat of ['S1', 'S2', 'S3']) add(seat)
  t.same(seatsOf(l.take()), [['S1'], ['S2'], ['S3']])
})

t.test('a job whose end goes unseen stops holding the line after a while', async (t) => {
  const { l, add, seatsOf, freed } = line({ releaseAfterMs: 100 })
  add('S1')
  l.take()
  add('S2')
  t.same(l.take(), [], 'held back while the first is in flight')
  await new Promise((resolve) => setTimeout(resolve, 150))
  t.equal(freed(), 1, 'released after releaseAfterMs')
  t.same(seatsOf(l.take()), [['S2']])
})
