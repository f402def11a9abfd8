import { Credentials, Session } from '@seatline/contracts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { DUMMY_HASH, hashPassword, verifyPassword } from '../../lib/passwords.ts'
import { ProblemError } from '../../lib/problem-error.ts'
import { replies } from '../../lib/reply-schemas.ts'

const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { users, logins } = app.services

  app.post('/v1/auth/signup', { schema: { body: Credentials, response: replies({ 201: Session }), tags: ['identity'], summary: 'Sign up', description: 'Problems: 400 VALIDATION_FAILED, 409 EMAIL_TAKEN.' } }, async (request, reply) => {
    const email = request.body.email.trim().toLowerCase()
    const userId = await users.create(email, await hashPassword(request.body.password))
    if (!userId) throw new ProblemError('EMAIL_TAKEN', `${email} is already registered`)
    return reply.code(201).send({ userId, token: app.issueToken(userId, 0) })
  })

  app.post('/v1/auth/login', {
    schema: {
      body: Credentials,
      response: replies({ 200: Session }),
      tags: ['identity'],
      summary: 'Log in',
      description: 'Problems: 400 VALIDATION_FAILED, 401 INVALID_CREDENTIALS, 429 RATE_LIMITED (too many failed logins for the account or from the address; Retry-After says when to try again).',
    },
  }, async (request) => {
    const email = request.body.email.trim().toLowerCase()
    const attempt = await logins.attempt(email, request.ip)
    if (!attempt.allowed) {
      throw new ProblemError('RATE_LIMITED', `too many failed logins; try again in ${attempt.retryAfterS} s`, {}, { 'retry-after': String(attempt.retryAfterS) })
    }
    const user = await users.findByEmail(email)
    const valid = await verifyPassword(request.body.password, user?.passwordHash ?? DUMMY_HASH)
    if (!user || !valid) throw new ProblemError('INVALID_CREDENTIALS', 'email or password is wrong')
    await logins.succeeded(email, request.ip)
    return { userId: user.id, token: app.issueToken(user.id, user.tokenVersion) }
  })
}

export default authRoutes
