import { isUuid, RequestParams, RequestStatus } from '@seatline/contracts'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requestView } from '../../lib/command-reply.ts'
import { ProblemError } from '../../lib/problem-error.ts'
import { replies } from '../../lib/reply-schemas.ts'

const requestRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { requests } = app.services

  app.get('/v1/requests/:requestId', { schema: { params: RequestParams, response: replies({ 200: RequestStatus }), tags: ['commands'], summary: 'Poll a command\'s request', description: 'Problems: 404 REQUEST_NOT_FOUND.' } }, async (request) => {
    const { requestId } = request.params
    const record = isUuid(requestId) ? await requests.findOwned(request.userId, requestId) : undefined
    if (!record) throw new ProblemError('REQUEST_NOT_FOUND', `request ${requestId} does not exist`)
    return requestView(record.id, record.result)
  })
}

export default requestRoutes
