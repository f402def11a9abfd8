/**
 * What a synchronous standby costs: the uniform booking load on a stack whose Postgres is a
 * primary with a synchronous standby, once with `synchronous_commit = on` (a commit, and so a
 * 201, waits for the standby to flush it: nothing answered is lost when the primary dies) and
 * once with `local` (the primary's own flush only; the standby still streams, a moment behind).
 * Both on one pair, each on a fresh stack and database. `npm run bench -- --scenario sync-standby
 * --runs 4` takes the medians of A B, B A, A B, B A.
 */
import pg from 'pg'
import { pairStack } from '../lib/pair-target.ts'
import type { ScenarioResult } from '../lib/result-types.ts'
import { type PostgresPair, startPostgresPair } from '../../test/harness/postgres-pair.ts'
import { uniform } from './uniform.ts'

export interface SyncStandbyOptions {
  connections: number
  durationS: number
  workers: number
  partitions: number
  /** Which setting runs first: alternate it over --runs (A B, B A, …) so neither always has the warmer machine. */
  first?: Setting
}

type Setting = 'on' | 'local'

export const syncStandbyLabel = (setting: Setting) => `sync-standby: synchronous_commit=${setting}`

const COMMITS = 400
const BLOCK = 50

/**
 * Median ms of one connection's commit (a row inserted at a time) under each setting: the wait
 * itself, with no batch to share it. Blocks of each setting alternate on one session, so a
 * moment of noise on this shared machine falls on both.
 */
async function commitLatency (pair: PostgresPair): Promise<Record<Setting, number>> {
  const client = new pg.Client({ connectionString: pair.primary.url() })
  await client.connect()
  try {
    await client.query('create table if not exists bench_commits (id bigserial primary key)')
    const times: Record<Setting, number[]> = { on: [], local: [] }
    for (let i = 0; i < COMMITS; i++) {
      const setting: Setting = Math.floor(i / BLOCK) % 2 ? 'local' : 'on'
      if (i % BLOCK === 0) await client.query(`set synchronous_commit = ${setting}`)
      const started = performance.now()
      await client.query('insert into bench_commits default values')
      times[setting].push(performance.now() - started)
    }
    const median = (xs: number[]) => Math.round(xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]! * 1000) / 1000
    return { on: median(times.on), local: median(times.local) }
  } finally {
    await client.end()
  }
}

export async function syncStandby (options: SyncStandbyOptions): Promise<ScenarioResult[]> {
  const pair = await startPostgresPair()
  try {
    const commitMs = await commitLatency(pair)
    const rows: ScenarioResult[] = []
    const settings: Setting[] = options.first === 'local' ? ['local', 'on'] : ['on', 'local']
    for (const setting of settings) {
      await pair.setSynchronousCommit(setting)
      const target = await pairStack(pair, { workers: options.workers, partitions: options.partitions })
      try {
        const row = await uniform(target, { connections: options.connections, durationS: options.durationS, label: syncStandbyLabel(setting), config: { workers: options.workers, partitions: options.partitions } })
        rows.push({ ...row, scenario: 'sync-standby', extra: { ...row.extra, synchronousCommit: setting, commitMs: commitMs[setting] } })
      } catch (error) {
        console.error(target.output().slice(-4000))
        throw error
      } finally {
        await target.stop()
      }
    }
    const [on, local] = (options.first === 'local' ? [rows[1], rows[0]] : rows) as [ScenarioResult, ScenarioResult]
    // The price of the standby's flush, on the row that pays it: throughput kept, p99 added.
    const kept = on.throughput / local.throughput
    on.extra = { ...on.extra, throughputVsLocal: Math.round(kept * 1000) / 1000, p99VsLocalMs: (on.latencyMs?.p99 ?? Number.NaN) - (local.latencyMs?.p99 ?? Number.NaN) }
    console.error(`  sync-standby: synchronous_commit=on keeps ${(kept * 100).toFixed(1)}% of local's throughput (${Math.round(on.throughput)} vs ${Math.round(local.throughput)} bookings/s); p99 ${on.latencyMs?.p99} vs ${local.latencyMs?.p99} ms; one connection's commit ${on.extra.commitMs} vs ${local.extra?.commitMs} ms`)
    return [on, local]
  } finally {
    await pair.stop()
  }
}
