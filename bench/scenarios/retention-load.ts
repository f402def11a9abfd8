/**
 * What retention costs a sale: the uniform booking load on a database that holds a backlog of
 * request records and idempotency keys two days old, once with retention deleting them as fast
 * as it may (RETENTION_SECONDS=10: a tick a second, 10 batches of RETENTION_BATCH_SIZE each) and
 * once with a retention longer than the backlog's age (nothing to delete). The ratio of the two
 * is the price of deleting during a sale, at sixty times the default pace: a worst case.
 */
import type { Db } from '@seatline/db'
import { sql } from 'kysely'
import type { ScenarioResult } from '../lib/result-types.ts'
import type { Target } from '../lib/target.ts'
import { uniform } from './uniform.ts'

export type RetentionMode = 'deleting' | 'idle'

export const RETENTION_ENV: Record<RetentionMode, Record<string, string>> = {
  deleting: { RETENTION_SECONDS: '10' },
  idle: { RETENTION_SECONDS: String(30 * 86_400) },
}

export const retentionLabel = (mode: RetentionMode) => `retention: ${mode}`

export interface RetentionLoadOptions {
  mode: RetentionMode
  /** Request records (each with its idempotency key) in the backlog. */
  backlog: number
  connections: number
  durationS: number
}

/** Records completed two days ago, each with its key, as a month of keyed commands leaves them. */
async function seedBacklog (db: Db, count: number): Promise<void> {
  const { rows: [user] } = await sql<{ id: string }>`
    insert into users (email, password_hash) values ('retention-backlog-' || gen_random_uuid() || '@example.com', 'not-a-login') returning id`.execute(db)
  // One statement, so that the deleting stack's retention never sees a record without its key.
  await sql`
    with made as (
      insert into requests (id, user_id, command, status, result, created_at, completed_at)
      select gen_random_uuid(), ${user!.id}, '{"type":"book-seats"}', 'succeeded', '{"ok":true}', now() - interval '2 days', now() - interval '2 days'
        from generate_series(1, ${count})
      returning id, user_id, created_at)
    insert into idempotency_keys (user_id, key, fingerprint, request_id, created_at)
    select user_id, id::text, 'backlog', id, created_at from made`.execute(db)
  await sql`analyze requests`.execute(db)
  await sql`analyze idempotency_keys`.execute(db)
}

async function recordCount (db: Db): Promise<number> {
  const { rows: [row] } = await sql<{ n: number }>`select count(*)::int as n from requests`.execute(db)
  return row!.n
}

export async function retentionLoad (target: Target, options: RetentionLoadOptions): Promise<ScenarioResult> {
  if (!target.db) throw new Error('the retention scenario seeds its backlog in the database: it needs a stack of its own')
  await seedBacklog(target.db, options.backlog)
  const before = await recordCount(target.db)
  const row = await uniform(target, { connections: options.connections, durationS: options.durationS, label: retentionLabel(options.mode) })
  const deleted = before - await recordCount(target.db)
  console.error(`  ${retentionLabel(options.mode)}: ${deleted} records (and their keys) deleted during the ${options.durationS} s load, of a backlog of ${options.backlog}`)
  return {
    ...row,
    scenario: 'retention',
    audit: {
      ...row.audit,
      // Proof the case happened: the deleting run deleted, the idle one did not.
      checks: [...row.audit.checks, options.mode === 'deleting'
        ? { name: 'retention deleted records during the load', ok: deleted > 0, detail: `${deleted} deleted` }
        : { name: 'retention deleted nothing (the backlog is younger than it)', ok: deleted === 0, detail: `${deleted} deleted` }],
      ok: row.audit.ok && (options.mode === 'deleting' ? deleted > 0 : deleted === 0),
    },
    extra: { ...row.extra, backlog: options.backlog, deletedDuringLoad: deleted },
  }
}
