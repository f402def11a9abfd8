import { exitOnStartupFailure, loadConfigOrExit } from '@seatline/config'
import { createDb, prepareDatabase } from '@seatline/db'
import { assertRedisReachable } from '@seatline/queue'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'
import { createServices } from './services.ts'

const config = loadConfigOrExit()

try {
  await assertRedisReachable(config.redisUrl)
  const db = createDb(config.databaseUrl, { max: 2 })
  try {
    await prepareDatabase(config.databaseUrl, db)
  } finally {
    await db.destroy()
  }
} catch (error) {
  exitOnStartupFailure(error)
}

const services = await createServices(config)
const app = await buildApp({ config, services })
app.addHook('onClose', () => services.close())

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after error')
  else app.log.info({ signal }, 'shutting down')
  await app.close()
})

await app.listen({ port: config.port, host: config.host })
