import { createLogger, exitOnStartupFailure, loadConfigOrExit } from '@seatline/config'
import { createDb, poolStats, prepareDatabase, RequestRecords } from '@seatline/db'
import { ResourceLocks } from '@seatline/lock'
import { createRegistry, observePool, serveMetrics } from '@seatline/metrics'
import { assertRedisReachable, changesOf, createBlockingRedis, publishSeatChanges, type SeatChangeNotice, startPartitionWorkers, sweptNotices, WaitingRoom, watchRedisEpoch } from '@seatline/queue'
import closeWithGrace from 'close-with-grace'
import { JobObserver } from './job-observer.ts'
import { startAdmissionSteps } from './maintenance/admission-steps.ts'
import { startMaintenance } from './maintenance/maintenance-queue.ts'
import { countRetention } from './maintenance/retention-metrics.ts'
import { runCommands } from './run-commands.ts'

const config = loadConfigOrExit()
const log = createLogger(config, 'worker')
// One client per partition up to 8 (+2 for maintenance): Postgres runs no more transactions at once
// usefully than it has cores, and 64 partitions × 2 workers would pass its max_connections (100).
// Jobs beyond the pool wait for a client here, holding their locks, which is harmless: a job takes
// its locks before its client, so a client holder never waits on a lock. scale bench: 64
// partitions went from 331 to 445 bookings/s.
const WORKER_POOL_MAX = Math.min(config.queuePartitions, 8) + 2
const db = createDb(config.databaseUrl, {
  max: WORKER_POOL_MAX,
  applicationName: 'seatline-worker',
  onHostChange: (host, from) => log.warn({ host, from }, 'database connections now go to another host'),
})

try {
  await assertRedisReachable(config)
  await prepareDatabase(config.databaseUrl, db)
} catch (error) {
  await db.destroy().catch(() => {})
  exitOnStartupFailure(error)
}

const redis = createBlockingRedis(config, 'seatline-worker')
redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'))
const records = new RequestRecords(db, { retentionSeconds: config.retentionSeconds })
// A seat lock lives as long as a job lock: a dead worker's seats come free as its job does.
const locks = new ResourceLocks(redis, { prefix: config.queuePrefix, ttlMs: config.jobLockMs })
// Live seat maps learn what a commit changed; a lost message is noticed by the gateways.
const announce = (notices: SeatChangeNotice[]) => {
  publishSeatChanges(redis, config.queuePrefix, notices).catch((err: unknown) => log.warn({ err }, 'could not announce seat changes'))
}
const registry = createRegistry('worker')
observePool(registry, () => poolStats(db))
const jobs = new JobObserver(registry, log)
const context = { db, locks, records, holdSeatsPerUser: config.holdSeatsPerUser, onLocked: (seconds: number) => jobs.lockAcquired(seconds) }

const partitions = await startPartitionWorkers({
  redis,
  prefix: config.queuePrefix,
  partitions: config.queuePartitions,
  lockMs: config.jobLockMs,
  stalledCheckMs: config.stalledCheckMs,
  process: (commands, job) => jobs.run(commands, job, async () => {
    const results = await runCommands(context, commands)
    announce(changesOf(commands, results))
    return results
  }),
  onStalled: (partition) => jobs.stalled(partition),
  onFailed: (commands, error, final) => {
    jobs.failed(commands, error, final)
    if (!final) return
    for (const command of commands) {
      records.recordGaveUp(command)
        .catch((err: unknown) => log.error({ err, requestId: command.requestId }, 'could not record failure'))
    }
  },
})
const maintenance = await startMaintenance({
  redis,
  prefix: config.queuePrefix,
  db,
  records,
  partitionQueues: partitions.queues,
  log,
  onSwept: async (seats) => announce(sweptNotices(seats)),
  retention: { seconds: config.retentionSeconds, batchSize: config.retentionBatchSize },
  onDeleted: countRetention(registry),
})
const admissions = await startAdmissionSteps({ redis, prefix: config.queuePrefix, db, room: new WaitingRoom(redis, config.queuePrefix), log })
const epoch = watchRedisEpoch(redis, config.queuePrefix, () => {
  log.warn('redis lost its data: restoring queue settings and sending pending requests again')
  Promise.all([partitions.restoreSettings(), maintenance.restore(), admissions.restore()])
    .catch((err: unknown) => log.error({ err }, 'could not restore after redis lost its data'))
})
const metricsServer = config.workerMetricsPort ? await serveMetrics(registry, config.workerMetricsPort, config.host) : undefined
log.info({ partitions: config.queuePartitions, metricsPort: config.workerMetricsPort || undefined }, 'worker ready')

closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
  if (err) log.error({ err }, 'shutting down after error')
  else log.info({ signal }, 'shutting down')
  epoch.stop()
  metricsServer?.close()
  await Promise.all([partitions.close(), maintenance.close(), admissions.close()])
  await redis.quit().catch(() => {})
  await db.destroy()
})
