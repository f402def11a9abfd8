import { Credentials, Session } from '@seatline/contracts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { DUMMY_HASH, needsRehash } from '../../lib/passwords.ts'
import { ProblemError } from '../../lib/problem-error.ts'
import { replies } from '../../lib/reply-schemas.ts'

const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { users, logins, passwords } = app.services

  app.post('/v1/auth/signup', { schema: { body: Credentials, response: replies({ 201: Session }), tags: ['identity'], summary: 'Sign up', description: 'Problems: 400 VALIDATION_FAILED, 409 EMAIL_TAKEN, 429 RATE_LIMITED (too many signups from the address), 503 OVERLOADED (too many password hashes at once).' } }, async (request, reply) => {
    const email = request.body.email.trim().toLowerCase()
    const userId = await users.create(email, await passwords.hash(request.body.password))
    if (!userId) throw new ProblemError('EMAIL_TAKEN', `${email} is already registered`)
    return reply.code(201).send({ userId, token: app.issueToken(userId, 0) })
  })

  app.post('/v1/auth/login', {
    schema: {
      body: Credentials,
      response: replies({ 200: Session }),
      tags: ['identity'],
      summary: 'Log in',
      description: 'Problems: 400 VALIDATION_FAILED, 401 INVALID_CREDENTIALS, 429 RATE_LIMITED (too many failed logins for the account or from the address, or too many logins from the address; Retry-After says when to try again), 503 OVERLOADED (too many password hashes at once).',
    },
  }, async (request) => {
    const email = request.body.email.trim().toLowerCase()
    const attempt = await logins.attempt(email, request.ip)
    if (!attempt.allowed) {
      throw new ProblemError('RATE_LIMITED', `too many failed logins; try again in ${attempt.retryAfterS} s`, {}, { 'retry-after': String(attempt.retryAfterS) })
    }
    const user = await users.findByEmail(email)
    const valid = await passwords.verify(request.body.password, user?.passwordHash ?? DUMMY_HASH)
    if (!user || !valid) throw new ProblemError('INVALID_CREDENTIALS', 'email or password is wrong')
    await logins.succeeded(email, request.ip)
    // The one moment the password is known: store it at today's cost if it was hashed at an older one.
    if (needsRehash(user.passwordHash)) await users.replacePasswordHash(user.id, user.passwordHash, await passwords.hash(request.body.password))
    return { userId: user.id, token: app.issueToken(user.id, user.tokenVersion) }
  })
}

export default authRoutes
