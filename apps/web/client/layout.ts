/**
 * Seat ids to a grid, and an organiser's rows × seats to seat ids. No DOM: unit-tested in Node.
 * A seat id is read as a row label followed by a seat number (A12 is row A, seat 12); ids with
 * no number at the end share one row of their own, in list order.
 */

export interface GridSeat {
  seatId: string
  /** 1-based column: the seat's number, so gaps in a row stay gaps. */
  column: number
}

export interface GridRow {
  label: string
  seats: GridSeat[]
}

const SEAT_NUMBER = /^(.*?)(\d+)$/
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' })

/** Rows in natural order (A, B, …, Z, AA), seats by number. */
export function layoutSeats (seatIds: Iterable<string>): GridRow[] {
  const rows = new Map<string, GridSeat[]>()
  const loose: GridSeat[] = []
  for (const seatId of seatIds) {
    const match = SEAT_NUMBER.exec(seatId)
    if (!match) {
      loose.push({ seatId, column: loose.length + 1 })
      continue
    }
    const label = match[1]!
    const column = Number(match[2])
    const row = rows.get(label)
    if (row) row.push({ seatId, column })
    else rows.set(label, [{ seatId, column }])
  }
  const labels = [...rows.keys()].sort((a, b) => a.length - b.length || collator.compare(a, b))
  const grid = labels.map((label) => ({
    label,
    seats: rows.get(label)!.sort((a, b) => a.column - b.column || collator.compare(a.seatId, b.seatId)),
  }))
  if (loose.length) grid.push({ label: '', seats: loose })
  return grid
}

/** Spreadsheet-style row labels: A..Z, AA..AZ, BA.. (1 → A, 27 → AA). */
export function rowLabel (n: number): string {
  let label = ''
  for (let rest = n; rest > 0; rest = Math.floor((rest - 1) / 26)) {
    label = String.fromCharCode(65 + ((rest - 1) % 26)) + label
  }
  return label
}

/** The inverse of rowLabel; NaN for anything but letters. */
export function rowNumber (label: string): number {
  const upper = label.trim().toUpperCase()
  if (!/^[A-Z]{1,3}$/.test(upper)) return Number.NaN
  let n = 0
  for (const ch of upper) n = n * 26 + (ch.charCodeAt(0) - 64)
  return n
}

export interface SeatPlan {
  firstRow: string
  lastRow: string
  seatsPerRow: number
}

/** Rows firstRow..lastRow × seats 1..seatsPerRow → ids (A..J × 20 → A1..J20), or why not. */
export function planSeats ({ firstRow, lastRow, seatsPerRow }: SeatPlan): { seatIds: string[] } | { error: string } {
  const from = rowNumber(firstRow)
  const to = rowNumber(lastRow)
  if (Number.isNaN(from) || Number.isNaN(to)) return { error: 'rows are letters, A to ZZZ' }
  if (to < from) return { error: `the last row (${lastRow}) comes before the first (${firstRow})` }
  if (!Number.isInteger(seatsPerRow) || seatsPerRow < 1) return { error: 'seats per row is a whole number, at least 1' }
  const total = (to - from + 1) * seatsPerRow
  // The API's limit for one event.
  if (total > 100_000) return { error: `${total.toLocaleString('en')} seats is more than the 100,000 one event may have` }
  const seatIds: string[] = []
  for (let r = from; r <= to; r++) {
    const label = rowLabel(r)
    for (let s = 1; s <= seatsPerRow; s++) seatIds.push(`${label}${s}`)
  }
  return { seatIds }
}
