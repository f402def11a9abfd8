import { randomBytes } from 'node:crypto'
import { createDb, dropDatabase } from '@seatline/db'
import { sql } from 'kysely'
import { REDIS_URL, startStack } from '../../test/harness/local-stack.ts'
import type { PostgresPair } from '../../test/harness/postgres-pair.ts'
import type { OwnStackOptions, Target } from './target.ts'
import { mintToken } from './tokens.ts'

/**
 * A Seatline stack whose processes reach a primary and its standby through one multi-host
 * DATABASE_URL, as in production with a synchronous standby. The bench's own reads and writes
 * (buyers, events, the audit) go to the primary directly.
 */
export async function pairStack (pair: PostgresPair, options: OwnStackOptions): Promise<Target> {
  const secret = randomBytes(32).toString('hex')
  let database = ''
  const stack = await startStack({
    workers: options.workers,
    databaseUrlFor: (url) => {
      database = new URL(url).pathname.slice(1)
      return pair.multiHostUrl(database)
    },
    env: { JWT_SECRET: secret, LOG_LEVEL: 'warn', QUEUE_PARTITIONS: String(options.partitions ?? 4), ...options.env },
  })
  // The gateway created and migrated the database on the primary before it was ready.
  const db = createDb(pair.primary.url(database), { max: 10 })
  return {
    name: 'seatline',
    url: stack.url,
    db,
    redis: { url: REDIS_URL, prefix: stack.prefix },
    pids: stack.pids,
    async buyers (count) {
      const { rows } = await sql<{ id: string }>`
        insert into users (email, password_hash)
        select 'bench-' || ${randomBytes(4).toString('hex')} || '-' || g || '@example.com', 'not-a-login'
          from generate_series(1, ${count}) g
        returning id`.execute(db)
      return rows.map((r) => ({ userId: r.id, token: mintToken(secret, r.id) }))
    },
    output: () => `${stack.output()}\n${pair.output()}`,
    async stop () {
      await db.destroy()
      await stack.stop()
      // The pair outlives the stack: the next one meets the same server, not this one's tables.
      await dropDatabase(pair.primary.url(database))
    },
  }
}
