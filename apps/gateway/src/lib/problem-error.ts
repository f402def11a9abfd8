import { type ProblemCode, makeProblem, type Problem } from '@seatline/contracts'

/** Thrown from a handler to answer with a problem; the error handler turns it into problem+json. */
export class ProblemError extends Error {
  readonly problem: Problem
  readonly headers: Record<string, string>

  constructor (code: ProblemCode, detail: string, extensions: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(detail)
    this.problem = makeProblem(code, detail, extensions)
    this.headers = headers
  }
}

export function validationFailed (errors: Array<{ path: string, message: string }>): ProblemError {
  return new ProblemError('VALIDATION_FAILED', errors.map((e) => `${e.path || 'body'} ${e.message}`).join('; '), { errors })
}
