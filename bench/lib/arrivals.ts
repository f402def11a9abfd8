import { setTimeout as sleep } from 'node:timers/promises'

export interface Timed<R> {
  /** When the buyer meant to ask (performance.now() ms). */
  dueAt: number
  /** When the request left: later than `dueAt` when every connection was busy. */
  sentAt: number
  answeredAt: number
  reply: R
}

/**
 * Buyers who come when they come: the i-th request is sent at `dueAt(i)` (performance.now() ms,
 * non-decreasing in i), over at most `connections` requests in flight. Unlike the crowd (a closed
 * loop, each connection asking again as soon as it is answered), a slow stack does not slow the
 * arrivals down: they queue here, and the time from `dueAt` shows it.
 */
export async function runArrivals<R> (count: number, dueAt: (i: number) => number, connections: number, send: (i: number) => Promise<R>,
  onAnswer?: (i: number, answered: Timed<R>) => void): Promise<Array<Timed<R>>> {
  const answers: Array<Timed<R>> = new Array(count)
  let next = 0
  const lane = async () => {
    while (next < count) {
      const i = next++
      const due = dueAt(i)
      // A timer may fire early by as much as the event loop's cached clock is stale (ms on a busy
      // machine), so wait again until the clock says it is time.
      for (let wait = due - performance.now(); wait > 0; wait = due - performance.now()) await sleep(Math.ceil(wait))
      const sentAt = performance.now()
      const reply = await send(i)
      answers[i] = { dueAt: due, sentAt, answeredAt: performance.now(), reply }
      onAnswer?.(i, answers[i])
    }
  }
  await Promise.all(Array.from({ length: Math.min(connections, count) }, lane))
  return answers
}
