import { readFileSync } from 'node:fs'
import { type Kysely, sql } from 'kysely'

// Seat versions for live seat maps: see the SQL.
export async function up (db: Kysely<unknown>): Promise<void> {
  await sql.raw(readFileSync(new URL('./sql/2026-11-22T06-seat-versions.sql', import.meta.url), 'utf8')).execute(db)
}

export async function down (db: Kysely<unknown>): Promise<void> {
  await sql`drop view seat_states`.execute(db)
  await sql.raw(readFileSync(new URL('./sql/2026-11-22T03-one-seat-status-rule.sql', import.meta.url), 'utf8')
    .match(/create view seat_states as[\s\S]*?from seats;/)![0]).execute(db)
}
