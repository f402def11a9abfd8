import { randomBytes } from 'node:crypto'
import { createDb, dropDatabase } from '@seatline/db'
import { REDIS_URL, startStack } from '../../test/harness/local-stack.ts'
import type { PostgresPair } from '../../test/harness/postgres-pair.ts'
import { benchStackEnv, insertBuyers, type OwnStackOptions, type Target } from './target.ts'

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
    env: benchStackEnv(secret, options),
  })
  // The gateway created and migrated the database on the primary before it was ready.
  const db = createDb(pair.primary.url(database), { max: 10 })
  return {
    name: 'seatline',
    url: stack.url,
    db,
    redis: { url: REDIS_URL, prefix: stack.prefix },
    pids: stack.pids,
    buyers: (count) => insertBuyers(db, secret, count),
    output: () => `${stack.output()}\n${pair.output()}`,
    async stop () {
      await db.destroy()
      await stack.stop()
      // The pair outlives the stack: the next one meets the same server, not this one's tables.
      await dropDatabase(pair.primary.url(database))
    },
  }
}
