import jwt from '@fastify/jwt'
import { isUuid } from '@seatline/contracts'
import type { Db } from '@seatline/db'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { KnownUsers } from '../lib/known-users.ts'
import { ProblemError } from '../lib/problem-error.ts'

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string }
    user: { sub: string }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    authenticate (request: FastifyRequest): Promise<void>
    issueToken (userId: string): string
  }
  interface FastifyRequest {
    userId: string
  }
}

export interface AuthOptions {
  secret: string
  db: Db
}

/**
 * Bearer JWTs signed with JWT_SECRET. A token is accepted only while its user exists (checked
 * in Postgres, remembered for a minute so the booking path does not pay a query each time).
 */
async function auth (app: FastifyInstance, options: AuthOptions): Promise<void> {
  await app.register(jwt, { secret: options.secret, sign: { expiresIn: '12h' } })
  const known = new KnownUsers(options.db)
  app.decorate('issueToken', (userId: string) => {
    known.add(userId)
    return app.jwt.sign({ sub: userId })
  })
  app.decorateRequest('userId', '')
  app.decorate('authenticate', async (request: FastifyRequest) => {
    let sub: unknown
    try {
      sub = (await request.jwtVerify<{ sub: unknown }>()).sub
    } catch {
      throw new ProblemError('UNAUTHENTICATED', 'send a valid token as "Authorization: Bearer <token>"')
    }
    // A well-signed token is still only as good as what it names: a user id, of a user that exists.
    if (!isUuid(sub) || !await known.exists(sub)) throw new ProblemError('UNAUTHENTICATED', 'the token names a user that does not exist')
    request.userId = sub
  })
}

export default fp(auth, { name: 'auth' })
