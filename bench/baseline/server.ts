/**
 * The approach the usual tutorials take, kept as the benchmarks' reference: one Fastify process
 * whose handler takes a Redis `SET NX PX` lock on the seat, runs the booking transaction inline
 * (the very one Seatline's worker runs), and answers 423 when the lock is busy. Its clients must
 * retry. Not part of Seatline.
 */
import { randomUUID } from 'node:crypto'
import jwt from '@fastify/jwt'
import { loadConfigOrExit, TOKEN_AUDIENCE, TOKEN_ISSUER } from '@seatline/config'
import { makeProblem, seatResource, type BookSeatsCommand, type CommandResult } from '@seatline/contracts'
import { createDb } from '@seatline/db'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import { sql } from 'kysely'
import { bookSeatsMany } from '../../apps/worker/src/commands/book-seats.ts'

const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"

const config = loadConfigOrExit()
const db = createDb(config.databaseUrl, { max: 20, applicationName: 'seatline-baseline' })
const redis = new Redis(config.redisUrl)
const app = Fastify({ logger: false })
// The same checks as Seatline's gateway: signature, expiry, issuer and audience.
await app.register(jwt, { secret: config.jwtSecret, verify: { allowedIss: TOKEN_ISSUER, allowedAud: TOKEN_AUDIENCE, requiredClaims: ['iss', 'aud', 'sub', 'exp'], algorithms: ['HS256'] } })
// No Redis fencing here; the shared transaction still wants an increasing number per write.
let fence = Date.now() * 1000

app.get('/ready', async () => {
  await Promise.all([sql`select 1`.execute(db), redis.ping()])
  return { status: 'ready' }
})

app.post<{ Params: { eventId: string }, Body: { seatIds: string[] } }>('/v1/events/:eventId/bookings', async (request, reply) => {
  const { sub } = await request.jwtVerify<{ sub: string }>()
  const { eventId } = request.params
  const seatIds = request.body.seatIds
  const key = `${config.queuePrefix}:baseline:{${seatResource(eventId, seatIds[0]!)}}`
  const token = randomUUID()
  if (!(await redis.set(key, token, 'PX', 5_000, 'NX'))) {
    return reply.code(423).send(makeProblem('UNAVAILABLE', 'seat is locked, try again'))
  }
  try {
    const command: BookSeatsCommand = { type: 'book-seats', requestId: randomUUID(), userId: sub, eventId, seatIds }
    const [result] = await db.transaction().execute((trx) => bookSeatsMany(trx, [command], ++fence)) as [CommandResult]
    if (result.ok && result.kind === 'booking') return reply.code(201).send(result.booking)
    if (!result.ok) return reply.code(409).send(makeProblem(result.code, result.detail, { seats: result.seats }))
    return reply.code(500).send()
  } finally {
    await redis.eval(RELEASE, 1, key, token)
  }
})

const close = async () => {
  await app.close()
  redis.disconnect()
  await db.destroy()
  process.exit(0)
}
process.on('SIGTERM', close)
process.on('SIGINT', close)
await app.listen({ port: config.port, host: config.host })
