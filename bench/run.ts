/**
 * `npm run bench`: starts its own stacks (or loads `--target`), runs the scenarios, audits each,
 * prints a table and writes bench/results/<date>-<commit>.{json,md,svg}. `--help` lists options.
 */
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import { NAMED_ONLY, parseCli, SCENARIOS, type BenchOptions } from './lib/cli.ts'
import { mergeRuns } from './lib/merge-runs.ts'
import { computeRatios, computeWaitingRoomRatios, SALE_WINDOW_LABEL } from './lib/ratios.ts'
import { renderTable } from './lib/render-table.ts'
import type { BenchRun, ScenarioResult } from './lib/result-types.ts'
import { soakPlan } from './lib/soak-plan.ts'
import { externalTarget, ownStack, type Target } from './lib/target.ts'
import { writeReport } from './lib/write-report.ts'
import { ceiling } from './scenarios/ceiling.ts'
import { coldBigEvent } from './scenarios/cold-big-event.ts'
import { flashSale } from './scenarios/flash-sale.ts'
import { generalAdmission } from './scenarios/general-admission.ts'
import { holdConfirm } from './scenarios/hold-confirm.ts'
import { soak } from './scenarios/soak.ts'
import { stream } from './scenarios/stream.ts'
import { RETENTION_ENV, retentionLoad, type RetentionMode } from './scenarios/retention-load.ts'
import { syncStandby } from './scenarios/sync-standby.ts'
import { uniform } from './scenarios/uniform.ts'
import { compareWithFlashSale, waitingRoom } from './scenarios/waiting-room.ts'
import { waitingRoomScale } from './scenarios/waiting-room-scale.ts'

let options: BenchOptions
try {
  options = parseCli(process.argv.slice(2))
} catch (error) {
  console.error(`bench: ${(error as Error).message}`)
  process.exit(2)
}

const smoke = options.smoke
const duration = options.durationS ?? (smoke ? 2 : 10)
const sizes = {
  uniformConnections: options.connections ?? 64,
  flash: smoke ? { buyers: 1_000, seats: 100, connections: options.connections ?? 32 } : { buyers: 20_000, seats: 2_000, connections: options.connections ?? 256 },
  ga: smoke ? { requests: 2_000, capacity: 200, connections: options.connections ?? 32 } : { requests: 50_000, capacity: 5_000, connections: options.connections ?? 64 },
  holdConnections: options.connections ?? 32,
  // 50,000 buyers join in a 10 s burst before the opening, 10,000 after it; 2,000 seats, at most 2
  // a buyer. Admission at 6,000 a minute (100 a second): the booking path serves ~1,000–2,000
  // commands a second on this machine, and an admitted buyer makes 1–3 at once, so the buyers
  // inside meet an unhurried stack, which is what a waiting room is for; 2,000 seats would then
  // go in ~15–20 s if every admitted buyer heard at once. 2,000 buyers follow their ticket's
  // stream; the others poll, and hear later (see bench/README.md).
  waitingRoom: smoke
    ? { early: 1_000, late: 200, seats: 100, maxSeatsPerBuyer: 2, admitPerMinute: 6_000, admissionSeconds: 60, burstS: 2, lateS: 1, streams: 50, firstPollSpreadS: 2, connections: options.connections ?? 32 }
    : { early: 50_000, late: 10_000, seats: 2_000, maxSeatsPerBuyer: 2, admitPerMinute: 6_000, admissionSeconds: 60, burstS: 10, lateS: 5, streams: 2_000, firstPollSpreadS: 10, connections: options.connections ?? 256 },
  // One line of 200,000, 2,000 of them streamed; 2 admissions a second so every position moves each
  // step. The joins arrive at 1,400 a second: about what this machine's gateway serves (0.4 ms of
  // CPU a join), and 200,000 of them then fit the scenario's ~3 minutes.
  waitingRoomScale: smoke
    ? { tickets: 2_000, streams: 20, joinsPerS: 1_000, connections: options.connections ?? 32, waitS: 3, seats: 100, admitPerMinute: 120 }
    : { tickets: 200_000, streams: 2_000, joinsPerS: 1_400, connections: options.connections ?? 256, waitS: 15, seats: 1_000, admitPerMinute: 120 },
  ceilingConnections: options.connections ?? 16,
}

/** Runs `work` against a fresh stack (or the `--target`) and stops the stack whatever happens. */
async function withTarget<T> (kind: { workers?: number, partitions?: number, baseline?: boolean, peer?: boolean, env?: Record<string, string> }, work: (target: Target) => Promise<T>): Promise<T> {
  const target = options.target && !kind.baseline && !kind.peer
    ? externalTarget(options.target)
    : await ownStack({ workers: kind.workers ?? options.workers, partitions: kind.partitions ?? options.partitions, baseline: kind.baseline, peer: kind.peer, env: kind.env })
  try {
    return await work(target)
  } catch (error) {
    console.error(target.output().slice(-4000))
    throw error
  } finally {
    await target.stop()
  }
}

/** Runs `work` while GET /metrics is read every second, as a Prometheus server would. */
async function scraped<T> (target: Target, scrape: boolean, work: () => Promise<T>): Promise<T> {
  if (!scrape) return work()
  const timer = setInterval(() => { fetch(`${target.url}/metrics`).then((r) => r.text(), () => {}) }, 1_000)
  try {
    return await work()
  } finally {
    clearInterval(timer)
  }
}

let results: ScenarioResult[] = []
function report (result: ScenarioResult): void {
  results.push(result)
  const mark = result.audit.ok ? 'audit ok' : 'AUDIT FAILED'
  console.error(`  ${result.label}: ${Math.round(result.throughput)} ${result.unit}, p99 ${result.latencyMs?.p99 ?? '-'} ms, ${mark}`)
}

const stackConfig = { workers: options.workers, partitions: options.partitions }
const runs: ScenarioResult[][] = []
for (let runNumber = 1; runNumber <= options.runs; runNumber++) {
  if (options.runs > 1) console.error(`\n=== run ${runNumber} of ${options.runs}`)
  results = []
  for (const scenario of options.scenarios) {
    console.error(`\n▶ ${scenario}`)
    switch (scenario) {
      case 'ceiling':
        report(await withTarget({}, (t) => ceiling(t, { connections: sizes.ceilingConnections, durationS: duration })))
        break
      case 'baseline':
        report(await withTarget({ baseline: true }, (t) => uniform(t, { connections: sizes.uniformConnections, durationS: duration })))
        report(await withTarget({ baseline: true }, (t) => flashSale(t, sizes.flash)))
        break
      case 'peer':
        report(await withTarget({ peer: true }, (t) => uniform(t, { connections: sizes.uniformConnections, durationS: duration })))
        report(await withTarget({ peer: true }, (t) => flashSale(t, sizes.flash)))
        break
      case 'uniform':
        report(await withTarget({}, (t) => uniform(t, { connections: sizes.uniformConnections, durationS: duration, config: stackConfig })))
        break
      case 'flash-sale':
        report(await withTarget({}, (t) => flashSale(t, sizes.flash)))
        break
      case 'sale-window':
        // The flash sale again, opening a second after the first buyer asks, with a limit of 4.
        report(await withTarget({}, (t) => flashSale(t, { ...sizes.flash, label: SALE_WINDOW_LABEL, sale: { opensAfterMs: smoke ? 500 : 1_000, maxSeatsPerBuyer: 4 } })))
        break
      case 'waiting-room': {
        // Next to the flash sale without a waiting room, when this run has it.
        const row = await withTarget({}, (t) => waitingRoom(t, sizes.waitingRoom))
        report(compareWithFlashSale(row, results.find((r) => r.label === 'flash-sale')))
        break
      }
      case 'waiting-room-scale':
        report(await withTarget({}, (t) => waitingRoomScale(t, sizes.waitingRoomScale)))
        break
      case 'hold-confirm':
        report(await withTarget({}, (t) => holdConfirm(t, { connections: sizes.holdConnections, durationS: duration })))
        break
      case 'stream':
        report(await withTarget({}, (t) => stream(t, { subscribers: smoke ? 50 : 2_000, sale: sizes.flash })))
        break
      case 'cold-big-event':
        report(await withTarget({}, (t) => coldBigEvent(t, { connections: sizes.uniformConnections, durationS: duration, config: stackConfig })))
        break
      case 'general-admission':
        report(await withTarget({}, (t) => generalAdmission(t, sizes.ga)))
        break
      case 'scale': {
        const short = Math.max(2, Math.round(duration / 2))
        const scaled = (workers: number, partitions: number, label: string, env?: Record<string, string>) =>
          withTarget({ workers, partitions, env }, (t) => uniform(t, { connections: sizes.uniformConnections, durationS: short, label: `scale: ${label}`, config: { workers, partitions, ...env } }))
        for (const workers of [1, 2, 4]) report(await scaled(workers, options.partitions, `${workers} workers, ${options.partitions} partitions`))
        for (const partitions of [16, 64]) report(await scaled(options.workers, partitions, `${options.workers} workers, ${partitions} partitions`))
        // The same stack with batching off: every command a job of its own, as before batching.
        report(await scaled(options.workers, options.partitions, `${options.workers} workers, ${options.partitions} partitions, a job per command`, { QUEUE_BATCH_MAX: '1' }))
        break
      }
      case 'observability': {
        // What seeing inside costs: the same loads with the gateway's metrics off, and with every
        // process logging at info (an access line per request, a line per job) while /metrics is
        // scraped every second, as Prometheus would. uniform and flash-sale are the default.
        const variants: Array<[string, Record<string, string>]> = [['metrics off', { METRICS: 'off' }], ['info logs, scraped', { LOG_LEVEL: 'info' }]]
        for (const [name, env] of variants) {
          const scrape = env.METRICS !== 'off'
          report(await withTarget({ env }, (t) => scraped(t, scrape, () => uniform(t, { connections: sizes.uniformConnections, durationS: duration, label: `uniform: ${name}`, config: { ...stackConfig, ...env } }))))
          report(await withTarget({ env }, (t) => scraped(t, scrape, () => flashSale(t, { ...sizes.flash, label: `flash-sale: ${name}` }))))
        }
        break
      }
      case 'retention': {
        // The uniform load over a backlog of old records: retention deleting it, then not (the
        // order alternating over --runs, so neither always has the warmer machine).
        const modes: RetentionMode[] = runNumber % 2 ? ['deleting', 'idle'] : ['idle', 'deleting']
        const backlog = smoke ? 20_000 : 500_000
        for (const mode of modes) {
          report(await withTarget({ env: RETENTION_ENV[mode] }, (t) => retentionLoad(t, { mode, backlog, connections: sizes.uniformConnections, durationS: duration })))
        }
        break
      }
      case 'sync-standby':
        // Its own pair of Postgres servers and two stacks on it: synchronous_commit on, then local.
        for (const row of await syncStandby({ connections: sizes.uniformConnections, durationS: duration, workers: options.workers, partitions: options.partitions, first: runNumber % 2 ? 'on' : 'local' })) report(row)
        break
      case 'soak': {
        const plan = soakPlan({ smoke, minutes: options.soakMinutes, connections: options.connections })
        report(await withTarget({ env: plan.env }, (t) => soak(t, plan)))
        break
      }
    }
  }
  runs.push(results)
}
results = mergeRuns(runs)

const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
})()
// A full run (every scenario, full sizes) must meet every target; a smoke run, a `--scenario`
// pick or a `--target` stack (which leaves out the scenarios that start stacks of their own)
// cannot produce every row, so it only reports.
const full = !smoke && SCENARIOS.every((s) => NAMED_ONLY.includes(s) || options.scenarios.includes(s))
// The soak's trends are its verdict, except in --smoke: half a minute shows no trend.
const soakTargets = results.flatMap((r) => r.soak?.targets ?? [])
const run: BenchRun = {
  date: new Date().toISOString(),
  commit,
  command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  machine: { cpus: os.cpus().length, node: process.version, platform: `${process.platform}-${process.arch}` },
  results,
  ratios: [
    ...[computeRatios, computeWaitingRoomRatios].flatMap((compute) => compute(results, { full, workers: options.workers, partitions: options.partitions, external: Boolean(options.target) })),
    ...soakTargets,
  ],
}
console.log(renderTable(run))
const files = await writeReport(run, options.outDir)
console.log(`\nwrote ${files.markdown}, ${files.svg} and ${files.json}`)
const failed = results.filter((r) => !r.audit.ok).map((r) => r.label)
if (failed.length > 0) console.error(`\ncorrectness audit failed: ${failed.join(', ')}`)
const missed = [...(full ? run.ratios : []), ...(smoke || full ? [] : soakTargets)].filter((q) => !q.ok)
if (missed.length > 0) {
  console.error(`\ntargets missed (${missed.length}):`)
  for (const q of missed) console.error(`  ${q.name}: ${q.missing ? `missing ${q.missing}` : q.value} (target ${q.target})`)
}
if (failed.length > 0 || missed.length > 0) process.exit(1)
