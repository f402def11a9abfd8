import { exitOnStartupFailure, loadConfigOrExit } from '@seatline/config'
import { createDb, prepareDatabase } from '@seatline/db'
import { assertRedisReachable } from '@seatline/queue'
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.ts'
import { buildInternalApp } from './internal-app.ts'
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

const services = await createServices(config, {
  onDatabaseHostChange: (host, from) => app.log.warn({ host, from }, 'database connections now go to another host'),
})
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

// With INTERNAL_PORT, /metrics, /ready and /docs have a listener of their own (buildApp left them
// out of the public one), serving the document the public app made of its routes.
let internal: Awaited<ReturnType<typeof buildInternalApp>> | undefined
if (config.internalPort) {
  await app.ready()
  internal = await buildInternalApp({ config, services, document: app.swagger(), loggerInstance: app.log })
}

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'shutting down after error')
  else app.log.info({ signal }, 'shutting down')
  // The internal listener first: the readiness probe fails from the start of the drain, and
  // nothing there uses the services after the public app has closed them.
  await internal?.close()
  await app.close()
})

await app.listen({ port: config.port, host: config.host })
// After the public port: once /ready answers, the API does too.
if (internal) await internal.listen({ port: config.internalPort, host: config.internalHost })
