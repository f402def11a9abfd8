import { Credentials, Session } from '@seatline/contracts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { DUMMY_HASH, hashPassword, verifyPassword } from '../../lib/passwords.ts'
import { ProblemError } from '../../lib/problem-error.ts'
import { replies } from '../../lib/reply-schemas.ts'

const authRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { users } = app.services

  app.post('/v1/auth/signup', { schema: { body: Credentials, response: replies({ 201: Session }), tags: ['identity'], summary: 'Sign up', description: 'Problems: 400 VALIDATION_FAILED, 409 EMAIL_TAKEN.' } }, async (request, reply) => {
    const email = request.body.email.trim().toLowerCase()
    const userId = await users.create(email, await hashPassword(request.body.password))
    if (!userId) throw new ProblemError('EMAIL_TAKEN', `${email} is already registered`)
    return reply.code(201).send({ userId, token: app.issueToken(userId) })
  })

  app.post('/v1/auth/login', { schema: { body: Credentials, response: replies({ 200: Session }), tags: ['identity'], summary: 'Log in', description: 'Problems: 400 VALIDATION_FAILED, 401 INVALID_CREDENTIALS.' } }, async (request) => {
    const user = await users.findByEmail(request.body.email.trim().toLowerCase())
    const valid = await verifyPassword(request.body.password, user?.passwordHash ?? DUMMY_HASH)
    if (!user || !valid) throw new ProblemError('INVALID_CREDENTIALS', 'email or password is wrong')
    return { userId: user.id, token: app.issueToken(user.id) }
  })
}

export default authRoutes
