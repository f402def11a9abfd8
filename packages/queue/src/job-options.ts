import type { JobsOptions } from 'bullmq'

/**
 * Retries cover infrastructure faults only (a domain refusal completes the job). Finished jobs
 * are kept for a bounded count and age, never removed at once: Redis memory stays flat, and a
 * late reader can still find a recent result.
 */
export const COMMAND_JOB_OPTIONS: JobsOptions = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 100 },
  removeOnComplete: { age: 3_600, count: 10_000 },
  removeOnFail: { age: 24 * 3_600, count: 10_000 },
}

/** BullMQ forbids `:` and all-digit job ids; a prefixed UUID is neither. */
export function commandJobId (requestId: string): string {
  return `req-${requestId}`
}
