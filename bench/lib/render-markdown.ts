import { FAIL, PASS, mark } from './format.ts'
import { COLUMNS, checkCount, extraEntries, failedChecks, machineLine, ratioValue, type Align } from './report-content.ts'
import { soakTables } from './render-soak.ts'
import type { BenchRun } from './result-types.ts'

function mdCell (s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\r?\n/g, ' ')
}

function mdTable (header: string[], aligns: Align[], rows: string[][]): string[] {
  return [
    `| ${header.map(mdCell).join(' | ')} |`,
    `|${aligns.map((a) => a === 'right' ? ' ---: ' : ' --- ').join('|')}|`,
    ...rows.map((row) => `| ${row.map(mdCell).join(' | ')} |`),
  ]
}

function codeBlock (text: string, lang: string): string[] {
  let fence = '```'
  while (text.includes(fence)) fence += '`'
  return [fence + lang, text, fence]
}

function mdLink (target: string): string {
  return /[\s()<>]/.test(target) ? `<${target.replace(/[<>]/g, encodeURIComponent)}>` : target
}

export function renderMarkdown (run: BenchRun, svgFileName: string): string {
  const lines: string[] = []
  lines.push(`# Seatline benchmark ${run.date} · \`${run.commit}\``)
  lines.push('')
  lines.push(`Machine: ${machineLine(run)}`)
  lines.push('')
  lines.push(...codeBlock(run.command, 'sh'))
  lines.push('')
  lines.push(`![throughput and latency](${mdLink(svgFileName)})`)
  lines.push('')

  lines.push('## Results', '')
  if (run.results.length === 0) {
    lines.push('_No results._')
  } else {
    lines.push(...mdTable(
      COLUMNS.map((c) => c.header),
      COLUMNS.map((c) => c.align),
      run.results.map((r) => COLUMNS.map((c) => c.cell(r)))
    ))
  }
  lines.push('')

  lines.push('## Ratios', '')
  if (run.ratios.length === 0) {
    lines.push('_No ratios._')
  } else {
    lines.push(...mdTable(
      ['', 'ratio', 'value', 'target'],
      ['left', 'left', 'right', 'left'],
      run.ratios.map((q) => [mark(q.ok), q.name, ratioValue(q), q.target])
    ))
  }
  lines.push('')

  const extraRows = run.results.flatMap((r) => extraEntries(r).map(([k, v]) => [r.label, k, v]))
  if (extraRows.length > 0) {
    lines.push('## Extra values', '')
    lines.push(...mdTable(['result', 'name', 'value'], ['left', 'left', 'right'], extraRows))
    lines.push('')
  }

  for (const table of run.results.flatMap(soakTables)) {
    lines.push(`## ${table.title}`, '')
    lines.push(...mdTable(table.header, table.aligns, table.rows))
    lines.push('')
  }

  lines.push('## Audit', '')
  const failed = failedChecks(run)
  lines.push(failed.length === 0
    ? `${PASS} All ${checkCount(run)} checks passed.`
    : `${FAIL} **${failed.length} failed** (of ${checkCount(run)} checks).`)
  lines.push('')
  const auditRows: string[][] = []
  for (const r of run.results) {
    if (r.audit.checks.length === 0) {
      auditRows.push([r.label, mark(r.audit.ok), '(no checks)', ''])
    }
    for (const c of r.audit.checks) auditRows.push([r.label, mark(c.ok), c.name, c.detail])
    if (!r.audit.ok && r.audit.checks.length > 0 && r.audit.checks.every((c) => c.ok)) {
      auditRows.push([r.label, FAIL, 'audit', 'audit failed without a failing check'])
    }
  }
  if (auditRows.length > 0) {
    lines.push(...mdTable(['result', '', 'check', 'detail'], ['left', 'left', 'left', 'left'], auditRows))
    lines.push('')
  }
  return lines.join('\n')
}
