import { setTimeout as sleep } from 'node:timers/promises'
import { randomUUID } from 'node:crypto'
import { seatResource } from '@seatline/contracts'
import { RequestRecords } from '@seatline/db'
import { fenceKey, LockTimeoutError, ResourceLocks, lockKey } from '@seatline/lock'
import { Redis } from 'ioredis'
import t from 'tap'
import { bookSeatsMany } from '../apps/worker/src/commands/book-seats.ts'
import { runCommands } from '../apps/worker/src/run-commands.ts'
import { StaleFenceError } from '../apps/worker/src/fencing.ts'
import { clearRedisPrefix, freshDatabase, REDIS_URL, uniqueName } from './helpers/stack.ts'

const prefix = uniqueName('locks')
const redis = new Redis(REDIS_URL)
t.teardown(async () => {
  await clearRedisPrefix(prefix)
  redis.disconnect()
})

t.test('a lock is exclusive until released', async (t) => {
  const locks = new ResourceLocks(redis, { prefix, waitMs: 100 })
  const first = await locks.acquire(['seat:e:A1'])
  await t.rejects(locks.acquire(['seat:e:A1']), LockTimeoutError, 'a second owner waits, then gives up')
  await first.release()
  const second = await locks.acquire(['seat:e:A1'])
  t.ok(second.fence > first.fence, 'each acquisition draws a higher fencing number')
  await second.release()
})

t.test('a multi-resource acquire is all or nothing', async (t) => {
  const locks = new ResourceLocks(redis, { prefix, waitMs: 100 })
  const blocker = await locks.acquire(['seat:e:B2'])
  await t.rejects(locks.acquire(['seat:e:B1', 'seat:e:B2', 'seat:e:B3']), LockTimeoutError)
  t.equal(await redis.exists(lockKey(prefix, 'seat:e:B1')), 0, 'the lock it did get was given back')
  await blocker.release()
})

t.test('only the owner can release a lock', async (t) => {
  const locks = new ResourceLocks(redis, { prefix, ttlMs: 200, waitMs: 1_000 })
  const stale = await locks.acquire(['seat:e:C1'])
  await sleep(300)
  const fresh = await locks.acquire(['seat:e:C1'])
  t.pass('an expired lock can be taken by someone else')
  await stale.release()
  t.equal(await redis.get(lockKey(prefix, 'seat:e:C1')), fresh.token, "the stale owner's release leaves the new owner's lock alone")
  await fresh.release()
  t.equal(await redis.exists(lockKey(prefix, 'seat:e:C1')), 0, 'the owner can release it')
})

t.test('fencing numbers keep rising after Redis loses the counter', async (t) => {
  const locks = new ResourceLocks(redis, { prefix })
  const before = await locks.acquire(['seat:e:E1'])
  await before.release()
  await redis.del(fenceKey(prefix)) // as a Redis restarted without persistence, or flushed, would
  const after = await locks.acquire(['seat:e:E1'])
  await after.release()
  t.ok(after.fence > before.fence, `the next holder still draws a higher number (${after.fence} > ${before.fence})`)
  t.ok(Number.isSafeInteger(after.fence), 'and it is exact as a JavaScript number')
})

t.test('a lock expires when its holder vanishes', async (t) => {
  const locks = new ResourceLocks(redis, { prefix, ttlMs: 150, waitMs: 2_000 })
  await locks.acquire(['seat:e:D1'])
  const started = Date.now()
  const next = await locks.acquire(['seat:e:D1'])
  t.ok(Date.now() - started < 1_500, 'the next owner got it once it expired')
  await next.release()
})

t.test("a stale holder's write is refused by its fencing number", async (t) => {
  const database = await freshDatabase()
  t.teardown(() => database.drop())
  const { db } = database
  const user = await db.insertInto('users').values({ email: 'f@example.com', password_hash: 'x' }).returning('id').executeTakeFirstOrThrow()
  const event = await db.insertInto('events').values({ name: 'Fenced', created_by: user.id }).returning('id').executeTakeFirstOrThrow()
  await db.insertInto('seats').values([{ event_id: event.id, seat_id: 'A1' }, { event_id: event.id, seat_id: 'A2' }]).execute()
  const command = async (seatIds: string[]) => {
    const requestId = randomUUID()
    await db.insertInto('requests').values({ id: requestId, user_id: user.id, command: '{}' }).execute()
    return { type: 'book-seats' as const, requestId, userId: user.id, eventId: event.id, seatIds }
  }

  const locks = new ResourceLocks(redis, { prefix, ttlMs: 100, waitMs: 2_000 })
  const staleHolder = await locks.acquire([seatResource(event.id, 'A1')])
  const staleFence = staleHolder.fence
  await sleep(200) // the stale holder pauses past its lock's life

  const [result] = await runCommands({ db, locks, records: new RequestRecords(db), holdSeatsPerUser: 0 }, [await command(['A1'])])
  t.equal(result?.ok, true, 'the new holder books under a fresh lock')

  const late = await command(['A1'])
  await t.rejects(
    db.transaction().execute((trx) => bookSeatsMany(trx, [late], staleFence)),
    StaleFenceError,
    'the stale holder is refused before it can write'
  )
  const request = await db.selectFrom('requests').select('status').where('id', '=', late.requestId).executeTakeFirstOrThrow()
  t.equal(request.status, 'pending', "nothing of the stale holder's command was committed")
})

t.test('a command run twice (a retried job) commits once and answers the same', async (t) => {
  const database = await freshDatabase()
  t.teardown(() => database.drop())
  const { db } = database
  const user = await db.insertInto('users').values({ email: 'r@example.com', password_hash: 'x' }).returning('id').executeTakeFirstOrThrow()
  const event = await db.insertInto('events').values({ name: 'Retried', created_by: user.id }).returning('id').executeTakeFirstOrThrow()
  await db.insertInto('seats').values({ event_id: event.id, seat_id: 'A1' }).execute()
  const requestId = randomUUID()
  await db.insertInto('requests').values({ id: requestId, user_id: user.id, command: '{}' }).execute()
  const cmd = { type: 'book-seats' as const, requestId, userId: user.id, eventId: event.id, seatIds: ['A1'] }
  const locks = new ResourceLocks(redis, { prefix })

  const context = { db, locks, records: new RequestRecords(db), holdSeatsPerUser: 0 }
  const first = await runCommands(context, [cmd])
  const again = await runCommands(context, [cmd])
  t.same(again, first, 'the retry returns the recorded result')
  const bookings = await db.selectFrom('bookings').select('id').execute()
  t.equal(bookings.length, 1, 'and books nothing more')
})
