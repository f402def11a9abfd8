import type { Config } from '@seatline/config'
import { createDb, type Db } from '@seatline/db'
import { ArrivalOrder, CommandDispatcher, createFailFastRedis } from '@seatline/queue'
import type { Redis } from 'ioredis'
import { KnownUnavailable } from './lib/known-unavailable.ts'
import type { SubmitDeps } from './lib/submit-command.ts'
import { BookingsRepository } from './repositories/bookings.ts'
import { EventsRepository } from './repositories/events.ts'
import { HoldsRepository } from './repositories/holds.ts'
import { RequestsRepository } from './repositories/requests.ts'
import { UsersRepository } from './repositories/users.ts'

declare module 'fastify' {
  interface FastifyInstance {
    services: Services
  }
}

/** Everything the routes use, made once per process. */
export interface Services {
  db: Db
  redis: Redis
  dispatcher: CommandDispatcher
  users: UsersRepository
  events: EventsRepository
  holds: HoldsRepository
  bookings: BookingsRepository
  requests: RequestsRepository
  commands: SubmitDeps
  close (): Promise<void>
}

export async function createServices (config: Config): Promise<Services> {
  const db = createDb(config.databaseUrl, { max: 20, applicationName: 'seatline-gateway' })
  const redis = createFailFastRedis(config.redisUrl, 'seatline-gateway', { lazyConnect: true })
  redis.on('error', () => {})
  await redis.connect()
  const unavailable = new KnownUnavailable()
  const dispatcher = new CommandDispatcher({
    redis,
    redisUrl: config.redisUrl,
    prefix: config.queuePrefix,
    partitions: config.queuePartitions,
    batchMax: config.queueBatchMax,
    onResults: (results) => { for (const result of results) unavailable.learn(result) },
  })
  await dispatcher.start()
  const requests = new RequestsRepository(db)
  return {
    db,
    redis,
    dispatcher,
    users: new UsersRepository(db),
    events: new EventsRepository(db),
    holds: new HoldsRepository(db),
    bookings: new BookingsRepository(db),
    requests,
    commands: { dispatcher, arrivals: new ArrivalOrder(), unavailable, requests, waitMs: config.bookingWaitMs },
    async close () {
      await dispatcher.close()
      await redis.quit().catch(() => {})
      await db.destroy()
    },
  }
}
