import { UnreachableError } from '@seatline/config'
import { Redis, type RedisOptions } from 'ioredis'

/**
 * For BullMQ workers and event readers: they block on Redis and must ride out a reconnect,
 * so commands wait instead of failing (BullMQ requires `maxRetriesPerRequest: null`).
 */
export function createBlockingRedis (url: string, name: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, connectionName: name, lazyConnect: false, ...extra })
}

/**
 * For request paths: when Redis is away a command fails at once, so the gateway can answer
 * 503 instead of holding the client.
 */
export function createFailFastRedis (url: string, name: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 2_000,
    connectionName: name,
    ...extra,
  })
}

/** Fails with one clear line when Redis does not answer at start. */
export async function assertRedisReachable (url: string): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3_000 })
  let cause: unknown
  probe.on('error', (error) => { cause ??= error })
  try {
    await probe.connect()
    await probe.ping()
  } catch (error) {
    throw new UnreachableError('Redis', url, cause ?? error)
  } finally {
    probe.disconnect()
  }
}
