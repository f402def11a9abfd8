import { Counter, Gauge, Histogram, type Registry, SECONDS_BUCKETS } from '@seatline/metrics'
import type { JobState } from '@seatline/queue'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export interface MetricsOptions {
  registry: Registry
  /** Jobs per state in each partition's queue, read at scrape time. */
  jobCounts (): Promise<Array<Record<JobState, number>>>
}

export interface MetricsPluginOptions extends MetricsOptions {
  /**
   * Serve `GET /metrics` on this instance; on unless told. The public app of a gateway with an
   * internal port only records its replies, and the internal app serves the route.
   */
  serve?: boolean
}

/** A series already in the registry (the other listener of this gateway made it), else a new one. */
function registered<T> (registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make()
}

/**
 * `GET /metrics` in Prometheus text: every reply's latency by route and status, every problem by
 * its code (OVERLOADED, RATE_LIMITED, UNAVAILABLE are the refusals to watch in a sale), and the
 * partitions' queues. The registry also holds the process and pool series. Registered on both of
 * a gateway's listeners (public and internal), the two record into the same series.
 */
async function metrics (app: FastifyInstance, { registry, jobCounts, serve = true }: MetricsPluginOptions): Promise<void> {
  const replies = registered(registry, 'seatline_http_request_duration_seconds', () => new Histogram({
    name: 'seatline_http_request_duration_seconds',
    help: 'Time from a request\'s arrival to its reply, by route pattern and status',
    labelNames: ['method', 'route', 'status_code'],
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  }))
  const problems = registered(registry, 'seatline_problems_total', () => new Counter({
    name: 'seatline_problems_total',
    help: 'problem+json replies, by problem code',
    labelNames: ['code'],
    registers: [registry],
  }))
  // Registered with the registry, which keeps it.
  registered(registry, 'seatline_queue_jobs', () => new Gauge({
    name: 'seatline_queue_jobs',
    help: 'Jobs in each partition\'s queue by state, as Redis holds them (the same from every gateway)',
    labelNames: ['partition', 'state'],
    registers: [registry],
    async collect () {
      // Redis away: the series keep their last reading; /ready says what is wrong.
      const counts = await jobCounts().catch(() => undefined)
      counts?.forEach((byState, partition) => {
        for (const [state, n] of Object.entries(byState)) this.set({ partition, state }, n)
      })
    },
  }))

  app.addHook('onResponse', async (request, reply) => {
    // Unmatched URLs share one label: a scanner must not create a series per path it tries.
    const route = request.routeOptions.url ?? 'unmatched'
    replies.observe({ method: request.method, route, status_code: reply.statusCode }, reply.elapsedTime / 1000)
    if (reply.problemCode) problems.inc({ code: reply.problemCode })
  })

  if (!serve) return
  app.get('/metrics', {
    schema: { tags: ['operations'], summary: 'Prometheus metrics of this gateway', produces: ['text/plain'] },
  }, async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics())
  })
}

export default fp(metrics, { name: 'metrics' })
