// What the console table and the Markdown report both show, so the two cannot drift apart.
import { fmtInt, fmtMs, fmtRatio, fmtStatuses, fmtValue, mark } from './format.ts'
import type { BenchRun, LatencyMs, Ratio, ScenarioResult } from './result-types.ts'

export type Align = 'left' | 'right'
interface Column { header: string, align: Align, cell: (r: ScenarioResult) => string }

function fmtRss (rss: ScenarioResult['rssMb']): string {
  if (rss == null || (rss.gateway == null && rss.worker == null)) return '-'
  return `${fmtInt(rss.gateway)}/${fmtInt(rss.worker)}`
}

function auditPassed (r: ScenarioResult): boolean {
  return r.audit.ok && r.audit.checks.every((c) => c.ok)
}

function latency (r: ScenarioResult, key: keyof LatencyMs): string {
  return fmtMs(r.latencyMs?.[key])
}

export const COLUMNS: Column[] = [
  { header: 'result', align: 'left', cell: (r) => r.label },
  { header: 'throughput', align: 'right', cell: (r) => `${fmtInt(r.throughput)} ${r.unit}` },
  { header: 'p50 ms', align: 'right', cell: (r) => latency(r, 'p50') },
  { header: 'p90 ms', align: 'right', cell: (r) => latency(r, 'p90') },
  { header: 'p99 ms', align: 'right', cell: (r) => latency(r, 'p99') },
  { header: 'max ms', align: 'right', cell: (r) => latency(r, 'max') },
  { header: 'requests', align: 'right', cell: (r) => fmtInt(r.requests) },
  { header: 'statuses', align: 'left', cell: (r) => fmtStatuses(r.statuses) },
  { header: 'errors', align: 'right', cell: (r) => fmtInt(r.errors) },
  { header: 'audit', align: 'left', cell: (r) => mark(auditPassed(r)) },
  { header: 'rss gw/wk MB', align: 'right', cell: (r) => fmtRss(r.rssMb) },
]

export function machineLine (run: BenchRun): string {
  const m = run.machine
  return `${fmtInt(m.cpus)} CPUs · Node ${m.node} · ${m.platform}`
}

export function extraEntries (r: ScenarioResult): Array<[string, string]> {
  return Object.entries(r.extra ?? {}).map(([k, v]) => [k, fmtValue(v)])
}

export function checkCount (run: BenchRun): number {
  return run.results.reduce((n, r) => n + r.audit.checks.length, 0)
}

export function failedChecks (run: BenchRun): Array<{ label: string, name: string, detail: string }> {
  const failed: Array<{ label: string, name: string, detail: string }> = []
  for (const r of run.results) {
    for (const c of r.audit.checks) {
      if (!c.ok) failed.push({ label: r.label, name: c.name, detail: c.detail })
    }
    if (!r.audit.ok && r.audit.checks.every((c) => c.ok)) {
      failed.push({ label: r.label, name: 'audit', detail: 'audit failed without a failing check' })
    }
  }
  return failed
}

/** A ratio's value, or what it could not be computed from: a hole must read as one, not as '-'. */
export function ratioValue (q: Ratio): string {
  if (q.missing !== undefined) return `missing: ${q.missing}`
  return fmtRatio(q.value)
}
