import { FAIL, fmtInt, mark } from './format.ts'
import { COLUMNS, checkCount, extraEntries, failedChecks, machineLine, ratioValue, type Align } from './report-content.ts'
import { soakTables } from './render-soak.ts'
import type { BenchRun } from './result-types.ts'

function pad (s: string, width: number, align: Align): string {
  return align === 'right' ? s.padStart(width) : s.padEnd(width)
}

function alignRows (rows: string[][], aligns: Align[], gap = '  '): string[] {
  const widths: number[] = []
  for (const row of rows) {
    row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length) })
  }
  return rows.map((row) => row
    .map((cell, i) => i === row.length - 1 && aligns[i] !== 'right'
      ? cell // no trailing spaces on the last column
      : pad(cell, widths[i] ?? 0, aligns[i] ?? 'left'))
    .join(gap)
    .trimEnd())
}

export function renderTable (run: BenchRun): string {
  const lines: string[] = []
  lines.push(`Seatline bench ${run.date} · commit ${run.commit} · ${machineLine(run)}`)
  lines.push('')

  if (run.results.length === 0) {
    lines.push('(no results)')
  } else {
    // Throughput: numbers right-aligned among themselves, then the unit.
    const numbers = run.results.map((r) => fmtInt(r.throughput))
    const numberWidth = Math.max(...numbers.map((n) => n.length))
    const header = COLUMNS.map((c) => c.header)
    const aligns = COLUMNS.map((c) => c.align)
    aligns[1] = 'left'
    const body = run.results.map((r, i) => COLUMNS.map((c, j) => j === 1
      ? `${(numbers[i] ?? '-').padStart(numberWidth)} ${r.unit}`
      : c.cell(r)))
    const [head, ...rest] = alignRows([header, ...body], aligns)
    lines.push(head ?? '')
    lines.push('-'.repeat((head ?? '').length))
    lines.push(...rest)
  }

  const withExtra = run.results.filter((r) => extraEntries(r).length > 0)
  if (withExtra.length > 0) {
    lines.push('', 'extra')
    const rows = withExtra.map((r) => [
      `  ${r.label}`,
      extraEntries(r).map(([k, v]) => `${k}=${v}`).join('  '),
    ])
    lines.push(...alignRows(rows, ['left', 'left']))
  }

  for (const table of run.results.flatMap(soakTables)) {
    lines.push('', table.title)
    lines.push(...alignRows([table.header, ...table.rows].map((row) => row.map((cell, i) => i === 0 ? `  ${cell}` : cell)), table.aligns))
  }

  if (run.ratios.length > 0) {
    lines.push('', 'ratios')
    const rows = run.ratios.map((q) => [`  ${mark(q.ok)}`, q.name, ratioValue(q), `target ${q.target}`])
    lines.push(...alignRows(rows, ['left', 'left', 'right', 'left']))
  }

  const failed = failedChecks(run)
  lines.push('')
  if (failed.length === 0) {
    lines.push(`audit: all ${checkCount(run)} checks passed`)
  } else {
    lines.push(`failed audit checks (${failed.length})`)
    for (const f of failed) {
      const detail = f.detail.split(/\r?\n/).join('\n      ')
      lines.push(`  ${FAIL} ${f.label} › ${f.name}: ${detail}`)
    }
  }
  return lines.join('\n') + '\n'
}
