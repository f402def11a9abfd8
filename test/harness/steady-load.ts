import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { call, type Reply } from '../helpers/api.ts'

export interface Answer {
  /** When the request was sent and answered, ms since the load started. */
  sentAt: number
  answeredAt: number
  seatId: string
  key: string
  /** 0 when the connection failed (a gateway killed under it). */
  status: number
  body: any
  retryAfter: string | null
}

export interface SteadyLoadOptions {
  /** Gateway URLs, used round robin; a function, so a test can swap them as it goes. */
  urls: () => string[]
  eventId: string
  tokens: string[]
  /** Seats to book, one request each, in this order. */
  seats: string[]
  /** Requests in flight at once. */
  concurrency: number
  /** Each request carries an Idempotency-Key, so it can be retried safely. */
  keyed?: boolean
  headers?: Record<string, string>
}

export interface SteadyLoad {
  readonly answers: Answer[]
  /** Ms since the load started. */
  now (): number
  /** Resolves when every seat has had one answer (or `stop` was called). */
  done: Promise<void>
  stop (): void
  /** Answers counted by status, optionally within [from, to) ms of the start. */
  statuses (from?: number, to?: number): Record<string, number>
  /** The first 201 sent at or after `at` ms: when bookings flowed again after a fault. */
  firstBookedAfter (at: number): Answer | undefined
}

/**
 * Books seats one request each, `concurrency` at a time, through real HTTP, and keeps every
 * answer with its timing: what a fault test measures during and after the fault.
 */
export function steadyLoad (options: SteadyLoadOptions): SteadyLoad {
  const started = performance.now()
  const now = () => Math.round(performance.now() - started)
  const answers: Answer[] = []
  let next = 0
  const state = { stopped: false }
  const one = async (i: number) => {
    const seatId = options.seats[i]!
    const key = randomUUID()
    const urls = options.urls()
    const url = urls[i % urls.length]!
    const headers = { ...options.headers, ...(options.keyed ? { 'idempotency-key': key } : {}) }
    const sentAt = now()
    let reply: Reply | undefined
    try {
      reply = await call(url, 'POST', `/v1/events/${options.eventId}/bookings`, { token: options.tokens[i % options.tokens.length]!, body: { seatIds: [seatId] }, headers })
    } catch {}
    answers.push({ sentAt, answeredAt: now(), seatId, key, status: reply?.status ?? 0, body: reply?.body, retryAfter: reply?.headers.get('retry-after') ?? null })
  }
  const done = Promise.all(Array.from({ length: options.concurrency }, async () => {
    while (!state.stopped && next < options.seats.length) {
      const i = next++
      await one(i)
      await sleep(0)
    }
  })).then(() => {})
  return {
    answers,
    now,
    done,
    stop: () => { state.stopped = true },
    statuses (from = 0, to = Number.POSITIVE_INFINITY) {
      const counts: Record<string, number> = {}
      for (const a of answers) if (a.sentAt >= from && a.sentAt < to) counts[a.status] = (counts[a.status] ?? 0) + 1
      return counts
    },
    firstBookedAfter (at) {
      return answers.filter((a) => a.status === 201 && a.sentAt >= at).sort((a, b) => a.answeredAt - b.answeredAt)[0]
    },
  }
}
