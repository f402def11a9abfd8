import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { replies } from '../../lib/reply-schemas.ts'
import { Type } from 'typebox'

const sessionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post('/v1/auth/sign-out-everywhere', {
    schema: {
      response: replies({ 204: Type.Null({ description: 'Signed out everywhere; no body' }) }),
      tags: ['identity'],
      summary: 'Sign out everywhere',
      description: 'Revokes every token the caller holds, this one included: at once on this gateway, within a minute on the others. Log in again for a new one. Problems: 401 UNAUTHENTICATED.',
    },
  }, async (request, reply) => {
    await app.signOutEverywhere(request.userId)
    return reply.code(204).send(null)
  })
}

export default sessionRoutes
