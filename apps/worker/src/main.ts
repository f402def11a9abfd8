import { exitOnStartupFailure, loadConfigOrExit } from '@seatline/config'
import { createDb, prepareDatabase } from '@seatline/db'
import { ResourceLocks } from '@seatline/lock'
import { assertRedisReachable, createBlockingRedis, startPartitionWorkers } from '@seatline/queue'
import closeWithGrace from 'close-with-grace'
import pino from 'pino'
import { startMaintenance } from './maintenance/maintenance-queue.ts'
import { recordGaveUp } from './request-record.ts'
import { runCommands } from './run-commands.ts'

const config = loadConfigOrExit()
const log = pino({ level: config.logLevel, base: { service: 'worker', pid: process.pid } })
const db = createDb(config.databaseUrl, { max: config.queuePartitions + 2, applicationName: 'seatline-worker' })

try {
  await assertRedisReachable(config.redisUrl)
  await prepareDatabase(config.databaseUrl, db)
} catch (error) {
  await db.destroy().catch(() => {})
  exitOnStartupFailure(error)
}

const redis = createBlockingRedis(config.redisUrl, 'seatline-worker')
redis.on('error', (error) => log.warn({ err: error }, 'redis connection error'))
const locks = new ResourceLocks(redis, { prefix: config.queuePrefix })
const context = { db, locks }

const workers = await startPartitionWorkers({
  redis,
  prefix: config.queuePrefix,
  partitions: config.queuePartitions,
  process: (commands) => runCommands(context, commands),
  onFailed: (commands, error, final) => {
    const requestIds = commands.map((c) => c.requestId)
    log.warn({ err: error, requestIds, final }, 'job failed')
    if (!final) return
    for (const command of commands) {
      recordGaveUp(db, command)
        .catch((err: unknown) => log.error({ err, requestId: command.requestId }, 'could not record failure'))
    }
  },
})
const maintenance = await startMaintenance(redis, config.queuePrefix, db, log)
log.info({ partitions: config.queuePartitions }, 'worker ready')

closeWithGrace({ delay: 15_000 }, async ({ signal, err }) => {
  if (err) log.error({ err }, 'shutting down after error')
  else log.info({ signal }, 'shutting down')
  // Worker.close waits for the job in hand, so no command is cut in half.
  await Promise.all([...workers.map((w) => w.close()), maintenance.close()])
  await redis.quit().catch(() => {})
  await db.destroy()
})
