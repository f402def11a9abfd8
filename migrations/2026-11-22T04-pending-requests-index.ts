import { type Kysely, sql } from 'kysely'

// The recovery sweeper looks for requests still pending after a while; they are few, so a
// partial index keeps that look-up cheap however many finished requests the table holds.
export async function up (db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('requests_pending_created_at').on('requests').column('created_at')
    .where(sql.ref('status'), '=', 'pending').execute()
}

export async function down (db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('requests_pending_created_at').execute()
}
