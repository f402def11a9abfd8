import type { Ratio, ScenarioResult } from './result-types.ts'

export const SALE_WINDOW_LABEL = 'flash-sale: opens mid-run, limit 4'
export const WAITING_ROOM_LABEL = 'waiting-room'
export const WAITING_ROOM_SCALE_LABEL = 'waiting-room-scale'

export interface RatioOptions {
  /** Every scenario ran: every target is listed, and one whose rows are absent is missed. */
  full: boolean
  /** The stack's workers and partitions (the `scale` rows are named after them). */
  workers?: number
  partitions?: number
  /** The Seatline rows loaded a `--target` stack: its processes are not the bench's to sample. */
  external?: boolean
}

/** A row a target reads: `name` says which in the report. */
interface Row { name: string, match: (r: ScenarioResult) => boolean }

/** A figure of a row. Most must be positive: a p99 of 0 ms or 0 bookings/s is a hole, not a result. */
interface Figure { name: string, pick: (r: ScenarioResult) => unknown, zeroOk?: boolean }

/** Reads figures for one target, and notes every one it could not find. */
interface Reader {
  of (row: Row, figure: Figure): number
  miss (what: string): number
}

interface TargetSpec {
  name: string
  /** The comparison the value must pass, e.g. '>= 1.0': parsed, so printed and checked agree. */
  target: string
  rows: Row[]
  value (read: Reader, results: ScenarioResult[]): number
}

const row = (label: string): Row => ({ name: label, match: (r) => r.label === label })
const throughput: Figure = { name: 'throughput', pick: (r) => r.throughput }
const p99: Figure = { name: 'p99', pick: (r) => r.latencyMs?.p99 }
const extra = (name: string, zeroOk = false): Figure => ({ name, pick: (r) => r.extra?.[name], zeroOk })
const rss = (role: 'gateway' | 'worker'): Figure => ({ name: `${role} RSS`, pick: (r) => r.rssMb?.[role] })

const uniform = row('uniform')
const flash = row('flash-sale')
const stream: Row = { name: 'stream', match: (r) => r.scenario === 'stream' }

/** a / b of one figure, e.g. uniform throughput over the peer's. */
function share (a: Row, b: Row, figure: Figure) {
  return (read: Reader) => read.of(a, figure) / read.of(b, figure)
}

/** The targets, each naming the rows it reads. */
function targets (options: RatioOptions): TargetSpec[] {
  const w = options.workers ?? 2
  const p = options.partitions ?? 4
  const peerUniform = row('uniform (peer)')
  const peerFlash = row('flash-sale (peer)')
  const baseUniform = row('uniform (baseline)')
  const baseFlash = row('flash-sale (baseline)')
  // Both one command per transaction: the queue without batching against the transaction alone.
  const unbatched = row(`scale: ${w} workers, ${p} partitions, a job per command`)
  const ceiling = row('ceiling (transaction alone)')
  const partitions64 = row(`scale: ${w} workers, 64 partitions`)
  const partitionsP = row(`scale: ${w} workers, ${p} partitions`)
  const windowed = row(SALE_WINDOW_LABEL)
  const cold = row('cold-big-event')
  const allAnswers = extra('timeToAllAnswersMs')
  const pgCpu = extra('postgresCpuMsPerBooking')
  const sampled = rssRows(options)
  return [
    { name: 'uniform throughput / peer', target: '>= 1.0', rows: [uniform, peerUniform], value: share(uniform, peerUniform, throughput) },
    { name: 'uniform p99 / peer p99', target: '<= 1.0', rows: [uniform, peerUniform], value: share(uniform, peerUniform, p99) },
    { name: 'flash-sale time to all answers / peer', target: '<= 0.3', rows: [flash, peerFlash], value: share(flash, peerFlash, allAnswers) },
    { name: 'flash-sale first asker wins (%)', target: '>= 99.5', rows: [flash], value: (read) => read.of(flash, extra('firstAskerWinsPct', true)) },
    { name: 'flash-sale oversold seats', target: '= 0', rows: [flash], value: (read) => read.of(flash, extra('oversold', true)) },
    { name: 'Postgres CPU per booking / peer', target: '<= 1.2', rows: [uniform, peerUniform], value: share(uniform, peerUniform, pgCpu) },
    { name: 'uniform throughput / baseline', target: '>= 1.0', rows: [uniform, baseUniform], value: share(uniform, baseUniform, throughput) },
    { name: 'uniform p99 / baseline p99', target: '<= 1.5', rows: [uniform, baseUniform], value: share(uniform, baseUniform, p99) },
    { name: 'flash-sale time to all answers / baseline', target: '<= 0.5', rows: [flash, baseFlash], value: share(flash, baseFlash, allAnswers) },
    { name: 'batching off / ceiling', target: '>= 0.5', rows: [unbatched, ceiling], value: share(unbatched, ceiling, throughput) },
    { name: `scale: 64 partitions / ${p} partitions`, target: '>= 0.8', rows: [partitions64, partitionsP], value: share(partitions64, partitionsP, throughput) },
    { name: 'flash-sale answers/s with live maps / without', target: '>= 0.9', rows: [stream, flash], value: share(stream, flash, throughput) },
    { name: 'gateway RSS with live maps (MB)', target: '< 200', rows: [stream], value: (read) => read.of(stream, rss('gateway')) },
    { name: 'flash-sale answers/s opening mid-run with a limit / without', target: '>= 0.95', rows: [windowed, flash], value: share(windowed, flash, throughput) },
    { name: 'cold-big-event / uniform on a fresh stack', target: '>= 0.9', rows: [cold, uniform], value: share(cold, uniform, throughput) },
    { name: 'cold-big-event p99 / uniform p99', target: '<= 1.5', rows: [cold, uniform], value: share(cold, uniform, p99) },
    // What metrics and info-level logs cost, each against the default stack of the same run.
    cost('uniform with metrics / without', uniform, row('uniform: metrics off')),
    cost('flash-sale answers/s with metrics / without', flash, row('flash-sale: metrics off')),
    cost('uniform logging at info / at warn', row('uniform: info logs, scraped'), uniform),
    cost('flash-sale answers/s logging at info / at warn', row('flash-sale: info logs, scraped'), flash),
    {
      name: 'peak RSS of any process outside the live-maps scenario (MB)',
      target: '< 150',
      rows: [sampled],
      value: (read, results) => peakRss(read, results.filter(sampled.match), options),
    },
  ]
}

/** What a feature costs: the throughput of the stack with it on over the same stack with it off. */
function cost (name: string, on: Row, off: Row): TargetSpec {
  return { name, target: '>= 0.9', rows: [on, off], value: share(on, off, throughput) }
}

/**
 * Scenarios whose gateway holds 2,000 open streams (live maps; queue tickets), and so more memory
 * than any other: left out of the peak RSS target, their gateway's RSS read on its own.
 */
const STREAMING = new Set(['stream', 'waiting-room', 'waiting-room-scale'])

/**
 * The rows whose processes the bench sampled, the streaming scenarios aside: Seatline's own
 * stacks (which must have an RSS), and any other row that has one (the baseline, the peer).
 */
function rssRows (options: RatioOptions): Row {
  return {
    name: 'rows outside the streaming scenarios',
    match: (r) => !STREAMING.has(r.scenario) && (ownSeatline(r, options) || rolesOf(r).length > 0),
  }
}

function ownSeatline (r: ScenarioResult, options: RatioOptions): boolean {
  return r.system === 'seatline' && !options.external
}

function rolesOf (r: ScenarioResult): Array<'gateway' | 'worker'> {
  return (['gateway', 'worker'] as const).filter((role) => r.rssMb?.[role] !== undefined)
}

/** The highest RSS of those rows; a Seatline stack's gateway or worker that was never read is a hole. */
function peakRss (read: Reader, rows: ScenarioResult[], options: RatioOptions): number {
  if (rows.length === 0) return read.miss('every row\'s RSS')
  const values = rows.flatMap((r) => {
    const roles = ownSeatline(r, options) ? ['gateway', 'worker'] as const : rolesOf(r)
    return roles.map((role) => read.of(row(r.label), rss(role)))
  })
  return Math.max(...values)
}

/** |x| of a figure that may be negative (a correlation): its size is what a target bounds. */
const magnitude = (name: string): Figure => ({ name, pick: (r) => (typeof r.extra?.[name] === 'number' ? Math.abs(r.extra[name]) : undefined), zeroOk: true })

/**
 * The waiting room's targets (bench/scenarios/waiting-room*.ts). They are evaluated alongside
 * the others, in a list of their own: computeRatios keeps the list its tests pin.
 */
function waitingRoomTargets (): TargetSpec[] {
  const room = row(WAITING_ROOM_LABEL)
  const line = row(WAITING_ROOM_SCALE_LABEL)
  return [
    { name: 'waiting-room oversold seats', target: '= 0', rows: [room], value: (read) => read.of(room, extra('oversold', true)) },
    { name: 'waiting-room buyers above the limit', target: '= 0', rows: [room], value: (read) => read.of(room, extra('overLimit', true)) },
    // From when each buyer meant to join: a stack that falls behind the burst makes them wait.
    { name: 'waiting-room join p99 during the burst (ms)', target: '< 100', rows: [room], value: (read) => read.of(room, p99) },
    // The streams are told (the stack pushes); a polling buyer knows when it next asks.
    { name: 'waiting-room: every streamed buyer told sold out, ms after the last seat sold', target: '<= 2000', rows: [room], value: (read) => read.of(room, extra('soldOutToldStreamsMs')) },
    { name: 'waiting-room |rho| of early joiners\' join and admission orders', target: '< 0.1', rows: [room], value: (read) => read.of(room, magnitude('rhoEarly')) },
    { name: 'waiting-room-scale join p99 (ms)', target: '< 100', rows: [line], value: (read) => read.of(line, p99) },
    // The p99 over every stream's gaps: one stalled admission step stalls all 2,000 streams at
    // once (7 % of the gaps), while one stream's hiccup on this shared machine does not fail it.
    { name: 'waiting-room-scale position update gap p99 (ms)', target: '<= 2000', rows: [line], value: (read) => read.of(line, extra('positionGapP99Ms')) },
  ]
}

/** A reader over `results` that notes, once each, the rows and figures it could not find. */
function reader (results: ScenarioResult[], missing: Set<string>): Reader {
  const miss = (what: string): number => {
    missing.add(what)
    return Number.NaN
  }
  const of = (wanted: Row, figure: Figure): number => {
    const found = results.find(wanted.match)
    if (!found) return miss(`${wanted.name} row`)
    const v = figure.pick(found)
    const usable = typeof v === 'number' && Number.isFinite(v) && (figure.zeroOk ? v >= 0 : v > 0)
    return usable ? v : miss(`${found.label} ${figure.name}`)
  }
  return { of, miss }
}

/** Whether `value` passes a target such as '>= 1.0', '< 200' or '= 0'. */
export function meets (value: number, target: string): boolean {
  const [, op, bound] = /^(>=|<=|<|>|=) (-?\d+(?:\.\d+)?)$/.exec(target) ?? []
  if (!op) throw new Error(`unreadable target "${target}"`)
  const b = Number(bound)
  if (!Number.isFinite(value)) return false
  switch (op) {
    case '>=': return value >= b
    case '<=': return value <= b
    case '<': return value < b
    case '>': return value > b
    default: return value === b
  }
}

function evaluate (spec: TargetSpec, results: ScenarioResult[]): Ratio {
  const missing = new Set<string>()
  const value = spec.value(reader(results, missing), results)
  if (missing.size > 0 || !Number.isFinite(value)) {
    return { name: spec.name, value: Number.NaN, target: spec.target, ok: false, missing: [...missing].join(', ') || 'a figure that is not a number' }
  }
  return { name: spec.name, value: Math.round(value * 100) / 100, target: spec.target, ok: meets(value, spec.target) }
}

/**
 * The targets, as ratios of figures measured in the same run. A target whose rows or
 * figures are missing is ✘ with a NaN value and says what is missing: a hole never passes. In a
 * full run every target is listed; otherwise those that read at least one row the run has.
 */
export function computeRatios (results: ScenarioResult[], options: RatioOptions = { full: false }): Ratio[] {
  return listed(targets(options), results, options)
}

/** The waiting room's targets, as computeRatios lists the others (a full run lists them all). */
export function computeWaitingRoomRatios (results: ScenarioResult[], options: RatioOptions = { full: false }): Ratio[] {
  return listed(waitingRoomTargets(), results, options)
}

function listed (specs: TargetSpec[], results: ScenarioResult[], options: RatioOptions): Ratio[] {
  return specs
    .filter((spec) => options.full || spec.rows.some((wanted) => results.some(wanted.match)))
    .map((spec) => evaluate(spec, results))
}
