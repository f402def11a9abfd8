/** The p-th percentile; NaN for no values, so an empty sample reads as missing, never as 0 ms. */
export function percentile (values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

export function median (values: number[]): number {
  return percentile(values, 50)
}

export function statusCounts (statuses: number[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const s of statuses) counts[String(s)] = (counts[String(s)] ?? 0) + 1
  return counts
}

/** Ranks from 1, ties sharing the mean of the ranks they span (as Spearman's rho wants them). */
export function ranks (values: number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0])
  const out = new Array<number>(values.length)
  for (let start = 0; start < order.length;) {
    let end = start
    while (end + 1 < order.length && order[end + 1]![0] === order[start]![0]) end++
    const mean = (start + end) / 2 + 1
    for (let k = start; k <= end; k++) out[order[k]![1]] = mean
    start = end + 1
  }
  return out
}

/**
 * Spearman's rank correlation of two orders of the same items: 1 when the second keeps the
 * first's order, -1 when it reverses it, about 0 (within ±2/√n, by chance) when it is a shuffle.
 * NaN for fewer than 3 items or an order without spread, so a missing figure reads as missing.
 */
export function spearman (a: number[], b: number[]): number {
  if (a.length !== b.length) throw new Error(`spearman of ${a.length} and ${b.length} values`)
  if (a.length < 3) return Number.NaN
  const ra = ranks(a)
  const rb = ranks(b)
  const mean = (a.length + 1) / 2
  let cov = 0
  let va = 0
  let vb = 0
  for (let i = 0; i < a.length; i++) {
    const da = ra[i]! - mean
    const db = rb[i]! - mean
    cov += da * db
    va += da * da
    vb += db * db
  }
  return va === 0 || vb === 0 ? Number.NaN : cov / Math.sqrt(va * vb)
}
