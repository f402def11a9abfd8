import { readFileSync } from 'node:fs'
import { type Kysely, sql } from 'kysely'

// The indexes retention deletes by: idempotency keys by their record, holds by their end. See the SQL.
export async function up (db: Kysely<unknown>): Promise<void> {
  await sql.raw(readFileSync(new URL('./sql/2026-12-07T13-retention.sql', import.meta.url), 'utf8')).execute(db)
}

export async function down (db: Kysely<unknown>): Promise<void> {
  await sql`create index holds_active_expires_at on holds (expires_at) where status = 'active'`.execute(db)
  await sql`drop index holds_expires_at`.execute(db)
  await sql`drop index idempotency_keys_request_id`.execute(db)
}
