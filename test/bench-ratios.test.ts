import t from 'tap'
import { mergeRuns } from '../bench/lib/merge-runs.ts'
import { computeRatios, meets, SALE_WINDOW_LABEL } from '../bench/lib/ratios.ts'
import { renderMarkdown } from '../bench/lib/render-markdown.ts'
import { renderTable } from '../bench/lib/render-table.ts'
import type { Ratio, ScenarioResult } from '../bench/lib/result-types.ts'
import { median, percentile } from '../bench/lib/stats.ts'

type Overrides = Partial<ScenarioResult>

/** A result row with figures that pass by default; `over` changes what a test needs. */
function result (label: string, scenario: string, system: ScenarioResult['system'], over: Overrides = {}): ScenarioResult {
  return {
    scenario,
    system,
    label,
    config: { connections: 64, durationS: 10 },
    throughput: 1000,
    unit: 'bookings/s',
    latencyMs: { p50: 5, p90: 10, p99: 20, max: 40 },
    requests: 10_000,
    statuses: { 201: 10_000 },
    errors: 0,
    audit: { ok: true, checks: [] },
    ...(system === 'postgres' ? {} : { rssMb: system === 'seatline' ? { gateway: 100, worker: 90 } : { gateway: 80 } }),
    ...over,
  }
}

const flashExtra = (timeToAllAnswersMs: number) => ({ timeToAllAnswersMs, oversold: 0, firstAskerWinsPct: 100 })

/** Every row a full run produces (2 workers, 4 partitions), every target met. */
function complete (): ScenarioResult[] {
  return [
    result('ceiling (transaction alone)', 'ceiling', 'postgres', { throughput: 400, unit: 'transactions/s', latencyMs: undefined }),
    result('uniform (baseline)', 'uniform', 'baseline', { throughput: 500, latencyMs: { p50: 10, p90: 20, p99: 30, max: 50 } }),
    result('flash-sale (baseline)', 'flash-sale', 'baseline', { extra: flashExtra(20_000) }),
    result('uniform (peer)', 'uniform', 'peer', { throughput: 800, latencyMs: { p50: 10, p90: 20, p99: 25, max: 50 }, extra: { postgresCpuMsPerBooking: 0.5 } }),
    result('flash-sale (peer)', 'flash-sale', 'peer', { extra: flashExtra(10_000) }),
    result('uniform', 'uniform', 'seatline', { throughput: 1000, extra: { postgresCpuMsPerBooking: 0.4 } }),
    result('flash-sale', 'flash-sale', 'seatline', { throughput: 2000, unit: 'answers/s', extra: flashExtra(2_500) }),
    // The live-maps row: its gateway is allowed more than any other process.
    result('flash-sale with 2,000 live maps', 'stream', 'seatline', { throughput: 1900, rssMb: { gateway: 180, worker: 95 } }),
    result(SALE_WINDOW_LABEL, 'flash-sale', 'seatline', { throughput: 1960 }),
    result('hold-confirm', 'hold-confirm', 'seatline'),
    result('general-admission', 'general-admission', 'seatline'),
    result('cold-big-event', 'cold-big-event', 'seatline', { throughput: 950, latencyMs: { p50: 5, p90: 10, p99: 24, max: 40 } }),
    result('scale: 1 workers, 4 partitions', 'uniform', 'seatline', { throughput: 600 }),
    result('scale: 2 workers, 4 partitions', 'uniform', 'seatline', { throughput: 1000 }),
    result('scale: 4 workers, 4 partitions', 'uniform', 'seatline', { throughput: 1100 }),
    result('scale: 2 workers, 16 partitions', 'uniform', 'seatline', { throughput: 950 }),
    result('scale: 2 workers, 64 partitions', 'uniform', 'seatline', { throughput: 900 }),
    result('scale: 2 workers, 4 partitions, a job per command', 'uniform', 'seatline', { throughput: 300 }),
    result('uniform: metrics off', 'uniform', 'seatline', { throughput: 1050 }),
    result('flash-sale: metrics off', 'flash-sale', 'seatline', { throughput: 2100 }),
    result('uniform: info logs, scraped', 'uniform', 'seatline', { throughput: 950 }),
    result('flash-sale: info logs, scraped', 'flash-sale', 'seatline', { throughput: 1900 }),
  ]
}

/** `results` with the row `label` changed (or removed, when `over` is null). */
function edit (results: ScenarioResult[], label: string, over: Overrides | null): ScenarioResult[] {
  if (!results.some((r) => r.label === label)) throw new Error(`the fixture has no "${label}"`)
  return over === null ? results.filter((r) => r.label !== label) : results.map((r) => (r.label === label ? { ...r, ...over } : r))
}

function named (ratios: Ratio[], name: string): Ratio {
  const found = ratios.find((q) => q.name === name)
  if (!found) throw new Error(`no ratio "${name}" among ${ratios.map((q) => q.name).join('; ')}`)
  return found
}

const ALL_TARGETS = [
  'uniform throughput / peer',
  'uniform p99 / peer p99',
  'flash-sale time to all answers / peer',
  'flash-sale first asker wins (%)',
  'flash-sale oversold seats',
  'Postgres CPU per booking / peer',
  'uniform throughput / baseline',
  'uniform p99 / baseline p99',
  'flash-sale time to all answers / baseline',
  'batching off / ceiling',
  'scale: 64 partitions / 4 partitions',
  'flash-sale answers/s with live maps / without',
  'gateway RSS with live maps (MB)',
  'flash-sale answers/s opening mid-run with a limit / without',
  'cold-big-event / uniform on a fresh stack',
  'cold-big-event p99 / uniform p99',
  'uniform with metrics / without',
  'flash-sale answers/s with metrics / without',
  'uniform logging at info / at warn',
  'flash-sale answers/s logging at info / at warn',
  'peak RSS of any process outside the live-maps scenario (MB)',
]

t.test('complete results: every target listed, met, with the right values', async (t) => {
  const ratios = computeRatios(complete(), { full: true })
  t.same(ratios.map((q) => q.name).sort(), [...ALL_TARGETS].sort())
  for (const q of ratios) {
    t.ok(q.ok, `${q.name} passes (${q.value} ${q.target})`)
    t.equal(q.missing, undefined, `${q.name} has no hole`)
    t.ok(Number.isFinite(q.value), `${q.name} has a value`)
  }
  const value = (name: string) => named(ratios, name).value
  t.equal(value('uniform throughput / peer'), 1.25)
  t.equal(value('uniform p99 / peer p99'), 0.8)
  t.equal(value('flash-sale time to all answers / peer'), 0.25)
  t.equal(value('flash-sale time to all answers / baseline'), 0.13)
  t.equal(value('flash-sale first asker wins (%)'), 100)
  t.equal(value('flash-sale oversold seats'), 0)
  t.equal(value('Postgres CPU per booking / peer'), 0.8)
  t.equal(value('uniform throughput / baseline'), 2)
  t.equal(value('uniform p99 / baseline p99'), 0.67)
  t.equal(value('flash-sale answers/s with live maps / without'), 0.95)
  t.equal(value('gateway RSS with live maps (MB)'), 180)
  t.equal(value('flash-sale answers/s opening mid-run with a limit / without'), 0.98)
  t.equal(value('cold-big-event / uniform on a fresh stack'), 0.95)
  t.equal(value('cold-big-event p99 / uniform p99'), 1.2)
  t.equal(value('uniform with metrics / without'), 0.95)
  t.equal(value('flash-sale answers/s with metrics / without'), 0.95)
  t.equal(value('uniform logging at info / at warn'), 0.95)
  t.equal(value('flash-sale answers/s logging at info / at warn'), 0.95)
  // The live-maps row's 180 MB gateway is left out: the peak is the 100 MB of the other rows.
  t.equal(value('peak RSS of any process outside the live-maps scenario (MB)'), 100)
})

t.test('batching off / ceiling reads the job-per-command row, not uniform', async (t) => {
  const q = named(computeRatios(complete(), { full: true }), 'batching off / ceiling')
  t.equal(q.value, 0.75, 'a job per command (300) over the ceiling (400)')
  const slow = edit(complete(), 'scale: 2 workers, 4 partitions, a job per command', { throughput: 150 })
  const missed = named(computeRatios(slow, { full: true }), 'batching off / ceiling')
  t.equal(missed.value, 0.38)
  t.notOk(missed.ok, 'below half the ceiling fails, however fast batched uniform is')
})

t.test('scale: 64 / 4 partitions reads the rows of the stack\'s workers', async (t) => {
  t.equal(named(computeRatios(complete(), { full: true }), 'scale: 64 partitions / 4 partitions').value, 0.9, '900 over the 2-worker 4-partition 1000')
  const worse = edit(complete(), 'scale: 2 workers, 64 partitions', { throughput: 700 })
  const q = named(computeRatios(worse, { full: true }), 'scale: 64 partitions / 4 partitions')
  t.equal(q.value, 0.7)
  t.notOk(q.ok)
  // With 4 workers the 4-worker rows are read: the 4-worker 64-partition row is absent.
  const four = named(computeRatios(complete(), { full: true, workers: 4 }), 'scale: 64 partitions / 4 partitions')
  t.notOk(four.ok)
  t.match(four.missing, /scale: 4 workers, 64 partitions row/)
  t.match(named(computeRatios(complete(), { full: true, workers: 4 }), 'batching off / ceiling').missing, /scale: 4 workers, 4 partitions, a job per command row/)
})

t.test('a missing p99 is ✘, not ✔', async (t) => {
  for (const p99 of [undefined, 0, Number.NaN]) {
    const holes = edit(complete(), 'uniform', { latencyMs: p99 === undefined ? undefined : { p50: 5, p90: 10, p99, max: 40 } })
    const ratios = computeRatios(holes, { full: true })
    for (const name of ['uniform p99 / peer p99', 'uniform p99 / baseline p99', 'cold-big-event p99 / uniform p99']) {
      const q = named(ratios, name)
      t.notOk(q.ok, `${name} with a p99 of ${p99}`)
      t.ok(Number.isNaN(q.value))
      t.equal(q.missing, 'uniform p99')
    }
    t.ok(named(ratios, 'uniform throughput / peer').ok, 'the figures that are there still count')
  }
  // The peer's p99 missing is a hole too, not a division by 1.
  const peerHole = edit(complete(), 'uniform (peer)', { latencyMs: undefined })
  t.notOk(named(computeRatios(peerHole, { full: false }), 'uniform p99 / peer p99').ok)
})

t.test('a missing peer row in a full run: the peer targets are listed and ✘', async (t) => {
  const noPeer = edit(edit(complete(), 'uniform (peer)', null), 'flash-sale (peer)', null)
  const ratios = computeRatios(noPeer, { full: true })
  t.equal(ratios.length, ALL_TARGETS.length, 'nothing is left out')
  for (const name of ['uniform throughput / peer', 'uniform p99 / peer p99', 'Postgres CPU per booking / peer']) {
    t.notOk(named(ratios, name).ok, name)
    t.equal(named(ratios, name).missing, 'uniform (peer) row')
  }
  t.equal(named(ratios, 'flash-sale time to all answers / peer').missing, 'flash-sale (peer) row')
  t.ok(named(ratios, 'uniform throughput / baseline').ok)
})

t.test('not a full run: a target is listed when one of its rows is there', async (t) => {
  const uniformOnly = complete().filter((r) => r.label === 'uniform')
  const ratios = computeRatios(uniformOnly, { full: false })
  const names = ratios.map((q) => q.name)
  t.ok(names.includes('uniform throughput / peer'), 'the peer comparison is listed, and missing')
  t.notOk(named(ratios, 'uniform throughput / peer').ok)
  t.notOk(names.includes('flash-sale oversold seats'), 'flash-sale targets are not listed')
  t.notOk(names.includes('batching off / ceiling'))
  t.ok(named(ratios, 'peak RSS of any process outside the live-maps scenario (MB)').ok)
  t.same(computeRatios([], { full: false }), [])
  const none = computeRatios([], { full: true })
  t.equal(none.length, ALL_TARGETS.length)
  t.ok(none.every((q) => !q.ok && q.missing), 'an empty full run misses everything')
})

t.test('a missing RSS is ✘, not 0 MB', async (t) => {
  const rssName = 'peak RSS of any process outside the live-maps scenario (MB)'
  for (const rssMb of [undefined, {}, { gateway: 100 }]) {
    const holes = edit(complete(), 'hold-confirm', { rssMb })
    const q = named(computeRatios(holes, { full: true }), rssName)
    t.notOk(q.ok, `hold-confirm rssMb ${JSON.stringify(rssMb)}`)
    t.match(q.missing, /hold-confirm worker RSS/)
  }
  const noGateway = edit(complete(), 'flash-sale with 2,000 live maps', { rssMb: { worker: 95 } })
  t.equal(named(computeRatios(noGateway, { full: true }), 'gateway RSS with live maps (MB)').missing, 'flash-sale with 2,000 live maps gateway RSS')
  // Too much memory outside the live maps fails, the peer's included.
  const fat = edit(complete(), 'uniform (peer)', { rssMb: { gateway: 160 } })
  const peak = named(computeRatios(fat, { full: true }), rssName)
  t.equal(peak.value, 160)
  t.notOk(peak.ok)
  // A --target stack's processes are not sampled: its rows are not holes.
  const external = complete().filter((r) => r.system === 'seatline').map((r) => ({ ...r, rssMb: {} }))
  t.notOk(computeRatios(external, { full: false, external: true }).some((q) => q.name === rssName))
})

t.test('a zero throughput is ✘', async (t) => {
  const zero = edit(complete(), 'uniform (peer)', { throughput: 0 })
  const q = named(computeRatios(zero, { full: true }), 'uniform throughput / peer')
  t.notOk(q.ok, 'not Infinity passing >= 1.0')
  t.equal(q.missing, 'uniform (peer) throughput')
  const ours = edit(complete(), 'uniform', { throughput: 0 })
  t.notOk(named(computeRatios(ours, { full: true }), 'cold-big-event / uniform on a fresh stack').ok, 'not Infinity either')
})

t.test('the flash-sale figures', async (t) => {
  const oversold = edit(complete(), 'flash-sale', { extra: { ...flashExtra(2_500), oversold: 1 } })
  const q = named(computeRatios(oversold, { full: true }), 'flash-sale oversold seats')
  t.equal(q.value, 1)
  t.notOk(q.ok)
  const unfair = edit(complete(), 'flash-sale', { extra: { ...flashExtra(2_500), firstAskerWinsPct: 99.4 } })
  t.notOk(named(computeRatios(unfair, { full: true }), 'flash-sale first asker wins (%)').ok, '99.4 is under 99.5')
  const noFigure = edit(complete(), 'flash-sale', { extra: { timeToAllAnswersMs: 2_500 } })
  const ratios = computeRatios(noFigure, { full: true })
  t.equal(named(ratios, 'flash-sale oversold seats').missing, 'flash-sale oversold')
  t.equal(named(ratios, 'flash-sale first asker wins (%)').missing, 'flash-sale firstAskerWinsPct')
  const noPg = edit(complete(), 'uniform', { extra: undefined })
  t.equal(named(computeRatios(noPg, { full: true }), 'Postgres CPU per booking / peer').missing, 'uniform postgresCpuMsPerBooking')
})

t.test('meets reads the targets as printed', async (t) => {
  t.ok(meets(1, '>= 1.0'))
  t.notOk(meets(0.99, '>= 1.0'))
  t.ok(meets(149.9, '< 150'))
  t.notOk(meets(150, '< 150'))
  t.ok(meets(0, '= 0'))
  t.notOk(meets(Number.NaN, '<= 1.5'), 'NaN meets nothing')
  t.notOk(meets(Number.NaN, '>= 0.9'))
  t.throws(() => meets(1, 'at least 1'))
})

t.test('mergeRuns: medians of complete runs', async (t) => {
  const runs = [800, 1000, 1200].map((throughput, i) => [
    result('uniform', 'uniform', 'seatline', { throughput, latencyMs: { p50: 5 + i, p90: 10, p99: [30, 10, 20][i]!, max: 40 }, rssMb: { gateway: 100 + i * 10, worker: 90 }, extra: { postgresCpuMsPerBooking: [0.5, 0.3, 0.4][i]! } }),
  ])
  const [merged] = mergeRuns(runs)
  t.equal(merged!.throughput, 1000)
  t.equal(merged!.latencyMs!.p99, 20)
  t.equal(merged!.latencyMs!.p50, 6)
  t.equal(merged!.extra!.postgresCpuMsPerBooking, 0.4)
  t.same(merged!.rssMb, { gateway: 120, worker: 90 }, 'RSS is the peak over the runs')
  t.equal(merged!.extra!.runs, 3)
  t.equal(merged!.extra!.holes, undefined, 'no holes to report')
})

t.test('mergeRuns: one run oversold 1 of 3 → oversold 1, and the target fails', async (t) => {
  const runs = [0, 1, 0].map((oversold) => complete().map((r) => (r.label === 'flash-sale' ? { ...r, extra: { ...r.extra, oversold } } : r)))
  const merged = mergeRuns(runs)
  const flash = merged.find((r) => r.label === 'flash-sale')!
  t.equal(flash.extra!.oversold, 1, 'the worst run, not the median 0')
  const q = named(computeRatios(merged, { full: true }), 'flash-sale oversold seats')
  t.equal(q.value, 1)
  t.notOk(q.ok)
  const errors = mergeRuns([[result('uniform', 'uniform', 'seatline', { errors: 0 })], [result('uniform', 'uniform', 'seatline', { errors: 5 })], [result('uniform', 'uniform', 'seatline', { errors: 0 })]])
  t.equal(errors[0]!.errors, 5)
})

t.test('mergeRuns: a figure missing in one run is a visible hole', async (t) => {
  const runs = [20, undefined, 30].map((p99) => complete().map((r) => (r.label === 'uniform'
    ? { ...r, latencyMs: { p50: 5, p90: 10, p99: p99 ?? Number.NaN, max: 40 }, rssMb: p99 === undefined ? { gateway: 100 } : { gateway: 100, worker: 90 } }
    : r)))
  const merged = mergeRuns(runs)
  const uniform = merged.find((r) => r.label === 'uniform')!
  t.ok(Number.isNaN(uniform.latencyMs!.p99), 'not the median of the two runs that had it')
  t.equal(uniform.throughput, 1000, 'the other figures are merged as usual')
  t.same(uniform.rssMb, { gateway: 100 }, 'the worker RSS one run could not read is left out')
  t.match(uniform.extra!.holes, /p99 in 2 of 3 runs/)
  t.match(uniform.extra!.holes, /rssMb\.worker in 2 of 3 runs/)
  const ratios = computeRatios(merged, { full: true })
  t.notOk(named(ratios, 'uniform p99 / peer p99').ok)
  t.notOk(named(ratios, 'peak RSS of any process outside the live-maps scenario (MB)').ok)
  t.ok(named(ratios, 'uniform throughput / peer').ok)
  // A row one run lacks altogether: its figures are holes too, and it says in how many runs it ran.
  const [withRow, withoutRow] = [complete(), complete().filter((r) => r.label !== 'cold-big-event')]
  const partial = mergeRuns([withRow, withoutRow, withRow]).find((r) => r.label === 'cold-big-event')!
  t.equal(partial.extra!.runs, 2)
  t.ok(Number.isNaN(partial.throughput))
  t.match(partial.extra!.holes, /throughput in 2 of 3 runs/)
  t.notOk(named(computeRatios(mergeRuns([withRow, withoutRow, withRow]), { full: true }), 'cold-big-event / uniform on a fresh stack').ok)
})

t.test('median and percentile of nothing are NaN, not 0', async (t) => {
  t.ok(Number.isNaN(median([])))
  t.ok(Number.isNaN(percentile([], 99)))
  t.equal(median([3, 1, 2]), 2)
})

t.test('the reports say what is missing, never NaN', async (t) => {
  const noPeer = complete().filter((r) => r.label !== 'uniform (peer)')
  const run = {
    date: '2025-06-01T12:34:56.000Z',
    commit: 'abc1234',
    command: 'npm run bench',
    machine: { cpus: 2, node: 'v24.21.0', platform: 'linux-x64' },
    results: noPeer,
    ratios: computeRatios(noPeer, { full: true }),
  }
  const table = renderTable(run)
  t.match(table, /✘ +uniform throughput \/ peer +missing: uniform \(peer\) row +target >= 1\.0/)
  t.match(table, /✔ +uniform throughput \/ baseline +2\.00 +target >= 1\.0/)
  t.notMatch(table, /NaN|undefined/)
  const md = renderMarkdown(run, 'x.svg')
  t.match(md, /\| ✘ \| uniform p99 \/ peer p99 \| missing: uniform \(peer\) row \| &lt;= 1\.0 \|/)
  t.notMatch(md, /NaN|undefined/)
})
