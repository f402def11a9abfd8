import type { ScenarioResult } from './result-types.ts'
import { median } from './stats.ts'

/**
 * Figures where one bad run is the answer: a seat oversold once is oversold, whatever the median
 * (and a buyer above the limit once is above it).
 */
const WORST_CASE = new Set(['oversold', 'errors', 'overLimit'])

type Rss = NonNullable<ScenarioResult['rssMb']>
/** One figure over the runs: NaN when a run lacks it; the worst (highest) run's or the median. */
type Merge = (name: string, pick: (r: ScenarioResult) => unknown, worst?: boolean) => number

/**
 * Several runs of the same scenarios, one result per label: every figure is the median over the
 * runs (this machine is shared and noisy), the worst-case figures (WORST_CASE, and the RSS
 * peaks) the worst run's, every audit must have passed in every run.
 *
 * A figure some run lacks (the row absent from it, a NaN, an RSS never read) is missing in the
 * merge too, NaN or left out, rather than the median of the runs that had it: a median of two of
 * three runs would pass a target the third might have failed. `extra.holes` names each such
 * figure and how many runs had it, so the report shows why.
 */
export function mergeRuns (runs: ScenarioResult[][]): ScenarioResult[] {
  if (runs.length === 1) return runs[0]!
  const labels = [...new Set(runs.flat().map((r) => r.label))]
  return labels.map((label) => {
    // One entry per run, undefined where the run has no such row.
    const each = runs.map((run) => run.find((r) => r.label === label))
    const all = each.filter((r) => r !== undefined)
    const first = all[0]!
    const holes: string[] = []
    const merge: Merge = (name, pick, worst = WORST_CASE.has(name)) => {
      const values = each.map((r) => (r ? pick(r) : undefined)).filter(isFiniteNumber)
      if (values.length < runs.length) {
        if (values.length > 0) holes.push(`${name} in ${values.length} of ${runs.length} runs`)
        return Number.NaN
      }
      return worst ? Math.max(...values) : median(values)
    }
    const extra: Record<string, number | string> = {}
    for (const key of new Set(all.flatMap((r) => Object.keys(r.extra ?? {})))) {
      const values = all.map((r) => r.extra?.[key])
      extra[key] = values.some((v) => typeof v === 'string') ? String(values.find((v) => typeof v === 'string')) : merge(key, (r) => r.extra?.[key])
    }
    extra.runs = all.length
    const rssMb = first.rssMb && mergeRss(merge)
    const result: ScenarioResult = {
      ...first,
      throughput: merge('throughput', (r) => r.throughput),
      latencyMs: first.latencyMs && {
        p50: merge('p50', (r) => r.latencyMs?.p50),
        p90: merge('p90', (r) => r.latencyMs?.p90),
        p99: merge('p99', (r) => r.latencyMs?.p99),
        max: merge('max', (r) => r.latencyMs?.max),
      },
      requests: merge('requests', (r) => r.requests),
      // A status a run never answered is a count of 0 there, not a hole.
      statuses: Object.fromEntries([...new Set(all.flatMap((r) => Object.keys(r.statuses)))]
        .map((code) => [code, median(each.map((r) => r?.statuses[code] ?? 0))])),
      errors: merge('errors', (r) => r.errors),
      audit: {
        ok: all.every((r) => r.audit.ok),
        checks: each.flatMap((r, i) => (r?.audit.checks ?? []).map((c) => ({ ...c, name: `run ${i + 1}: ${c.name}` }))),
      },
      extra,
      ...(rssMb ? { rssMb } : {}),
    }
    if (holes.length) extra.holes = holes.join(', ')
    return result
  })
}

/** The peak per role over the runs; a role some run could not read is left out. */
function mergeRss (merge: Merge): Rss {
  const peak: Rss = {}
  for (const role of ['gateway', 'worker'] as const) {
    const mb = merge(`rssMb.${role}`, (r) => r.rssMb?.[role], true)
    if (Number.isFinite(mb)) peak[role] = mb
  }
  return peak
}

function isFiniteNumber (v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}
