import { collectDefaultMetrics, Gauge, Registry } from 'prom-client'

export { Counter, Gauge, Histogram, Registry } from 'prom-client'

/** Latency buckets from 1 ms to 10 s: a booking answers in milliseconds, a stalled one in seconds. */
export const SECONDS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export type Service = 'gateway' | 'worker'

/**
 * One registry per process (or per app in a test process), never prom-client's global one, so
 * that two apps in one process do not share series. Every series carries `service`, and the
 * process metrics (CPU, memory, event loop, GC) come with it.
 */
export function createRegistry (service: Service): Registry {
  const registry = new Registry()
  registry.setDefaultLabels({ service })
  collectDefaultMetrics({ register: registry })
  return registry
}

export interface PoolReading {
  total: number
  idle: number
  waiting: number
}

/** `seatline_db_pool_connections{state}`, read at scrape time. */
export function observePool (registry: Registry, read: () => PoolReading): void {
  // eslint-disable-next-line no-new -- registered with the registry, which keeps it
  new Gauge({
    name: 'seatline_db_pool_connections',
    help: 'Postgres pool clients: total open, idle, and queries waiting for a client',
    labelNames: ['state'],
    registers: [registry],
    collect () {
      const reading = read()
      for (const state of ['total', 'idle', 'waiting'] as const) this.set({ state }, reading[state])
    },
  })
}
