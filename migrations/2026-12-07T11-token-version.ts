import { type Kysely, sql } from 'kysely'

// "Sign out everywhere": a token carries its user's token version when issued, and is accepted
// only while the user's version is still that one. Raising it revokes every token issued before.
export async function up (db: Kysely<unknown>): Promise<void> {
  await sql`alter table users add column token_version integer not null default 0`.execute(db)
}

export async function down (db: Kysely<unknown>): Promise<void> {
  await sql`alter table users drop column token_version`.execute(db)
}
