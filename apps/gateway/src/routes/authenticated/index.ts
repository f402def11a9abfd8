import type { FastifyInstance } from 'fastify'
import bookingRoutes from './bookings.ts'
import eventAdministration from './events.ts'
import holdRoutes from './holds.ts'
import queueRoutes from './queue.ts'
import requestRoutes from './requests.ts'
import salesRoutes from './sales.ts'
import sessionRoutes from './sessions.ts'

/** Every route in this scope needs a valid token: the check is declared once, here. */
export default async function authenticatedRoutes (app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', app.authenticate)
  // And documented once, here: the OpenAPI document marks every route of this scope as needing it.
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, security: [{ bearerAuth: [] }] }
  })
  await app.register(sessionRoutes)
  await app.register(eventAdministration)
  await app.register(salesRoutes)
  await app.register(bookingRoutes)
  await app.register(holdRoutes)
  await app.register(queueRoutes)
  await app.register(requestRoutes)
}
