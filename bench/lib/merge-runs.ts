import type { ScenarioResult } from './result-types.ts'
import { median } from './stats.ts'

/**
 * Several runs of the same scenarios, one result per label: every figure is the median over the
 * runs (this machine is shared and noisy), every audit must have passed in every run.
 */
export function mergeRuns (runs: ScenarioResult[][]): ScenarioResult[] {
  if (runs.length === 1) return runs[0]!
  const labels = [...new Set(runs.flat().map((r) => r.label))]
  return labels.map((label) => {
    const all = runs.flatMap((run) => run.filter((r) => r.label === label))
    const first = all[0]!
    const med = (pick: (r: ScenarioResult) => number | undefined) => median(all.map(pick).filter((v): v is number => typeof v === 'number'))
    const extra: Record<string, number | string> = {}
    for (const key of Object.keys(first.extra ?? {})) {
      const values = all.map((r) => r.extra?.[key])
      extra[key] = values.every((v) => typeof v === 'number') ? median(values as number[]) : String(values[0])
    }
    extra.runs = all.length
    return {
      ...first,
      throughput: med((r) => r.throughput),
      latencyMs: first.latencyMs && { p50: med((r) => r.latencyMs?.p50), p90: med((r) => r.latencyMs?.p90), p99: med((r) => r.latencyMs?.p99), max: med((r) => r.latencyMs?.max) },
      requests: med((r) => r.requests),
      statuses: Object.fromEntries([...new Set(all.flatMap((r) => Object.keys(r.statuses)))].map((code) => [code, med((r) => r.statuses[code] ?? 0)])),
      errors: Math.max(...all.map((r) => r.errors)),
      audit: { ok: all.every((r) => r.audit.ok), checks: all.flatMap((r, i) => r.audit.checks.map((c) => ({ ...c, name: `run ${i + 1}: ${c.name}` }))) },
      extra,
      ...(first.rssMb ? { rssMb: peakRss(all) } : {}),
    }
  })
}

function peakRss (results: ScenarioResult[]): { gateway?: number, worker?: number } {
  const peak: { gateway?: number, worker?: number } = {}
  for (const role of ['gateway', 'worker'] as const) {
    const values = results.map((r) => r.rssMb?.[role]).filter((v): v is number => v !== undefined)
    if (values.length) peak[role] = Math.max(...values)
  }
  return peak
}
