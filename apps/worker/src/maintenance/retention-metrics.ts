import { Counter, type Registry } from '@seatline/metrics'
import type { Deleted } from './delete-expired-records.ts'

/** `seatline_retention_deleted_total{table}`: what retention deleted, counted on the worker that ran each tick. */
export function countRetention (registry: Registry): (deleted: Deleted) => void {
  const counter = new Counter({
    name: 'seatline_retention_deleted_total',
    help: 'Rows retention deleted (RETENTION_SECONDS), by table',
    labelNames: ['table'],
    registers: [registry],
  })
  // Series from zero, so that rate() sees the first tick.
  for (const table of ['requests', 'idempotency_keys', 'holds']) counter.inc({ table }, 0)
  return (deleted) => {
    counter.inc({ table: 'requests' }, deleted.requests)
    counter.inc({ table: 'idempotency_keys' }, deleted.idempotencyKeys)
    counter.inc({ table: 'holds' }, deleted.holds)
  }
}
