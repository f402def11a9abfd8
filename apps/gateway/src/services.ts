import type { Config } from '@seatline/config'
import { createDb, type Db, poolStats, RequestRecords } from '@seatline/db'
import { createRegistry, observePool } from '@seatline/metrics'
import { CommandDispatcher, createFailFastRedis, type RedisClient, subscribeSeatChanges, subscribeWaitingRoom, WaitingRoom, watchRedisEpoch } from '@seatline/queue'
import { CommandsInFlight } from './lib/commands-in-flight.ts'
import { KnownUnavailable } from './lib/known-unavailable.ts'
import { LiveMaps } from './lib/live-maps.ts'
import { LoginThrottle } from './lib/login-throttle.ts'
import { PasswordHasher } from './lib/passwords.ts'
import { StreamSlots } from './lib/stream-slots.ts'
import { CommandSubmitter } from './lib/submit-command.ts'
import { TicketStreams } from './lib/ticket-streams.ts'
import { BookingsRepository } from './repositories/bookings.ts'
import { EventsRepository } from './repositories/events.ts'
import { HoldsRepository } from './repositories/holds.ts'
import { SalesRepository } from './repositories/sales.ts'
import type { MetricsOptions } from './plugins/metrics.ts'
import { UsersRepository } from './repositories/users.ts'

declare module 'fastify' {
  interface FastifyInstance {
    services: Services
  }
}

/** Everything the routes use, made once per process. */
export interface Services {
  db: Db
  redis: RedisClient
  /** The rate limit's own connection: one command per request, pipelined by event-loop turn. */
  rateLimitRedis: RedisClient
  users: UsersRepository
  /** Failed logins counted per account and per address, across gateways. */
  logins: LoginThrottle
  /** Password hashing, a few at a time. */
  passwords: PasswordHasher
  events: EventsRepository
  holds: HoldsRepository
  bookings: BookingsRepository
  sales: SalesRepository
  requests: RequestRecords
  commands: CommandSubmitter
  live: LiveMaps
  /** The events' waiting rooms in Redis, and the queue tickets' streams on this gateway. */
  room: WaitingRoom
  tickets: TicketStreams
  /** Open streams (seat maps and queue tickets) per client address and in all, capped on this gateway. */
  streams: StreamSlots
  metrics: MetricsOptions
  close (): Promise<void>
}

export interface ServicesOptions {
  /** Told when database connections start going to another host (a failover). */
  onDatabaseHostChange? (host: string, from: string): void
}

export async function createServices (config: Config, options: ServicesOptions = {}): Promise<Services> {
  const db = createDb(config.databaseUrl, { max: 20, applicationName: 'seatline-gateway', onHostChange: options.onDatabaseHostChange })
  const redis = createFailFastRedis(config, 'seatline-gateway', { lazyConnect: true })
  redis.on('error', () => {})
  await redis.connect()
  const rateLimitRedis = createFailFastRedis(config, 'seatline-gateway-rate-limit', { lazyConnect: true, autoPipelining: true })
  rateLimitRedis.on('error', () => {})
  await rateLimitRedis.connect()
  const unavailable = new KnownUnavailable()
  const dispatcher = new CommandDispatcher({
    redis,
    target: config,
    prefix: config.queuePrefix,
    partitions: config.queuePartitions,
    batchMax: config.queueBatchMax,
    maxWaiting: config.queueMaxWaiting,
    onResults: (results) => { for (const result of results) unavailable.learn(result) },
  })
  await dispatcher.start()
  const epoch = watchRedisEpoch(redis, config.queuePrefix, () => {
    dispatcher.recover().catch(() => {}) // Redis away again: the record and the sweeper still hold
  })
  const requests = new RequestRecords(db, { retentionSeconds: config.retentionSeconds })
  const events = new EventsRepository(db, { eventsPerUserPerDay: config.eventsPerUserPerDay })
  const live = new LiveMaps({ source: events, writesPerSecond: config.liveMapWritesPerSecond })
  const seatChanges = await subscribeSeatChanges(config, config.queuePrefix, { onNotices: (n) => live.notice(n), onGap: () => live.gap() })
  const room = new WaitingRoom(redis, config.queuePrefix)
  const tickets = new TicketStreams({ room, sale: (eventId) => events.saleSettings(eventId) })
  const admissions = await subscribeWaitingRoom(config, config.queuePrefix, { onStep: (step) => tickets.onStep(step), onGap: () => tickets.gap() })
  const registry = createRegistry('gateway')
  observePool(registry, () => poolStats(db))
  return {
    db,
    redis,
    rateLimitRedis,
    users: new UsersRepository(db),
    passwords: new PasswordHasher({ concurrency: config.passwordHashConcurrency, maxWaiting: config.passwordHashMaxWaiting }),
    logins: new LoginThrottle({
      redis,
      prefix: config.queuePrefix,
      perAccount: config.loginFailuresPerAccount,
      perAddress: config.loginFailuresPerAddress,
      lockMaxSeconds: config.loginLockMaxSeconds,
    }),
    events,
    holds: new HoldsRepository(db),
    bookings: new BookingsRepository(db),
    sales: new SalesRepository(db, events, room),
    requests,
    commands: new CommandSubmitter({ dispatcher, records: requests, unavailable, inFlight: new CommandsInFlight(config.commandsInFlightPerUser), waitMs: config.bookingWaitMs }),
    live,
    room,
    tickets,
    streams: new StreamSlots({ perAddress: config.streamsPerAddress, max: config.streamsMax }),
    metrics: { registry, jobCounts: () => dispatcher.jobCounts() },
    async close () {
      epoch.stop()
      live.close()
      tickets.close()
      await Promise.all([seatChanges.close(), admissions.close()])
      await dispatcher.close()
      await Promise.all([redis.quit().catch(() => {}), rateLimitRedis.quit().catch(() => {})])
      await db.destroy()
    },
  }
}
