// Figures as the reports print them: never 'NaN' or 'undefined', a dash instead.
export const PASS = '✔'
export const FAIL = '✘'

export function finite (x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x)
}

/** Whole number with thousands separators, '-' when missing or not finite. */
export function fmtInt (x: number | undefined): string {
  if (!finite(x)) return '-'
  return String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** Milliseconds to one decimal, '-' when missing or not finite. */
export function fmtMs (x: number | undefined): string {
  return finite(x) ? x.toFixed(1) : '-'
}

export function fmtRatio (x: number): string {
  return finite(x) ? x.toFixed(2) : '-'
}

/** A free-form value: integers as they are, other numbers to at most 2 decimals. */
export function fmtValue (x: number | string): string {
  if (typeof x === 'string') return x
  if (!finite(x)) return '-'
  return Number.isInteger(x) ? String(x) : String(Math.round(x * 100) / 100)
}

export function fmtStatuses (statuses: Record<string, number> | undefined): string {
  const entries = Object.entries(statuses ?? {})
  if (entries.length === 0) return '-'
  entries.sort(([a], [b]) => {
    const na = Number(a)
    const nb = Number(b)
    return Number.isNaN(na) || Number.isNaN(nb) ? a.localeCompare(b) : na - nb
  })
  return entries.map(([status, count]) => `${status}:${fmtValue(count)}`).join(' ')
}

export function mark (ok: boolean): string {
  return ok ? PASS : FAIL
}
