import jwt from '@fastify/jwt'
import { TOKEN_AUDIENCE, TOKEN_ISSUER, tokenKeyId } from '@seatline/config'
import { isUuid } from '@seatline/contracts'
import type { Db } from '@seatline/db'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { KnownUsers } from '../lib/known-users.ts'
import { ProblemError } from '../lib/problem-error.ts'

interface TokenClaims { sub: unknown, ver?: unknown }

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { sub: string, ver: number }
    user: TokenClaims
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    authenticate (request: FastifyRequest): Promise<void>
    issueToken (userId: string, version: number): string
    /** Revokes every token the user holds; returns when this gateway refuses them (others within a minute). */
    signOutEverywhere (userId: string): Promise<void>
  }
  interface FastifyRequest {
    userId: string
    previousJwtVerify<T> (): Promise<T>
  }
}

export interface AuthOptions {
  secret: string
  /** The secret before the last rotation: its tokens are still accepted until they expire. */
  previousSecret?: string
  db: Db
}

/**
 * Bearer JWTs (HS256) signed with JWT_SECRET, naming their secret (`kid`), issuer and audience.
 * While a rotation is under way the previous secret's tokens verify too. A token is accepted only
 * while its user exists and its version (`ver`) is the user's: signing out everywhere raises it.
 * Both are checked in Postgres, remembered for a minute so the booking path does not pay a query
 * each time.
 */
async function auth (app: FastifyInstance, options: AuthOptions): Promise<void> {
  // Without requiredClaims a token that leaves a claim out would skip its check.
  const verify = { allowedIss: TOKEN_ISSUER, allowedAud: TOKEN_AUDIENCE, requiredClaims: ['iss', 'aud', 'sub', 'exp'], algorithms: ['HS256' as const] }
  const currentKid = tokenKeyId(options.secret)
  await app.register(jwt, {
    secret: options.secret,
    sign: { algorithm: 'HS256', expiresIn: '12h', iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, kid: currentKid },
    verify,
  })
  const previousKid = options.previousSecret ? tokenKeyId(options.previousSecret) : undefined
  if (options.previousSecret) {
    await app.register(jwt, { secret: options.previousSecret, namespace: 'previous', jwtVerify: 'previousJwtVerify', verify })
  }
  const known = new KnownUsers(options.db)
  app.decorate('issueToken', (userId: string, version: number) => {
    known.add(userId, version)
    return app.jwt.sign({ sub: userId, ver: version })
  })
  app.decorate('signOutEverywhere', async (userId: string) => {
    const row = await options.db.updateTable('users').set((eb) => ({ token_version: eb('token_version', '+', 1) }))
      .where('id', '=', userId).returning('token_version').executeTakeFirst()
    if (row) known.forget(userId, row.token_version - 1)
  })
  app.decorateRequest('userId', '')
  app.decorate('authenticate', async (request: FastifyRequest) => {
    let claims: TokenClaims
    try {
      claims = previousKid !== undefined && kidOf(request) === previousKid
        ? await request.previousJwtVerify<TokenClaims>()
        : await request.jwtVerify<TokenClaims>()
    } catch {
      throw new ProblemError('UNAUTHENTICATED', 'send a valid token as "Authorization: Bearer <token>"')
    }
    // A well-signed token is still only as good as what it names: a user that exists, and has
    // not revoked it.
    // Tokens from before versions existed have none: version 0.
    const version = claims.ver === undefined ? 0 : claims.ver
    if (!isUuid(claims.sub) || !Number.isSafeInteger(version) || !await known.current(claims.sub, version as number)) {
      throw new ProblemError('UNAUTHENTICATED', 'the token names no current session: log in again')
    }
    request.userId = claims.sub
  })
}

/** The `kid` in the bearer token's header, unverified: it only picks the secret to verify with. */
function kidOf (request: FastifyRequest): string | undefined {
  const header = request.headers.authorization
  if (!header?.startsWith('Bearer ')) return undefined
  try {
    const decoded = JSON.parse(Buffer.from(header.slice(7, header.indexOf('.')), 'base64url').toString('utf8')) as { kid?: unknown }
    return typeof decoded.kid === 'string' ? decoded.kid : undefined
  } catch {
    return undefined
  }
}

export default fp(auth, { name: 'auth' })
