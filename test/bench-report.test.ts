import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import t from 'tap'
import { renderMarkdown } from '../bench/lib/render-markdown.ts'
import { renderSvg } from '../bench/lib/render-svg.ts'
import { renderTable } from '../bench/lib/render-table.ts'
import type { BenchRun } from '../bench/lib/result-types.ts'
import { writeReport } from '../bench/lib/write-report.ts'

const run: BenchRun = {
  date: '2025-06-01T12:34:56.000Z',
  commit: 'abc1234',
  command: 'node bench/run.ts --duration 10',
  machine: { cpus: 8, node: 'v24.21.0', platform: 'linux' },
  results: [
    {
      scenario: 'uniform',
      system: 'seatline',
      label: 'uniform',
      config: { connections: 100, durationS: 10, workers: 4, partitions: 16 },
      throughput: 1234.56,
      unit: 'bookings/s',
      latencyMs: { p50: 12.34, p90: 30.01, p99: 80.5, max: 150 },
      requests: 12500,
      statuses: { 409: 100, 201: 12400 },
      errors: 0,
      audit: { ok: true, checks: [{ name: 'no seat sold twice', ok: true, detail: '0 duplicates' }] },
      rssMb: { gateway: 120.4, worker: 98.6 },
    },
    {
      scenario: 'uniform',
      system: 'baseline',
      label: 'uniform (baseline)',
      config: { connections: 100, durationS: 10 },
      throughput: 1100,
      unit: 'bookings/s',
      latencyMs: { p50: 15, p90: 35, p99: 95.25, max: 200 },
      requests: 11000,
      statuses: { 201: 11000 },
      errors: 2,
      audit: { ok: true, checks: [] },
    },
    {
      scenario: 'flash-sale',
      system: 'seatline',
      label: 'flash-sale <hot & "sold">',
      config: { connections: 500, durationS: 10 },
      throughput: 900,
      unit: 'bookings/s',
      latencyMs: { p50: 40, p90: 120, p99: 400, max: 900 },
      requests: 20000,
      statuses: { 201: 1000, 409: 19000 },
      errors: 0,
      audit: {
        ok: false,
        checks: [
          { name: 'no seat sold twice', ok: false, detail: '2 seats sold twice (A-12, B-3)' },
          { name: 'every buyer answered', ok: true, detail: '20000 of 20000' },
        ],
      },
      extra: { timeToAllAnswersMs: 4100, oversold: 2, firstAskerWinsPct: 99.6 },
    },
    {
      scenario: 'ceiling',
      system: 'postgres',
      label: 'ceiling',
      config: { connections: 64, durationS: 10 },
      throughput: 5000,
      unit: 'transactions/s',
      requests: 50000,
      statuses: {},
      errors: 0,
      audit: { ok: true, checks: [{ name: 'rows counted', ok: true, detail: '50000 rows' }] },
    },
  ],
  ratios: [
    { name: 'uniform throughput vs baseline', value: 1.1223, target: '>= 1.0', ok: true },
    { name: 'flash-sale p99 vs uniform p99', value: 4.97, target: '<= 3.0', ok: false },
  ],
}

function escapeXml (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;').replace(/'/g, '&apos;')
}

/** Every element closed in order: a cheap well-formedness check without an XML parser. */
function tagsBalance (svg: string): boolean {
  const stack: string[] = []
  for (const [, close, name, , selfClosing] of svg.matchAll(/<(\/?)([a-zA-Z]+)((?:\s[^>]*?)?)(\/?)>/g)) {
    if (selfClosing === '/') continue
    if (close === '/') {
      if (stack.pop() !== name) return false
    } else {
      stack.push(name ?? '')
    }
  }
  return stack.length === 0
}

t.test('the table has every label, the failed audit and the ratios', async (t) => {
  const table = renderTable(run)
  for (const r of run.results) t.ok(table.includes(r.label), r.label)
  t.match(table, /1,235 bookings\/s/)
  t.match(table, /12\.3 +30\.0 +80\.5 +150\.0/)
  t.match(table, /201:12400 409:100/)
  t.match(table, /✘/)
  t.match(table, /✘ flash-sale <hot & "sold"> › no seat sold twice: 2 seats sold twice \(A-12, B-3\)/)
  t.match(table, /timeToAllAnswersMs=4100/)
  t.match(table, /✔ +uniform throughput vs baseline +1\.12 +target >= 1\.0/)
  t.match(table, /✘ +flash-sale p99 vs uniform p99 +4\.97 +target <= 3\.0/)
  t.match(table, /120\/99/)
  t.notMatch(table, /NaN|undefined/)
  // the ceiling row has no latency: its latency cells are dashes
  const ceiling = table.split('\n').find((line) => line.startsWith('ceiling'))
  t.match(ceiling, /transactions\/s +- +- +- +-/)
})

t.test('the markdown references the svg and names the ratios', async (t) => {
  const md = renderMarkdown(run, '2025-06-01-abc1234.svg')
  t.ok(md.includes('![throughput and latency](2025-06-01-abc1234.svg)'))
  t.match(md, /abc1234/)
  t.match(md, /```sh\nnode bench\/run\.ts --duration 10\n```/)
  for (const q of run.ratios) t.ok(md.includes(q.name), q.name)
  t.match(md, /\| ✘ \| no seat sold twice \| 2 seats sold twice \(A-12, B-3\) \|/)
  t.match(md, /\| ✔ \| every buyer answered \| 20000 of 20000 \|/)
  t.match(md, /firstAskerWinsPct \| 99\.6/)
  t.notMatch(md, /NaN|undefined/)
})

t.test('the svg is self-contained, escaped and free of NaN', async (t) => {
  const svg = renderSvg(run)
  t.ok(svg.startsWith('<svg'))
  t.ok(svg.trimEnd().endsWith('</svg>'))
  for (const r of run.results) t.ok(svg.includes(`>${escapeXml(r.label)}<`), r.label)
  t.notOk(svg.includes('<hot'), 'raw label text is escaped')
  t.notMatch(svg, /NaN|undefined|Infinity/)
  t.ok(tagsBalance(svg), 'tags balance')
  for (const colour of ['#2563eb', '#9ca3af', '#d97706']) t.ok(svg.includes(colour), colour)
  // latency axis: 0..400 ms in 4 to 6 ticks
  const ticks = [...svg.matchAll(/text-anchor="middle" fill="#6b7280">([\d.]+)</g)].map((m) => Number(m[1]))
  t.ok(ticks.length >= 4 && ticks.length <= 6, `ticks ${ticks.join(',')}`)
  t.equal(ticks[0], 0)
  t.ok((ticks[ticks.length - 1] ?? 0) >= 400)
})

t.test('empty and degenerate runs draw without NaN', async (t) => {
  const empty = { ...run, results: [], ratios: [] }
  for (const svg of [
    renderSvg(empty),
    renderSvg({ ...run, results: run.results.map((r) => ({ ...r, throughput: 0, latencyMs: r.latencyMs && { p50: 0, p90: 0, p99: 0, max: 0 } })) }),
    renderSvg({ ...run, results: run.results.map((r) => ({ ...r, throughput: Number.NaN, latencyMs: r.latencyMs && { p50: Number.NaN, p90: -1, p99: Infinity, max: 0 } })) }),
  ]) {
    t.ok(svg.startsWith('<svg'))
    t.notMatch(svg, /NaN|Infinity/)
    t.ok(tagsBalance(svg))
  }
  t.notMatch(renderTable(empty), /NaN/)
  t.notMatch(renderMarkdown(empty, 'x.svg'), /NaN/)
})

t.test('writeReport writes json, svg and markdown into a new directory', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'seatline-report-'))
  t.teardown(() => rm(root, { recursive: true, force: true }))
  const dir = join(root, 'results', 'nested')
  const paths = await writeReport(run, dir)
  t.equal(basename(paths.json), '2025-06-01-abc1234.json')
  t.equal(basename(paths.svg), '2025-06-01-abc1234.svg')
  t.equal(basename(paths.markdown), '2025-06-01-abc1234.md')
  t.same(JSON.parse(await readFile(paths.json, 'utf8')), run)
  t.ok((await readFile(paths.svg, 'utf8')).startsWith('<svg'))
  t.ok((await readFile(paths.markdown, 'utf8')).includes('(2025-06-01-abc1234.svg)'))
})
