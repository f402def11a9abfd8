export interface LatencyMs { p50: number, p90: number, p99: number, max: number }
export interface AuditCheck { name: string, ok: boolean, detail: string }
export interface ScenarioResult {
  scenario: string            // 'uniform' | 'flash-sale' | 'hold-confirm' | 'general-admission' | 'scale' | 'ceiling'
  system: 'seatline' | 'baseline' | 'peer' | 'postgres'
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
  soak?: SoakReport           // the soak's figures per window, and its trend targets
}
export interface TableSize {
  rows?: number               // count(*), for the tables retention must keep level
  totalMb: number             // pg_total_relation_size
  heapMb: number              // pg_relation_size
  indexMb: number             // pg_indexes_size
  live: number                // pg_stat_user_tables.n_live_tup
  dead: number                // pg_stat_user_tables.n_dead_tup
}
export interface SoakWindow {
  endS: number                // seconds since the load began
  answersPerS: number         // every HTTP answer, whatever its status
  byKind: Record<string, number>     // answers/s per kind: book, hold, checkout, confirm, cancel, read
  p99Ms: number               // from when each request was due
  rssMb: Record<string, number>      // per process: 'gateway', 'worker 1', …
  redisUsedMb: number         // INFO memory used_memory (server-wide: the Redis is shared)
  tables: Record<string, TableSize>
}
export interface SoakReport {
  windowS: number
  /** Inclusive window indexes the trend targets compare: early (minutes 2–6 of 20) and late (the last quarter). */
  early: [number, number]
  late: [number, number]
  windows: SoakWindow[]
  targets: Ratio[]
}
export interface Ratio {
  name: string
  value: number               // NaN (null in the JSON) when an input is missing
  target: string              // e.g. '>= 1.0'
  ok: boolean                 // false whenever an input is missing
  missing?: string            // what was missing, e.g. 'uniform (peer) row, uniform p99'
}
export interface BenchRun {
  date: string                // ISO timestamp
  commit: string              // short git hash
  command: string             // the command line that produced it
  machine: { cpus: number, node: string, platform: string }
  results: ScenarioResult[]
  ratios: Ratio[]
}
