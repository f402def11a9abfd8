// Turns one benchmark run into a console table, a Markdown report and an SVG chart.
// No dependencies: the SVG is written by hand as a string.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface LatencyMs { p50: number, p90: number, p99: number, max: number }
export interface AuditCheck { name: string, ok: boolean, detail: string }
export interface ScenarioResult {
  scenario: string            // 'uniform' | 'flash-sale' | 'hold-confirm' | 'general-admission' | 'scale' | 'ceiling'
  system: 'seatline' | 'baseline' | 'postgres'
  label: string               // row label, e.g. 'uniform', 'uniform (baseline)', 'scale: 4 workers', 'ceiling'
  config: { connections: number, durationS: number, workers?: number, partitions?: number }
  throughput: number          // successful operations per second (bookings/s, flows/s, transactions/s)
  unit: string                // e.g. 'bookings/s'
  latencyMs?: LatencyMs       // absent for 'ceiling'
  requests: number
  statuses: Record<string, number>   // HTTP status -> count, e.g. { '201': 900, '409': 100 }
  errors: number              // transport errors / timeouts
  audit: { ok: boolean, checks: AuditCheck[] }
  extra?: Record<string, number | string>   // e.g. { timeToAllAnswersMs: 4100, oversold: 0 }
  rssMb?: { gateway?: number, worker?: number }  // peak resident memory seen during the scenario
}
export interface Ratio { name: string, value: number, target: string, ok: boolean }
export interface BenchRun {
  date: string                // ISO timestamp
  commit: string              // short git hash
  command: string             // the command line that produced it
  machine: { cpus: number, node: string, platform: string }
  results: ScenarioResult[]
  ratios: Ratio[]
}

const PASS = '✔'
const FAIL = '✘'

// ---------------------------------------------------------------- formatting

function finite (x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x)
}

/** Whole number with thousands separators, '-' when missing or not finite. */
function fmtInt (x: number | undefined): string {
  if (!finite(x)) return '-'
  return String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
}

/** Milliseconds to one decimal, '-' when missing or not finite. */
function fmtMs (x: number | undefined): string {
  return finite(x) ? x.toFixed(1) : '-'
}

function fmtRatio (x: number): string {
  return finite(x) ? x.toFixed(2) : '-'
}

/** A free-form value: integers as they are, other numbers to at most 2 decimals. */
function fmtValue (x: number | string): string {
  if (typeof x === 'string') return x
  if (!finite(x)) return '-'
  return Number.isInteger(x) ? String(x) : String(Math.round(x * 100) / 100)
}

function fmtStatuses (statuses: Record<string, number> | undefined): string {
  const entries = Object.entries(statuses ?? {})
  if (entries.length === 0) return '-'
  entries.sort(([a], [b]) => {
    const na = Number(a)
    const nb = Number(b)
    return Number.isNaN(na) || Number.isNaN(nb) ? a.localeCompare(b) : na - nb
  })
  return entries.map(([status, count]) => `${status}:${fmtValue(count)}`).join(' ')
}

function fmtRss (rss: ScenarioResult['rssMb']): string {
  if (rss == null || (rss.gateway == null && rss.worker == null)) return '-'
  return `${fmtInt(rss.gateway)}/${fmtInt(rss.worker)}`
}

function auditPassed (r: ScenarioResult): boolean {
  return r.audit.ok && r.audit.checks.every((c) => c.ok)
}

function mark (ok: boolean): string {
  return ok ? PASS : FAIL
}

function latency (r: ScenarioResult, key: keyof LatencyMs): string {
  return fmtMs(r.latencyMs?.[key])
}

// ---------------------------------------------------------------- shared columns

type Align = 'left' | 'right'
interface Column { header: string, align: Align, cell: (r: ScenarioResult) => string }

const COLUMNS: Column[] = [
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

function machineLine (run: BenchRun): string {
  const m = run.machine
  return `${fmtInt(m.cpus)} CPUs · Node ${m.node} · ${m.platform}`
}

function extraEntries (r: ScenarioResult): Array<[string, string]> {
  return Object.entries(r.extra ?? {}).map(([k, v]) => [k, fmtValue(v)])
}

function failedChecks (run: BenchRun): Array<{ label: string, name: string, detail: string }> {
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

// ---------------------------------------------------------------- console table

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

  if (run.ratios.length > 0) {
    lines.push('', 'ratios')
    const rows = run.ratios.map((q) => [`  ${mark(q.ok)}`, q.name, fmtRatio(q.value), `target ${q.target}`])
    lines.push(...alignRows(rows, ['left', 'left', 'right', 'left']))
  }

  const failed = failedChecks(run)
  const checkCount = run.results.reduce((n, r) => n + r.audit.checks.length, 0)
  lines.push('')
  if (failed.length === 0) {
    lines.push(`audit: all ${checkCount} checks passed`)
  } else {
    lines.push(`failed audit checks (${failed.length})`)
    for (const f of failed) {
      const detail = f.detail.split(/\r?\n/).join('\n      ')
      lines.push(`  ${FAIL} ${f.label} › ${f.name}: ${detail}`)
    }
  }
  return lines.join('\n') + '\n'
}

// ---------------------------------------------------------------- markdown

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
      run.ratios.map((q) => [mark(q.ok), q.name, fmtRatio(q.value), q.target])
    ))
  }
  lines.push('')

  const extraRows = run.results.flatMap((r) => extraEntries(r).map(([k, v]) => [r.label, k, v]))
  if (extraRows.length > 0) {
    lines.push('## Extra values', '')
    lines.push(...mdTable(['result', 'name', 'value'], ['left', 'left', 'right'], extraRows))
    lines.push('')
  }

  lines.push('## Audit', '')
  const failed = failedChecks(run)
  const checkCount = run.results.reduce((n, r) => n + r.audit.checks.length, 0)
  lines.push(failed.length === 0
    ? `${PASS} All ${checkCount} checks passed.`
    : `${FAIL} **${failed.length} failed** (of ${checkCount} checks).`)
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

// ---------------------------------------------------------------- svg

const SVG_WIDTH = 900
const MARGIN = 16
const FONT = 'system-ui, -apple-system, \'Segoe UI\', Helvetica, Arial, sans-serif'
const INK = '#111827'
const MUTED = '#6b7280'
const GRID = '#e5e7eb'
const SYSTEM_COLOURS: Array<[string, string]> = [
  ['seatline', '#2563eb'],
  ['baseline', '#9ca3af'],
  ['postgres', '#d97706'],
]
const PERCENTILE_COLOURS: Array<['p50' | 'p90' | 'p99', string]> = [
  ['p50', '#99d8c9'],
  ['p90', '#41ae76'],
  ['p99', '#00441b'],
]

function escapeXml (s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => {
    switch (c) {
      case '&': return '&amp;'
      case '<': return '&lt;'
      case '>': return '&gt;'
      case '"': return '&quot;'
      default: return '&apos;'
    }
  })
}

/** A coordinate: finite, one decimal. */
function n (x: number): string {
  return String(finite(x) ? Math.round(x * 10) / 10 : 0)
}

function nonNegative (x: unknown): number {
  return finite(x) && x > 0 ? x : 0
}

function systemColour (system: string): string {
  return SYSTEM_COLOURS.find(([s]) => s === system)?.[1] ?? MUTED
}

/** Roughly how wide a string of 12px sans-serif is. */
function textWidth (s: string): number {
  return s.length * 7
}

interface TextOptions { anchor?: 'start' | 'middle' | 'end', weight?: 'bold', fill?: string }

function svgText (x: number, y: number, s: string, o: TextOptions = {}): string {
  const attrs = [`x="${n(x)}"`, `y="${n(y)}"`]
  if (o.anchor != null && o.anchor !== 'start') attrs.push(`text-anchor="${o.anchor}"`)
  if (o.weight != null) attrs.push(`font-weight="${o.weight}"`)
  attrs.push(`fill="${o.fill ?? INK}"`)
  return `<text ${attrs.join(' ')}>${escapeXml(s)}</text>`
}

function svgRect (x: number, y: number, w: number, h: number, fill: string, title?: string): string {
  const attrs = `x="${n(x)}" y="${n(y)}" width="${n(Math.max(0, w))}" height="${n(Math.max(0, h))}" fill="${fill}"`
  return title == null ? `<rect ${attrs}/>` : `<rect ${attrs}><title>${escapeXml(title)}</title></rect>`
}

function svgLine (x1: number, y1: number, x2: number, y2: number, stroke: string): string {
  return `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" stroke="${stroke}" stroke-width="1"/>`
}

/** A legend laid out right to left, ending at the right margin, on baseline y. */
function svgLegend (items: Array<[string, string]>, y: number): string[] {
  const out: string[] = []
  let x = SVG_WIDTH - MARGIN
  for (const [name, colour] of [...items].reverse()) {
    x -= textWidth(name)
    out.push(svgText(x, y, name, { fill: INK }))
    x -= 16
    out.push(svgRect(x, y - 10, 11, 11, colour))
    x -= 14
  }
  return out
}

/** 4 to 6 round ticks from 0 covering max (3 to 5 intervals of 1, 2, 2.5 or 5 × 10^k). */
function niceTicks (max: number): number[] {
  const top = finite(max) && max > 0 ? max : 1
  const magnitude = 10 ** Math.floor(Math.log10(top / 5))
  let step = magnitude * 10
  for (const f of [1, 2, 2.5, 5, 10]) {
    if (Math.ceil(top / (f * magnitude) - 1e-9) <= 5) {
      step = f * magnitude
      break
    }
  }
  const intervals = Math.max(1, Math.ceil(top / step - 1e-9))
  const ticks: number[] = []
  for (let i = 0; i <= intervals; i++) ticks.push(Number((i * step).toPrecision(12)))
  return ticks
}

function fmtTick (x: number): string {
  return String(Number(x.toPrecision(6)))
}

export function renderSvg (run: BenchRun): string {
  const results = run.results ?? []
  const longestLabel = Math.max(0, ...results.map((r) => textWidth(String(r.label))))
  const x0 = Math.min(320, Math.max(120, longestLabel + MARGIN + 12)) // left edge of the bars
  const body: string[] = []
  let y = MARGIN + 12

  body.push(svgText(MARGIN, y, `Seatline benchmark · ${run.date} · ${run.commit}`, { weight: 'bold' }))
  y += 12

  // (a) throughput, one horizontal bar per result, coloured by system
  y += 24
  body.push(svgText(MARGIN, y, 'Throughput (successful operations per second)', { weight: 'bold' }))
  body.push(...svgLegend(SYSTEM_COLOURS, y))
  y += 10
  {
    const rowH = 24
    const barH = 16
    const valueRoom = 150
    const plotW = SVG_WIDTH - MARGIN - valueRoom - x0
    const maxThroughput = Math.max(0, ...results.map((r) => nonNegative(r.throughput)))
    const scale = maxThroughput > 0 ? plotW / maxThroughput : 0
    const top = y
    if (results.length === 0) {
      body.push(svgText(x0 + 8, y + rowH / 2 + 4, 'no results', { fill: MUTED }))
      y += rowH
    }
    for (const r of results) {
      const mid = y + rowH / 2
      const value = nonNegative(r.throughput)
      const w = value > 0 ? Math.max(1, value * scale) : 0
      const shown = `${fmtInt(r.throughput)} ${r.unit}`
      body.push(svgText(x0 - 8, mid + 4, String(r.label), { anchor: 'end' }))
      body.push(svgRect(x0, mid - barH / 2, w, barH, systemColour(r.system), `${r.label}: ${shown} (${r.system})`))
      body.push(svgText(x0 + w + 6, mid + 4, shown))
      y += rowH
    }
    body.push(svgLine(x0, top, x0, y, MUTED))
  }

  // (b) latency p50/p90/p99, grouped horizontal bars on a linear ms axis
  y += 32
  body.push(svgText(MARGIN, y, 'Latency (ms)', { weight: 'bold' }))
  body.push(...svgLegend(PERCENTILE_COLOURS, y))
  y += 10
  {
    const withLatency = results.filter((r) => r.latencyMs != null)
    const barH = 7
    const barGap = 1
    const rowH = 3 * barH + 2 * barGap + 9
    const valueRoom = 100
    const plotW = SVG_WIDTH - MARGIN - valueRoom - x0
    if (withLatency.length === 0) {
      body.push(svgText(x0 + 8, y + rowH / 2 + 4, 'no latency data', { fill: MUTED }))
      y += rowH
    } else {
      const maxMs = Math.max(0, ...withLatency.flatMap((r) => PERCENTILE_COLOURS.map(([p]) => nonNegative(r.latencyMs?.[p]))))
      const ticks = niceTicks(maxMs)
      const axisMax = ticks[ticks.length - 1] ?? 1
      const scale = plotW / axisMax
      const top = y
      const bars: string[] = []
      for (const r of withLatency) {
        const mid = y + rowH / 2
        const groupTop = mid - (3 * barH + 2 * barGap) / 2
        bars.push(svgText(x0 - 8, mid + 4, String(r.label), { anchor: 'end' }))
        let longest = 0
        PERCENTILE_COLOURS.forEach(([p, colour], i) => {
          const w = nonNegative(r.latencyMs?.[p]) * scale
          longest = Math.max(longest, w)
          const title = `${r.label} ${p}: ${fmtMs(r.latencyMs?.[p])} ms`
          bars.push(svgRect(x0, groupTop + i * (barH + barGap), w, barH, colour, title))
        })
        bars.push(svgText(x0 + longest + 6, mid + 4, `p99 ${fmtMs(r.latencyMs?.p99)}`, { fill: MUTED }))
        y += rowH
      }
      // grid first so bars draw over it
      for (const tick of ticks) {
        const x = x0 + tick * scale
        body.push(svgLine(x, top, x, y, tick === 0 ? MUTED : GRID))
      }
      body.push(...bars)
      body.push(svgLine(x0, y, x0 + plotW, y, MUTED))
      for (const tick of ticks) {
        const x = x0 + tick * scale
        body.push(svgLine(x, y, x, y + 4, MUTED))
        body.push(svgText(x, y + 18, fmtTick(tick), { anchor: 'middle', fill: MUTED }))
      }
      body.push(svgText(x0 + plotW + 24, y + 18, 'ms', { fill: MUTED }))
      y += 18
    }
  }

  const height = Math.ceil(y + MARGIN)
  const title = `Seatline benchmark ${run.date} (${run.commit}): throughput and latency`
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SVG_WIDTH}" height="${height}" viewBox="0 0 ${SVG_WIDTH} ${height}"` +
      ` font-family="${escapeXml(FONT)}" font-size="12" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${SVG_WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
  ].join('\n') + '\n'
}

// ---------------------------------------------------------------- files

function datePart (date: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})/.exec(date)
  if (match?.[1] != null) return match[1]
  const parsed = new Date(date)
  return Number.isNaN(parsed.getTime()) ? 'undated' : parsed.toISOString().slice(0, 10)
}

function fileSafe (s: string): string {
  const safe = String(s).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '')
  return safe === '' ? 'unknown' : safe
}

export async function writeReport (run: BenchRun, dir: string): Promise<{ json: string, markdown: string, svg: string }> {
  await mkdir(dir, { recursive: true })
  const base = `${datePart(run.date)}-${fileSafe(run.commit)}`
  const json = join(dir, `${base}.json`)
  const svg = join(dir, `${base}.svg`)
  const markdown = join(dir, `${base}.md`)
  await Promise.all([
    writeFile(json, JSON.stringify(run, null, 2) + '\n'),
    writeFile(svg, renderSvg(run)),
    writeFile(markdown, renderMarkdown(run, `${base}.svg`)),
  ])
  return { json, markdown, svg }
}
