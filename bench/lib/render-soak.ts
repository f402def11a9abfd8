// The soak's windows as the console table and the Markdown report both show them.
import { fmtInt, fmtValue } from './format.ts'
import { RETAINED_TABLES, SOAK_TABLES } from './pg-sizes.ts'
import type { Align } from './report-content.ts'
import type { ScenarioResult, SoakReport, SoakWindow } from './result-types.ts'
import { KINDS } from './soak-mix.ts'

export interface SoakTable { title: string, header: string[], aligns: Align[], rows: string[][] }

/** Seconds as m:ss. */
export function clock (s: number): string {
  return `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}`
}

/** Marks the windows the trends compare: e for early, l for late. */
function span (report: SoakReport, i: number): string {
  const within = ([from, to]: [number, number]) => i >= from && i <= to
  return `${within(report.early) ? 'e' : ''}${within(report.late) ? 'l' : ''}`
}

/** Two tables: the load and the processes' memory; the Postgres tables. */
export function soakTables (r: ScenarioResult): SoakTable[] {
  const report = r.soak
  if (!report) return []
  const windows = report.windows
  const processes = [...new Set(windows.flatMap((w) => Object.keys(w.rssMb)))]
  const load: SoakTable = {
    title: `${r.label}: per ${fmtValue(report.windowS)} s window (e: early, l: late windows of the trends)`,
    header: ['until', '', 'answers/s', ...KINDS, 'p99 ms', ...processes.map((p) => `${p} MB`), 'Redis MB'],
    aligns: ['right', 'left', 'right', ...KINDS.map(() => 'right' as const), 'right', ...processes.map(() => 'right' as const), 'right'],
    rows: windows.map((w, i) => [
      clock(w.endS), span(report, i), fmtValue(w.answersPerS), ...KINDS.map((k) => fmtValue(w.byKind[k] ?? 0)),
      fmtValue(w.p99Ms), ...processes.map((p) => fmtValue(w.rssMb[p] ?? Number.NaN)), fmtValue(w.redisUsedMb),
    ]),
  }
  const tables: SoakTable = {
    title: `${r.label}: Postgres at each window's end (MB total, index MB, dead tuples; rows counted for the retained tables)`,
    header: ['until', ...RETAINED_TABLES.map((t) => `${t} rows`), ...SOAK_TABLES],
    aligns: ['right', ...RETAINED_TABLES.map(() => 'right' as const), ...SOAK_TABLES.map(() => 'right' as const)],
    rows: windows.map((w) => [
      clock(w.endS), ...RETAINED_TABLES.map((t) => fmtInt(w.tables[t]?.rows)), ...SOAK_TABLES.map((t) => tableCell(w, t)),
    ]),
  }
  return [load, tables]
}

function tableCell (w: SoakWindow, table: string): string {
  const size = w.tables[table]
  return size ? `${fmtValue(size.totalMb)} (${fmtValue(size.indexMb)}) ${fmtInt(size.dead)}d` : '-'
}
