import { type Config, UnreachableError } from '@seatline/config'
import { Cluster, Redis, type RedisOptions } from 'ioredis'

/** One Redis, or a Redis Cluster: every Seatline key and script works on both. */
export type RedisClient = Redis | Cluster

export type RedisTarget = Pick<Config, 'redisUrl' | 'redisClusterNodes'>

/**
 * Reconnect attempts 50 ms apart, growing to at most 500 ms (ioredis grows to 2 s): a Redis
 * back from a restart is in use again within half a second, by every process.
 */
const retryStrategy = (times: number) => Math.min(times * 50, 500)

function connect (target: RedisTarget, options: RedisOptions, clientOptions: { enableOfflineQueue?: boolean, enableAutoPipelining?: boolean } = {}): RedisClient {
  if (!target.redisClusterNodes) return new Redis(target.redisUrl, { retryStrategy, ...options, ...clientOptions })
  const { lazyConnect, ...redisOptions } = options
  // Commands to different nodes are pipelined per node as they are made (lock sets span slots).
  return new Cluster(target.redisClusterNodes, { redisOptions, lazyConnect, enableAutoPipelining: true, ...clientOptions })
}

/**
 * For BullMQ workers and event readers: they block on Redis and must ride out a reconnect,
 * so commands wait instead of failing (BullMQ requires `maxRetriesPerRequest: null`).
 */
export function createBlockingRedis (target: RedisTarget, name: string): RedisClient {
  return connect(target, { maxRetriesPerRequest: null, connectionName: name })
}

/**
 * For request paths: when Redis is away a command fails at once, so the gateway can answer
 * 503 instead of holding the client. `autoPipelining` sends every command of one event-loop turn
 * in one write: for a client whose commands are many, small and independent (the rate limit's,
 * one per request), never for BullMQ's, whose scripts assume their own order of round trips.
 */
export function createFailFastRedis (target: RedisTarget, name: string, options: { lazyConnect?: boolean, autoPipelining?: boolean } = {}): RedisClient {
  const { autoPipelining, ...rest } = options
  return connect(target, { maxRetriesPerRequest: 1, connectTimeout: 2_000, connectionName: name, ...rest }, { enableOfflineQueue: false, ...(autoPipelining ? { enableAutoPipelining: true } : {}) })
}

/** Fails with one clear line when Redis does not answer at start. */
export async function assertRedisReachable (target: RedisTarget): Promise<void> {
  const where = target.redisClusterNodes ? `redis-cluster://${target.redisClusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}` : target.redisUrl
  const probe = target.redisClusterNodes
    ? new Cluster(target.redisClusterNodes, { lazyConnect: true, clusterRetryStrategy: () => null, redisOptions: { connectTimeout: 3_000, maxRetriesPerRequest: 0 } })
    : new Redis(target.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3_000 })
  let cause: unknown
  probe.on('error', (error) => { cause ??= error })
  try {
    await probe.connect()
    await probe.ping()
  } catch (error) {
    throw new UnreachableError('Redis', where, cause ?? error)
  } finally {
    probe.disconnect()
  }
}

/**
 * True when a command failed because the client was not connected, so it never left this
 * process. Any other failure (a connection lost with the command on the wire) is ambiguous:
 * Redis may have carried it out.
 */
export function neverSent (error: unknown): boolean {
  return /enableOfflineQueue|Stream isn't writeable/.test((error as Error)?.message ?? '')
}
