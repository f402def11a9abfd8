import { makeProblem, type CommandResult, type Problem, type Refusal } from '@seatline/contracts'

export interface CommandReply {
  status: number
  headers: Record<string, string>
  body?: unknown
  problem?: Problem
}

export function refusalProblem (refusal: Refusal): Problem {
  const { ok: _ok, code, detail, ...extensions } = refusal
  return makeProblem(code, detail, extensions)
}

/** Turns a worker's typed result into the contract's HTTP reply. */
export function commandReply (result: CommandResult): CommandReply {
  if (result.ok) {
    switch (result.kind) {
      case 'booking':
        return { status: 201, headers: { location: `/v1/bookings/${result.booking.bookingId}` }, body: result.booking }
      case 'hold':
        return { status: 201, headers: { location: `/v1/holds/${result.hold.holdId}` }, body: result.hold }
      case 'cancellation':
        return { status: 200, headers: {}, body: result.booking }
      case 'release':
        return { status: 204, headers: {} }
    }
  }
  const problem = refusalProblem(result)
  const headers: Record<string, string> = {}
  const seats = result.seats ?? []
  // Every refused seat only held: tell the client when the first one may come free.
  if (seats.length > 0 && seats.every((s) => s.status === 'held')) {
    headers['retry-after'] = String(Math.min(...seats.map((s) => s.retryAfterSeconds ?? 1)))
  }
  if (result.code === 'UNAVAILABLE') headers['retry-after'] = '2'
  // Counted down to the opening at the moment of the reply, so a replayed refusal is still right.
  if (result.code === 'SALE_NOT_OPEN' && result.opensAt) headers['retry-after'] = String(Math.max(1, Math.ceil((Date.parse(result.opensAt) - Date.now()) / 1000)))
  return { status: problem.status, headers, body: problem, problem }
}

/** What `GET /v1/requests/:id` shows of a command. */
export function requestView (requestId: string, result: CommandResult | null) {
  if (!result) return { requestId, status: 'pending' as const }
  if (!result.ok) return { requestId, status: 'failed' as const, error: refusalProblem(result) }
  const reply = commandReply(result)
  return { requestId, status: 'succeeded' as const, result: reply.body ?? null }
}
