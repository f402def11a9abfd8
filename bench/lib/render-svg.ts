import { finite, fmtInt, fmtMs } from './format.ts'
import type { BenchRun } from './result-types.ts'
import { escapeXml, svgLine, svgRect, svgText, textWidth } from './svg-elements.ts'

const SVG_WIDTH = 900
const MARGIN = 16
const FONT = 'system-ui, -apple-system, \'Segoe UI\', Helvetica, Arial, sans-serif'
const MUTED = '#6b7280'
const GRID = '#e5e7eb'
const SYSTEM_COLOURS: Array<[string, string]> = [
  ['seatline', '#2563eb'],
  ['baseline', '#9ca3af'],
  ['peer', '#dc2626'],
  ['postgres', '#d97706'],
]
const PERCENTILE_COLOURS: Array<['p50' | 'p90' | 'p99', string]> = [
  ['p50', '#99d8c9'],
  ['p90', '#41ae76'],
  ['p99', '#00441b'],
]

function nonNegative (x: unknown): number {
  return finite(x) && x > 0 ? x : 0
}

function systemColour (system: string): string {
  return SYSTEM_COLOURS.find(([s]) => s === system)?.[1] ?? MUTED
}

/** A legend laid out right to left, ending at the right margin, on baseline y. */
function svgLegend (items: Array<[string, string]>, y: number): string[] {
  const out: string[] = []
  let x = SVG_WIDTH - MARGIN
  for (const [name, colour] of [...items].reverse()) {
    x -= textWidth(name)
    out.push(svgText(x, y, name))
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
