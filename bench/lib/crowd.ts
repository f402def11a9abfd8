import http from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'

export interface Ask {
  token: string
  path: string
  body: string
}

export interface Answer {
  status: number
  body: string
  firstSentAt: number
  /** When the attempt that got this answer was sent. */
  lastSentAt: number
  answeredAt: number
  attempts: number
}

export interface CrowdOptions {
  url: string
  connections: number
  /** A status that means "try again" (the baseline's 423): retried with jittered backoff. */
  retryStatus?: number
  /**
   * An answer that says when to come back (Seatline's 409 SALE_NOT_OPEN before the opening):
   * the milliseconds to wait before asking again, or undefined for a final answer.
   */
  comeBackIn? (status: number, body: string): number | undefined
  onProgress? (answered: number): void
}

interface Retry { index: number, attempts: number, due: number, firstSentAt: number }

/**
 * A crowd of buyers, each wanting one answer. `connections` keep-alive sockets send the asks in
 * order; a "try again" answer sends the buyer back after an exponential, fully jittered backoff
 * (10 ms doubling to 1 s), as a well-behaved client would. autocannon cannot make a request wait,
 * so retrying clients are modelled here, over node:http, and both systems are measured with it.
 */
export async function runCrowd (asks: Ask[], options: CrowdOptions): Promise<Answer[]> {
  const target = new URL(options.url)
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections })
  const answers: Answer[] = new Array(asks.length)
  const retries: Retry[] = []
  let next = 0
  let answered = 0

  const send = (ask: Ask) => new Promise<{ status: number, body: string }>((resolve, reject) => {
    const req = http.request({
      agent,
      host: target.hostname,
      port: target.port,
      method: 'POST',
      path: ask.path,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ask.token}`, 'content-length': Buffer.byteLength(ask.body) },
    }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
    })
    req.on('error', reject)
    req.end(ask.body)
  })

  const takeRetry = (now: number) => {
    let best = -1
    for (let i = 0; i < retries.length; i++) if (retries[i]!.due <= now && (best < 0 || retries[i]!.due < retries[best]!.due)) best = i
    return best < 0 ? undefined : retries.splice(best, 1)[0]
  }

  const lane = async () => {
    while (answered < asks.length) {
      const now = performance.now()
      const item = takeRetry(now) ?? (next < asks.length ? { index: next++, attempts: 0, due: now, firstSentAt: now } : undefined)
      if (!item) {
        await sleep(2)
        continue
      }
      const sentAt = performance.now()
      const firstSentAt = item.attempts === 0 ? sentAt : item.firstSentAt
      let reply: { status: number, body: string }
      try {
        reply = await send(asks[item.index]!)
      } catch {
        reply = { status: 0, body: '' }
      }
      if (reply.status === options.retryStatus || reply.status === 0) {
        const backoff = Math.min(1_000, 10 * 2 ** item.attempts) * Math.random()
        retries.push({ index: item.index, attempts: item.attempts + 1, due: performance.now() + backoff, firstSentAt })
        continue
      }
      const wait = options.comeBackIn?.(reply.status, reply.body)
      if (wait !== undefined) {
        retries.push({ index: item.index, attempts: item.attempts + 1, due: performance.now() + wait, firstSentAt })
        continue
      }
      answers[item.index] = { status: reply.status, body: reply.body, firstSentAt, lastSentAt: sentAt, answeredAt: performance.now(), attempts: item.attempts + 1 }
      answered++
      if (answered % 1000 === 0) options.onProgress?.(answered)
    }
  }

  await Promise.all(Array.from({ length: options.connections }, lane))
  agent.destroy()
  return answers
}
