import { tableSizes } from './pg-sizes.ts'
import type { RedisProbe } from './redis-probe.ts'
import { rssMb } from './rss.ts'
import type { StackSample } from './soak-windows.ts'
import type { Target } from './target.ts'

/**
 * The stack's memory now: every process's RSS ('gateway', 'worker 1', …; one gone is left out),
 * Redis's used_memory, and the sizes of its main tables. A stack the bench started only.
 */
export async function sampleStack (target: Target, redis: RedisProbe): Promise<StackSample> {
  const rss: Record<string, number> = {}
  const processes = [
    ...target.pids.gateway.map((pid, i) => [target.pids.gateway.length > 1 ? `gateway ${i + 1}` : 'gateway', pid] as const),
    ...target.pids.worker.map((pid, i) => [`worker ${i + 1}`, pid] as const),
  ]
  for (const [name, pid] of processes) {
    const mb = await rssMb(pid)
    if (mb !== undefined) rss[name] = Math.round(mb * 10) / 10
  }
  const [used, tables] = await Promise.all([redis.usedMemory(), tableSizes(target.db!)])
  return { rssMb: rss, redisUsedMb: Math.round(used / 104_857.6) / 10, tables }
}
