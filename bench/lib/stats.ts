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
