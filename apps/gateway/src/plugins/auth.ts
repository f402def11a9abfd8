import jwt from '@fastify/jwt'
import type { Db } from '@seatline/db'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
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
 * Bearer JWTs signed with JWT_SECRET. A token is accepted only while its user exists, so a
 * deleted account's tokens stop working at once.
 */
async function auth (app: FastifyInstance, options: AuthOptions): Promise<void> {
  await app.register(jwt, { secret: options.secret, sign: { expiresIn: '12h' } })
  app.decorateRequest('userId', '')
  app.decorate('authenticate', async (request: FastifyRequest) => {
    let sub: string
    try {
      sub = (await request.jwtVerify<{ sub: string }>()).sub
    } catch {
      throw new ProblemError('UNAUTHENTICATED', 'send a valid token as "Authorization: Bearer <token>"')
    }
    const user = await options.db.selectFrom('users').select('id').where('id', '=', sub).executeTakeFirst()
    if (!user) throw new ProblemError('UNAUTHENTICATED', 'the token names a user that does not exist')
    request.userId = user.id
  })
}

export default fp(auth, { name: 'auth' })
