import t from 'tap'
import { runArrivals } from '../bench/lib/arrivals.ts'
import { mergeRuns } from '../bench/lib/merge-runs.ts'
import { computeRatios, computeWaitingRoomRatios, WAITING_ROOM_LABEL, WAITING_ROOM_SCALE_LABEL } from '../bench/lib/ratios.ts'
import type { Ratio, ScenarioResult } from '../bench/lib/result-types.ts'
import { SeatBoard } from '../bench/lib/seat-board.ts'
import { ranks, spearman } from '../bench/lib/stats.ts'
import { compareWithFlashSale } from '../bench/scenarios/waiting-room.ts'

/** A fixed pseudo-random sequence, so a "shuffle" is the same on every run. */
function lcg (seed: number) {
  let x = seed
  return () => (x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
}

function shuffled (n: number, random: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a
}

t.test('spearman: kept, reversed and shuffled orders', async (t) => {
  const order = Array.from({ length: 100 }, (_, i) => i)
  t.equal(spearman(order, order.map((i) => i * 10)), 1, 'any increasing function keeps the order')
  t.equal(spearman(order, order.map((i) => -i)), -1)
  const big = Array.from({ length: 10_000 }, (_, i) => i)
  const r = spearman(big, shuffled(10_000, lcg(7)))
  t.ok(Math.abs(r) < 0.04, `a shuffle of 10,000 is uncorrelated (rho ${r})`)
  t.ok(Number.isNaN(spearman([1, 2], [2, 1])), 'fewer than 3 items: no figure')
  t.ok(Number.isNaN(spearman([1, 2, 3], [5, 5, 5])), 'an order without spread: no figure')
  t.throws(() => spearman([1, 2, 3], [1, 2]))
})

t.test('ranks share ties; spearman with ties', async (t) => {
  t.same(ranks([10, 20, 20, 30]), [1, 2.5, 2.5, 4])
  t.same(ranks([3, 1, 2]), [3, 1, 2])
  // Admission order with ties (the same step) against join order: still perfectly monotone.
  t.equal(spearman([1, 2, 3, 4], [100, 100, 200, 200]), spearman([1, 2, 3, 4], [1, 1, 2, 2]))
  t.ok(spearman([1, 2, 3, 4], [100, 100, 200, 200]) > 0.89)
})

t.test('SeatBoard: picks only free seats, never one avoided, each once', async (t) => {
  const board = new SeatBoard(['A', 'B', 'C', 'D', 'E'])
  board.taken(['B', 'D', 'Z'])
  t.equal(board.free, 3, 'an unknown seat changes nothing')
  for (let i = 0; i < 200; i++) {
    const picked = board.pick(2, new Set(['A']))
    t.equal(new Set(picked).size, picked.length)
    if (picked.some((s) => !['C', 'E'].includes(s))) t.fail(`picked ${picked}`)
  }
  t.same(board.pick(5).sort(), ['A', 'C', 'E'], 'asked for more than is free: what is free')
  board.taken(['A', 'C', 'E'])
  t.same(board.pick(1), [], 'nothing free: nothing picked')
})

t.test('runArrivals: nobody asks before their time, at most `connections` at once', async (t) => {
  let inFlight = 0
  let most = 0
  const start = performance.now()
  const answers = await runArrivals(20, (i) => start + i * 5, 3, async (i) => {
    inFlight++
    most = Math.max(most, inFlight)
    await new Promise((resolve) => setTimeout(resolve, 20))
    inFlight--
    return i
  })
  t.ok(most <= 3, `at most 3 in flight (${most})`)
  t.ok(answers.every((a, i) => a.reply === i && a.sentAt >= a.dueAt && a.answeredAt >= a.sentAt), 'each sent at or after its time, answered after')
  t.ok(answers.at(-1)!.sentAt - answers.at(-1)!.dueAt > 10, 'a busy pool makes the later ones wait: the time from due shows it')
})

function row (label: string, scenario: string, over: Partial<ScenarioResult> = {}): ScenarioResult {
  return {
    scenario,
    system: 'seatline',
    label,
    config: { connections: 256, durationS: 60 },
    throughput: 1000,
    unit: 'joins/s',
    latencyMs: { p50: 20, p90: 40, p99: 80, max: 200 },
    requests: 100_000,
    statuses: { 201: 60_000 },
    errors: 0,
    audit: { ok: true, checks: [] },
    rssMb: { gateway: 190, worker: 100 },
    ...over,
  }
}

const roomExtra = { oversold: 0, overLimit: 0, soldOutToldStreamsMs: 400, rhoEarly: -0.02 }
const rooms = () => [
  row(WAITING_ROOM_LABEL, 'waiting-room', { extra: { ...roomExtra } }),
  row(WAITING_ROOM_SCALE_LABEL, 'waiting-room-scale', { extra: { positionGapP99Ms: 1100 } }),
]

function named (ratios: Ratio[], name: string): Ratio {
  const found = ratios.find((q) => q.name === name)
  if (!found) throw new Error(`no ratio "${name}" among ${ratios.map((q) => q.name).join('; ')}`)
  return found
}

const TARGETS = [
  'waiting-room oversold seats',
  'waiting-room buyers above the limit',
  'waiting-room join p99 during the burst (ms)',
  'waiting-room: every streamed buyer told sold out, ms after the last seat sold',
  'waiting-room |rho| of early joiners\' join and admission orders',
  'waiting-room-scale join p99 (ms)',
  'waiting-room-scale position update gap p99 (ms)',
]

t.test('waiting-room targets: met, and a negative rho counts by its size', async (t) => {
  const ratios = computeWaitingRoomRatios(rooms(), { full: true })
  t.same(ratios.map((q) => q.name), TARGETS)
  for (const q of ratios) t.ok(q.ok, `${q.name} (${q.value} ${q.target})`)
  t.equal(named(ratios, TARGETS[4]!).value, 0.02)
  t.equal(named(ratios, TARGETS[3]!).value, 400)
})

t.test('waiting-room targets fail on a bad figure, and on a missing one', async (t) => {
  const bad = (extra: Record<string, number>, over: Partial<ScenarioResult> = {}) =>
    computeWaitingRoomRatios([row(WAITING_ROOM_LABEL, 'waiting-room', { extra: { ...roomExtra, ...extra }, ...over }), rooms()[1]!], { full: true })
  t.notOk(named(bad({ oversold: 1 }), TARGETS[0]!).ok)
  t.notOk(named(bad({ overLimit: 2 }), TARGETS[1]!).ok)
  t.notOk(named(bad({}, { latencyMs: { p50: 50, p90: 90, p99: 120, max: 300 } }), TARGETS[2]!).ok)
  t.notOk(named(bad({ soldOutToldStreamsMs: 2_500 }), TARGETS[3]!).ok)
  t.notOk(named(bad({ rhoEarly: -0.15 }), TARGETS[4]!).ok, 'a reversed-leaning order fails as a kept one would')
  t.notOk(named(bad({ rhoEarly: 0.15 }), TARGETS[4]!).ok)
  const { oversold: _, ...noOversold } = roomExtra
  const missing = computeWaitingRoomRatios([row(WAITING_ROOM_LABEL, 'waiting-room', { extra: noOversold })], { full: true })
  t.equal(named(missing, TARGETS[0]!).missing, 'waiting-room oversold')
  t.equal(named(missing, TARGETS[5]!).missing, 'waiting-room-scale row', 'a full run without the scale row misses its targets')
  t.ok(computeWaitingRoomRatios([], { full: true }).every((q) => !q.ok && q.missing), 'an empty full run misses them all')
  t.same(computeWaitingRoomRatios([], { full: false }), [], 'a run without the rows lists none')
  t.same(computeWaitingRoomRatios([rooms()[1]!], { full: false }).map((q) => q.name), TARGETS.slice(5), 'only the scale row: its targets')
  const slow = computeWaitingRoomRatios([rooms()[0]!, row(WAITING_ROOM_SCALE_LABEL, 'waiting-room-scale', { extra: { positionGapP99Ms: 2_400 } })], { full: true })
  t.notOk(named(slow, TARGETS[6]!).ok)
})

t.test('the waiting room\'s streaming gateway is left out of the peak RSS of the other rows', async (t) => {
  const others = [row('hold-confirm', 'hold-confirm', { rssMb: { gateway: 120, worker: 100 } })]
  const peak = named(computeRatios([...others, ...rooms()], { full: false }), 'peak RSS of any process outside the live-maps scenario (MB)')
  t.equal(peak.value, 120, 'the 190 MB gateway of the waiting-room rows is not the peak')
  t.ok(peak.ok)
})

t.test('compareWithFlashSale puts the flash sale\'s figures next to the waiting room\'s', async (t) => {
  const room = rooms()[0]!
  t.equal(compareWithFlashSale(room, undefined), room, 'no flash-sale row in this run: unchanged')
  const flash = row('flash-sale', 'flash-sale', { statuses: { 201: 2000, 409: 18_000, 503: 7 }, extra: { buyers: 20_000, sellOutMs: 5_000, timeToAllAnswersMs: 6_500, attemptsPerBuyer: 1 } })
  const compared = compareWithFlashSale(room, flash)
  t.match(compared.extra, { ...roomExtra, flashSaleBuyers: 20_000, flashSaleSellOutMs: 5_000, flashSaleTimeToAllAnswersMs: 6_500, flashSaleRequestsPerBuyer: 1, flashSale429: 0, flashSale503: 7, flashSaleP99Ms: 80 })
})

t.test('mergeRuns: a buyer above the limit in one run of three is above it', async (t) => {
  const runs = [0, 1, 0].map((overLimit) => [row(WAITING_ROOM_LABEL, 'waiting-room', { extra: { ...roomExtra, overLimit } })])
  const merged = mergeRuns(runs)
  t.equal(merged[0]!.extra!.overLimit, 1)
  t.notOk(named(computeWaitingRoomRatios(merged), TARGETS[1]!).ok)
})
