import http from 'node:http'

export interface HttpReply {
  /** 0 when the request failed on the way (refused, reset). */
  status: number
  body: string
  /** The Retry-After header of a 429 or 503, in seconds. */
  retryAfterS?: number
}

export interface HttpClient {
  request (method: string, path: string, options?: { token?: string, body?: unknown, headers?: Record<string, string> }): Promise<HttpReply>
  /** Requests sent so far, by status (0 = failed on the way). */
  readonly statuses: Map<number, number>
  close (): void
}

/**
 * A keep-alive client over node:http for buyers' small requests (polls, seat lists, bookings):
 * at most `connections` sockets, further requests wait in the agent's queue as a browser's
 * would. node:http rather than fetch: the bench runs next to the stack on the same 2 cores.
 */
export function httpClient (baseUrl: string, connections: number): HttpClient {
  const target = new URL(baseUrl)
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections })
  const statuses = new Map<number, number>()
  const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1)
  return {
    statuses,
    request (method, path, options = {}) {
      const body = options.body === undefined ? undefined : JSON.stringify(options.body)
      const headers: Record<string, string | number> = { ...options.headers }
      if (options.token) headers.authorization = `Bearer ${options.token}`
      if (body !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
      return new Promise((resolve) => {
        const req = http.request({ agent, host: target.hostname, port: target.port, method, path, headers }, (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk) => { text += chunk })
          res.on('end', () => {
            const status = res.statusCode ?? 0
            count(status)
            const retry = Number(res.headers['retry-after'])
            resolve({ status, body: text, ...(Number.isFinite(retry) ? { retryAfterS: retry } : {}) })
          })
          res.on('error', () => {
            count(0)
            resolve({ status: 0, body: '' })
          })
        })
        req.on('error', () => {
          count(0)
          resolve({ status: 0, body: '' })
        })
        req.end(body)
      })
    },
    close: () => agent.destroy(),
  }
}
