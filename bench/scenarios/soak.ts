import { runArrivals } from '../lib/arrivals.ts'
import { audit, type AuditCheck } from '../lib/audit.ts'
import { httpClient } from '../lib/http-client.ts'
import { LiveMapPool } from '../lib/live-map-pool.ts'
import { autovacuum, RETAINED_TABLES, vacuumAsAutovacuumWould } from '../lib/pg-sizes.ts'
import { redisProbe } from '../lib/redis-probe.ts'
import { clock } from '../lib/render-soak.ts'
import type { ScenarioResult, SoakWindow } from '../lib/result-types.ts'
import { sampleRss } from '../lib/rss.ts'
import { SeatSupply } from '../lib/seat-supply.ts'
import { auditSoak } from '../lib/soak-audit.ts'
import { SoakMix } from '../lib/soak-mix.ts'
import type { SoakPlan } from '../lib/soak-plan.ts'
import { soakTargets, trendRanges } from '../lib/soak-targets.ts'
import { WindowLog } from '../lib/soak-windows.ts'
import { sampleStack } from '../lib/stack-sample.ts'
import { percentile, statusCounts } from '../lib/stats.ts'
import type { Target } from '../lib/target.ts'

/**
 * A long run at a fixed, moderate rate: bookings, holds let expire, holds confirmed, cancellations
 * and seat-list reads, arriving on schedule (open loop) while live maps stay open; events added as
 * seats run low, retention running (plan.env). Per window: throughput, p99, every process's RSS,
 * Redis's memory, the main tables' sizes and dead tuples. Then the trends, late against early,
 * and the audit.
 */
export async function soak (target: Target, plan: SoakPlan): Promise<ScenarioResult> {
  if (!target.db || !target.redis) throw new Error('soak reads its stack\'s database and Redis: run it on a stack the bench starts')
  const buyers = await target.buyers(plan.buyers)
  const supply = new SeatSupply(target, buyers[0]!, plan.seatsPerEvent)
  await supply.start()
  const maps = new LiveMapPool(target.url)
  const client = httpClient(target.url, plan.connections)
  const mix = new SoakMix(client, supply, buyers, plan.holdTtlS)
  const redis = redisProbe(target)
  const peak = sampleRss(target.pids, 1_000)
  const count = Math.round(plan.durationS * plan.arrivalsPerS)
  const windows = Math.round(plan.durationS / plan.windowS)
  const log = new WindowLog(plan.windowS, windows)
  // With autovacuum off on the server (this machine's CI setting), the bench vacuums the stack's
  // database after each window's sample, as autovacuum would about as often.
  const standInVacuum = await autovacuum(target.db) === 'off'
  const statuses: number[] = []
  const timers: NodeJS.Timeout[] = []
  let loadS = 0
  let checks: AuditCheck[]
  let rssMb: Awaited<ReturnType<typeof peak.stop>>
  try {
    await maps.fill(supply.latestEventId, plan.liveMaps)
    const start = performance.now() + 100
    log.begin(start)
    let window = 0
    const sampling: Array<Promise<void>> = []
    const lastWindowEnded = Promise.withResolvers<void>()
    // Each window's sample is taken as it ends; its line on stderr is a 20-minute run's progress.
    const sampler = setInterval(() => {
      if (performance.now() < start + (window + 1) * plan.windowS * 1000 || window >= windows) return
      const i = window++
      if (window === windows) lastWindowEnded.resolve()
      sampling.push(sampleStack(target, redis).then(async (sample) => {
        log.sample(i, sample)
        console.error(`  ${progressLine(log.window(i), maps.size)}`)
        if (standInVacuum) await vacuumAsAutovacuumWould(target.db!)
      }, (error: Error) => console.error(`  soak: window ${i + 1} not sampled: ${error.message}`)))
    }, 200)
    const replacing = setInterval(() => maps.replace(supply.latestEventId), plan.replaceMapEveryMs)
    timers.push(sampler, replacing)

    const dueAt = (i: number) => start + (i * 1000) / plan.arrivalsPerS
    await runArrivals(count, dueAt, plan.connections, (i) => mix.arrive(i, dueAt(i), (answer) => {
      statuses.push(answer.status)
      log.record(answer.kind, answer.from, answer.answeredAt)
    }))
    clearInterval(replacing)
    // The arrivals end with the last window; its sample is taken at its end.
    await lastWindowEnded.promise
    await Promise.all(sampling)
    loadS = (performance.now() - start) / 1000

    const mapCheck = await maps.exact(target.db, (plan.holdTtlS + 15) * 1000)
    checks = await auditSoak(target, supply.eventIds, { kept: [...mix.kept.keys()], cancelled: mix.cancelled, uncertain: mix.uncertain, unexpected: mix.unexpected, maps: mapCheck })
  } finally {
    for (const timer of timers) clearInterval(timer)
    maps.close()
    client.close()
    redis.close()
    rssMb = await peak.stop()
  }

  const rows: SoakWindow[] = Array.from({ length: windows }, (_, i) => log.window(i))
  const ranges = trendRanges(windows)
  const latencies = log.all()
  const ok = statuses.filter((s) => s >= 200 && s < 300).length
  return {
    scenario: 'soak',
    system: 'seatline',
    label: `soak (${fmtDuration(plan.durationS)} at ${Math.round(plan.arrivalsPerS * 10 / 9)} requests/s)`,
    config: { connections: plan.connections, durationS: plan.durationS },
    throughput: ok / loadS,
    unit: 'answers/s',
    latencyMs: { p50: ms(percentile(latencies, 50)), p90: ms(percentile(latencies, 90)), p99: ms(percentile(latencies, 99)), max: ms(percentile(latencies, 100)) },
    requests: statuses.length,
    statuses: statusCounts(statuses),
    errors: statuses.filter((s) => s === 0).length,
    audit: audit(checks),
    extra: {
      windowS: plan.windowS,
      retentionS: plan.retentionS,
      events: supply.eventIds.length,
      bookingsKept: mix.kept.size,
      cancelled: mix.cancelled.length,
      liveMaps: plan.liveMaps,
      mapsOpened: maps.opened,
      mapsFailed: maps.failed,
      mapsDropped: maps.dropped,
      autovacuum: standInVacuum ? 'off (the bench vacuumed after each window)' : 'on',
    },
    rssMb,
    soak: {
      windowS: plan.windowS,
      early: ranges.early,
      late: ranges.late,
      windows: rows,
      targets: soakTargets(rows, ranges, ([from, to]) => log.latencies(from, to)),
    },
  }
}

function ms (x: number): number {
  return Math.round(x * 10) / 10
}

function fmtDuration (s: number): string {
  return s % 60 === 0 ? `${s / 60} min` : `${s} s`
}

function progressLine (w: SoakWindow, maps: number): string {
  const rss = Object.entries(w.rssMb).map(([p, mb]) => `${p} ${Math.round(mb)}`).join(', ')
  const rows = RETAINED_TABLES.map((t) => `${t} ${w.tables[t]?.rows ?? '-'}`).join(', ')
  return `${clock(w.endS)}: ${w.answersPerS} answers/s, p99 ${w.p99Ms} ms, ${maps} maps; RSS MB ${rss}; Redis ${w.redisUsedMb} MB; rows ${rows}`
}
