import { isInfrastructureFault } from '@seatline/config'
import { makeProblem, PROBLEM_CONTENT_TYPE, type Problem } from '@seatline/contracts'
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify'
import fp from 'fastify-plugin'
import { ProblemError } from '../lib/problem-error.ts'

declare module 'fastify' {
  interface FastifyReply {
    problem (problem: Problem, headers?: Record<string, string>): FastifyReply
    /** The code of the problem this reply carries, if it is one: for metrics and logs. */
    problemCode: Problem['code'] | undefined
  }
}

interface AjvError { keyword?: string, schemaPath?: string, instancePath?: string, message?: string, params?: Record<string, unknown> }

/**
 * A body that matches none of a union's shapes fails every branch; report only the branch it
 * came closest to (fewest missing properties, then fewest errors), not all of them.
 */
function closestBranch (errors: AjvError[]): AjvError[] {
  const branches = new Map<string, AjvError[]>()
  for (const e of errors) {
    const branch = /^#\/anyOf\/(\d+)\//.exec(e.schemaPath ?? '')?.[1]
    if (branch !== undefined) branches.set(branch, [...(branches.get(branch) ?? []), e])
  }
  if (branches.size === 0) return errors
  const score = (list: AjvError[]) => list.filter((e) => e.keyword === 'required').length * 1000 + list.length
  return [...branches.values()].sort((a, b) => score(a) - score(b))[0]!
}

function validationErrors (error: FastifyError): Array<{ path: string, message: string }> {
  const part = (error as { validationContext?: string }).validationContext ?? 'body'
  return closestBranch(error.validation as AjvError[]).map((e) => {
    const missing = e.params?.missingProperty ?? e.params?.additionalProperty
    const path = `${part}${e.instancePath ?? ''}${missing ? `/${String(missing)}` : ''}`
    const message = e.params?.additionalProperty ? 'is not allowed' : (e.message ?? 'is invalid')
    return { path, message }
  })
}

/** Transport errors (bad JSON, too large, wrong media type) keep their status and get a code. */
function transportProblem (error: FastifyError): Problem {
  const status = error.statusCode ?? 500
  if (status === 413) return makeProblem('PAYLOAD_TOO_LARGE', 'the request body is larger than this route accepts')
  if (status === 415) return makeProblem('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json')
  if (status >= 400 && status < 500) return makeProblem('BAD_REQUEST', error.message || 'the request could not be parsed')
  return makeProblem('INTERNAL', 'an unexpected error occurred; it has been logged')
}

/**
 * The one place that decides what a client sees when something goes wrong: always problem+json
 * with a stable code; a server fault is logged in full and shown to nobody.
 */
async function problemReplies (app: FastifyInstance): Promise<void> {
  app.decorateReply('problemCode', undefined)
  app.decorateReply('problem', function (this: FastifyReply, problem: Problem, headers: Record<string, string> = {}) {
    this.problemCode = problem.code
    return this.code(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(problem)
  })

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ProblemError) return reply.problem(error.problem, error.headers)
    if (error.validation) {
      const errors = validationErrors(error)
      return reply.problem(makeProblem('VALIDATION_FAILED', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors }))
    }
    // A value Postgres cannot take (out of range, wrong form) that validation let through is
    // still the client's input: a 400, logged so the gap in validation can be closed.
    if (/^22/.test(String((error as { code?: unknown }).code ?? ''))) {
      request.log.warn({ err: error }, 'input refused by Postgres')
      return reply.problem(makeProblem('VALIDATION_FAILED', 'a value in the request is out of the range this API stores'))
    }
    if (isInfrastructureFault(error)) {
      request.log.warn({ err: error }, 'infrastructure unavailable')
      return reply.problem(makeProblem('UNAVAILABLE', 'a backing service cannot be reached; nothing was changed, try again'), { 'retry-after': '2' })
    }
    const problem = transportProblem(error)
    if (problem.status >= 500) request.log.error({ err: error }, 'unhandled error')
    return reply.problem(problem)
  })

  app.setNotFoundHandler((request, reply) => {
    reply.problem(makeProblem('ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`))
  })
}

export default fp(problemReplies, { name: 'problem-replies' })
