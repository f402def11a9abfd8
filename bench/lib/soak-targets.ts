import { meets } from './ratios.ts'
import type { Ratio, SoakWindow } from './result-types.ts'
import { percentile } from './stats.ts'

export type Range = [number, number]

/**
 * The windows a trend compares, for a run of `n` windows: early, the 2nd to 6th twentieth of the
 * run (minutes 2–6 of 20: the first is warm-up); late, the last quarter (minutes 16–20). Runs of
 * fewer windows (--smoke) keep at least one window each, the first still left out.
 */
export function trendRanges (n: number): { early: Range, late: Range } {
  const skip = Math.max(1, Math.round(n / 20))
  const k = Math.max(1, Math.round(n / 4))
  return { early: [skip, Math.min(n - 1, skip + k - 1)], late: [Math.max(0, n - k), n - 1] }
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length

/** The mean of a figure over the windows of a range; NaN when any of them lacks it. */
function over (windows: SoakWindow[], [from, to]: Range, pick: (w: SoakWindow) => number | undefined): number {
  const values = windows.slice(from, to + 1).map(pick)
  return values.every((v) => typeof v === 'number' && Number.isFinite(v)) ? mean(values as number[]) : Number.NaN
}

/** late / early against a target such as '<= 1.1', or both bounds ('>= 0.9 and <= 1.1'). */
function ratio (name: string, target: string, late: number, early: number): Ratio {
  const value = late / early
  if (!Number.isFinite(value) || early <= 0) return { name, value: Number.NaN, target, ok: false, missing: 'a figure of the early or late windows' }
  return { name, value: Math.round(value * 100) / 100, target, ok: target.split(' and ').every((bound) => meets(value, bound)) }
}

/**
 * The soak's trend targets, late over early: throughput within 10 % either way (offered at a
 * fixed rate, it rises above it only while a backlog drains); p99 (over every answer of each
 * range), every process's RSS, Redis's memory and the request records' rows no more than 10 % up.
 */
export function soakTargets (windows: SoakWindow[], ranges: { early: Range, late: Range }, latencies: (range: Range) => number[]): Ratio[] {
  const { early, late } = ranges
  const trend = (name: string, target: string, pick: (w: SoakWindow) => number | undefined) =>
    ratio(`soak: ${name}, late / early`, target, over(windows, late, pick), over(windows, early, pick))
  const processes = [...new Set(windows.flatMap((w) => Object.keys(w.rssMb)))]
  return [
    trend('answers/s', '>= 0.9 and <= 1.1', (w) => w.answersPerS),
    ratio('soak: p99, late / early', '<= 1.1', percentile(latencies(late), 99), percentile(latencies(early), 99)),
    ...processes.map((p) => trend(`${p} RSS`, '<= 1.1', (w) => w.rssMb[p])),
    trend('Redis used_memory', '<= 1.1', (w) => w.redisUsedMb),
    // Holds are retained too, but a checkout's lives its TTL (60 s) before retention starts to
    // count: their level comes too late for a short run's early windows, so they are shown only.
    ...['requests', 'idempotency_keys'].map((t) => trend(`${t} rows`, '<= 1.1', (w) => w.tables[t]?.rows)),
  ]
}
