import { exitOnStartupFailure, loadConfigOrExit } from '@seatline/config'
import { createDb, prepareDatabase } from '@seatline/db'
import { assertRedisReachable } from '@seatline/queue'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'
import { createServices } from './services.ts'

const config = loadConfigOrExit()
const SHUTDOWN_ANSWER_MS = 2_000

try {
  await assertRedisReachable(config)
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
// On the way down, requests in flight get their answer or, within 2 s, a 202 to poll, and
// every reply closes its connection: a kept-alive socket would hold the server open.
let closing = false
app.addHook('onSend', async (_request, reply) => {
  if (closing) reply.header('connection', 'close')
})
app.addHook('preClose', async () => {
  closing = true
  services.commands.drain(SHUTDOWN_ANSWER_MS)
  app.server.closeIdleConnections()
})
app.addHook('onClose', () => services.close())

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after error')
  else app.log.info({ signal }, 'shutting down')
  await app.close()
})

await app.listen({ port: config.port, host: config.host })
