import autocannon from 'autocannon'

export interface LoadResult {
  durationS: number
  requests: number
  statuses: Record<string, number>
  errors: number
  latencyMs: { p50: number, p90: number, p99: number, max: number }
}

export interface LoadOptions {
  title: string
  url: string
  connections: number
  durationS?: number
  amount?: number
  requests: autocannon.Request[]
}

/** Runs autocannon as a library, with its progress bar on stderr, and keeps what the report needs. */
export async function load (options: LoadOptions): Promise<LoadResult> {
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      title: options.title,
      url: options.url,
      connections: options.connections,
      ...(options.amount ? { amount: options.amount } : { duration: options.durationS ?? 10 }),
      requests: options.requests,
      timeout: 30,
    }, (error, result) => (error ? reject(error) : resolve(result)))
    autocannon.track(instance, { renderProgressBar: process.stderr.isTTY, renderResultsTable: false, renderLatencyTable: false })
  })
  const statuses: Record<string, number> = {}
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = Number((stat as { count: number }).count)
  return {
    durationS: result.duration,
    requests: result.requests.total,
    statuses,
    errors: result.errors + result.timeouts,
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
  }
}

/** The figures every autocannon scenario reports as they are. */
export function loadFigures ({ latencyMs, requests, statuses, errors }: LoadResult) {
  return { latencyMs, requests, statuses, errors }
}

export function jsonRequest (method: string, path: string, token: string, body?: unknown): autocannon.Request {
  return {
    method: method as autocannon.Request['method'],
    path,
    headers: body === undefined ? { authorization: `Bearer ${token}` } : { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }
}
