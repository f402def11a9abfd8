import { Redis } from 'ioredis'
import type { Target } from './target.ts'

/**
 * Readings of a stack's Redis for the waiting-room scenarios: what its keys weigh, what the stack
 * asks of it each second, the line as it stands. The Redis is shared with whatever else runs on
 * the machine, so server-wide readings (used_memory) are noisy; the keys' own MEMORY USAGE, and
 * the commands MONITOR sees on the stack's keys, are not.
 */
export interface RedisProbe {
  redis: Redis
  /** The six keys of an event's waiting room, as packages/queue/src/waiting-room.ts names them. */
  keys (eventId: string): { line: string, tickets: string, buyers: string, admitted: string, expired: string, state: string }
  /** Bytes the event's waiting-room keys take, each value counted (MEMORY USAGE … SAMPLES 0). */
  keysBytes (eventId: string): Promise<number>
  usedMemory (): Promise<number>
  /** Every ticket in line with its score: early joiners' shuffle below 1, later ones 1 + arrival. */
  line (eventId: string): Promise<Map<string, number>>
  /** Every ticket: its buyer, when it joined, when it was admitted (ms). */
  tickets (eventId: string): Promise<Map<string, { userId: string, joinedAt: number, admittedAt?: number }>>
  /**
   * Commands that touched this stack's keys (its QUEUE_PREFIX), per second over `seconds`, read
   * with MONITOR: unlike INFO commandstats it leaves out whatever else shares this Redis. A
   * script counts once, and once more for each command it ran.
   */
  stackCommands (seconds: number): Promise<{ perS: number[], top: Array<[string, number]> }>
  close (): void
}

export function redisProbe (target: Target): RedisProbe {
  if (!target.redis) throw new Error('the waiting-room scenarios read the stack\'s Redis: run them on a stack the bench starts')
  const { url, prefix } = target.redis
  const redis = new Redis(url, { maxRetriesPerRequest: 2 })
  redis.on('error', () => {})
  const keys = (eventId: string) => {
    const base = `${prefix}:{wr:${eventId}}`
    return { line: `${base}:line`, tickets: `${base}:tickets`, buyers: `${base}:buyers`, admitted: `${base}:admitted`, expired: `${base}:expired`, state: `${base}:state` }
  }
  return {
    redis,
    keys,
    async keysBytes (eventId) {
      let sum = 0
      for (const key of Object.values(keys(eventId))) sum += Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0') ?? 0)
      return sum
    },
    async usedMemory () {
      return Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1])
    },
    async line (eventId) {
      const flat = await redis.zrange(keys(eventId).line, 0, -1, 'WITHSCORES')
      const scores = new Map<string, number>()
      for (let i = 0; i < flat.length; i += 2) scores.set(flat[i]!, Number(flat[i + 1]))
      return scores
    },
    async tickets (eventId) {
      const all = new Map<string, { userId: string, joinedAt: number, admittedAt?: number }>()
      let cursor = '0'
      do {
        const [next, flat] = await redis.hscan(keys(eventId).tickets, cursor, 'COUNT', 2000)
        cursor = next
        for (let i = 0; i < flat.length; i += 2) {
          const [userId, joinedAt, admittedAt] = flat[i + 1]!.split('|')
          all.set(flat[i]!, { userId: userId!, joinedAt: Number(joinedAt), ...(admittedAt ? { admittedAt: Number(admittedAt) } : {}) })
        }
      } while (cursor !== '0')
      return all
    },
    async stackCommands (seconds) {
      // MONITOR takes a connection of its own; both are closed after, or the bench could not exit.
      const connection = redis.duplicate()
      const monitor = await connection.monitor()
      const perS = new Array<number>(seconds).fill(0)
      const byName = new Map<string, number>()
      const start = Date.now()
      monitor.on('monitor', (_time: string, args: string[]) => {
        const s = Math.floor((Date.now() - start) / 1000)
        if (s >= seconds || !args.some((a) => typeof a === 'string' && a.startsWith(`${prefix}:`))) return
        perS[s]!++
        const name = String(args[0]).toLowerCase()
        byName.set(name, (byName.get(name) ?? 0) + 1)
      })
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000 + 50))
      monitor.disconnect()
      connection.disconnect()
      return { perS, top: [...byName].sort((a, b) => b[1] - a[1]).slice(0, 5) }
    },
    close: () => redis.disconnect(),
  }
}
