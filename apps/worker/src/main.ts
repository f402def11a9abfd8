import { exitOnStartupFailure, loadConfigOrExit } from '@seatline/config'
import { createDb, prepareDatabase, RequestRecords } from '@seatline/db'
import { ResourceLocks } from '@seatline/lock'
import { assertRedisReachable, createBlockingRedis, startPartitionWorkers, watchRedisEpoch } from '@seatline/queue'
import closeWithGrace from 'close-with-grace'
import pino from 'pino'
import { startMaintenance } from './maintenance/maintenance-queue.ts'
import { runCommands } from './run-commands.ts'

const config = loadConfigOrExit()
const log = pino({ level: config.logLevel, base: { service: 'worker', pid: process.pid } })
const db = createDb(config.databaseUrl, { max: config.queuePartitions + 2, applicationName: 'seatline-worker' })

try {
  await assertRedisReachable(config)
  await prepareDatabase(config.databaseUrl, db)
} catch (error) {
  await db.destroy().catch(() => {})
  exitOnStartupFailure(error)
}

const redis = createBlockingRedis(config, 'seatline-worker')
redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'))
const records = new RequestRecords(db)
// A seat lock lives as long as a job lock: a dead worker's seats come free as its job does.
const locks = new ResourceLocks(redis, { prefix: config.queuePrefix, ttlMs: config.jobLockMs })
const context = { db, locks, records }

const partitions = await startPartitionWorkers({
  redis,
  prefix: config.queuePrefix,
  partitions: config.queuePartitions,
  lockMs: config.jobLockMs,
  stalledCheckMs: config.stalledCheckMs,
  process: (commands) => runCommands(context, commands),
  onFailed: (commands, error, final) => {
    const requestIds = commands.map((c) => c.requestId)
    log.warn({ err: error, requestIds, final }, 'job failed')
    if (!final) return
    for (const command of commands) {
      records.recordGaveUp(command)
        .catch((err: unknown) => log.error({ err, requestId: command.requestId }, 'could not record failure'))
    }
  },
})
const maintenance = await startMaintenance({ redis, prefix: config.queuePrefix, db, records, partitionQueues: partitions.queues, log })
const epoch = watchRedisEpoch(redis, config.queuePrefix, () => {
  log.warn('redis lost its data: restoring queue settings and sending pending requests again')
  Promise.all([partitions.restoreSettings(), maintenance.restore()])
    .catch((err: unknown) => log.error({ err }, 'could not restore after redis lost its data'))
})
log.info({ partitions: config.queuePartitions }, 'worker ready')

closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
  if (err) log.error({ err }, 'shutting down after error')
  else log.info({ signal }, 'shutting down')
  epoch.stop()
  await Promise.all([partitions.close(), maintenance.close()])
  await redis.quit().catch(() => {})
  await db.destroy()
})
