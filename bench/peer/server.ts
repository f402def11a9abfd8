/**
 * The design Seatline replaces, built the way a capable developer following the usual tutorials
 * would, with the same JWT check as Seatline's gateway so that the comparison is fair: one Fastify
 * process; per request a Redis `SET NX PX` lock on the seat, then `BEGIN; SELECT … FOR UPDATE;
 * INSERT` the booking; `UPDATE` the seat; `COMMIT`; release the lock (compare-and-delete); `423`
 * "try again" when the lock is taken. Its own minimal tables, in the same database. Not part of
 * Seatline: the bench's `peer` scenarios load it.
 */
import { randomUUID } from 'node:crypto'
import jwt from '@fastify/jwt'
import { loadConfigOrExit, TOKEN_AUDIENCE, TOKEN_ISSUER } from '@seatline/config'
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import pg from 'pg'

const RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"

const config = loadConfigOrExit()
const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 20, application_name: 'seatline-peer' })
const redis = new Redis(config.redisUrl)

await pool.query(`
  create table if not exists peer_seats (
    event_id uuid not null,
    seat_id text not null,
    status text not null default 'available',
    booking_id uuid,
    primary key (event_id, seat_id)
  );
  create table if not exists peer_bookings (
    id uuid primary key,
    event_id uuid not null,
    seat_id text not null,
    user_id uuid not null,
    created_at timestamptz not null default now()
  )`)

const app = Fastify({ logger: false })
// The same checks as Seatline's gateway: signature, expiry, issuer and audience.
await app.register(jwt, { secret: config.jwtSecret, verify: { allowedIss: TOKEN_ISSUER, allowedAud: TOKEN_AUDIENCE, requiredClaims: ['iss', 'aud', 'sub', 'exp'], algorithms: ['HS256'] } })

function problem (status: number, code: string, detail: string) {
  return { type: `urn:peer:problem:${code.toLowerCase()}`, title: code, status, detail, code }
}

app.get('/ready', async () => {
  await Promise.all([pool.query('select 1'), redis.ping()])
  return { status: 'ready' }
})

app.post<{ Params: { eventId: string }, Body: { seatIds: string[] } }>('/v1/events/:eventId/bookings', async (request, reply) => {
  let userId: string
  try {
    userId = (await request.jwtVerify<{ sub: string }>()).sub
  } catch {
    return reply.code(401).send(problem(401, 'UNAUTHENTICATED', 'send a valid token'))
  }
  const { eventId } = request.params
  const seatId = request.body.seatIds[0]!
  const key = `${config.queuePrefix}:peer:{${eventId}:${seatId}}`
  const token = randomUUID()
  if (!(await redis.set(key, token, 'PX', 5_000, 'NX'))) {
    return reply.code(423).send(problem(423, 'LOCKED', 'the seat is being booked by someone else, try again'))
  }
  const client = await pool.connect()
  try {
    await client.query('begin')
    const seat = await client.query<{ status: string }>('select status from peer_seats where event_id = $1 and seat_id = $2 for update', [eventId, seatId])
    if (seat.rowCount === 0) {
      await client.query('rollback')
      return reply.code(404).send(problem(404, 'SEAT_NOT_FOUND', `no seat ${seatId}`))
    }
    if (seat.rows[0]!.status !== 'available') {
      await client.query('rollback')
      return reply.code(409).send(problem(409, 'SEATS_UNAVAILABLE', `not available: ${seatId} (booked)`))
    }
    const bookingId = randomUUID()
    const booking = await client.query<{ created_at: Date }>(
      'insert into peer_bookings (id, event_id, seat_id, user_id) values ($1, $2, $3, $4) returning created_at', [bookingId, eventId, seatId, userId])
    await client.query('update peer_seats set status = \'booked\', booking_id = $3 where event_id = $1 and seat_id = $2', [eventId, seatId, bookingId])
    await client.query('commit')
    return reply.code(201).send({ bookingId, eventId, userId, status: 'confirmed', seatIds: [seatId], createdAt: booking.rows[0]!.created_at.toISOString() })
  } catch (error) {
    await client.query('rollback').catch(() => {})
    throw error
  } finally {
    client.release()
    await redis.eval(RELEASE, 1, key, token)
  }
})

const close = async () => {
  await app.close()
  redis.disconnect()
  await pool.end()
  process.exit(0)
}
process.on('SIGTERM', close)
process.on('SIGINT', close)
await app.listen({ port: config.port, host: config.host })
