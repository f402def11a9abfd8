import { randomUUID } from 'node:crypto'
import type { RedisClient } from './redis.ts'

/**
 * Notices Redis losing its data (restarted without persistence, flushed). Every process checks
 * one key and puts it back when it is gone; a queue's jobs and settings vanish with the data,
 * so each process then restores what it owns: workers the queue settings and the requests
 * still pending in Postgres, gateways the commands they are waiting for.
 */
export function watchRedisEpoch (redis: RedisClient, prefix: string, onLoss: () => void, everyMs = 1_000): { stop (): void } {
  const key = `${prefix}:{epoch}`
  let known: string | undefined
  let checking = false
  const check = async () => {
    if (checking) return
    checking = true
    try {
      await redis.set(key, randomUUID(), 'NX')
      const current = await redis.get(key)
      if (current === null) return
      const lost = known !== undefined && current !== known
      known = current
      if (lost) onLoss()
    } catch {
      // Redis is away: nothing to compare until it is back.
    } finally {
      checking = false
    }
  }
  check()
  const timer = setInterval(check, everyMs).unref()
  redis.on('ready', check)
  return {
    stop () {
      clearInterval(timer)
      redis.off('ready', check)
    },
  }
}
