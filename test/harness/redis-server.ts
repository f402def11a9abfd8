/**
 * Starting and talking to redis-server processes of a test's own (a private Redis, the nodes
 * of a Redis Cluster). Any still running when the test process exits are killed.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { Redis, type RedisOptions } from 'ioredis'

const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server'

const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

export interface RedisServerProcess {
  child: ChildProcess
  /** Resolves when the process is gone. */
  exited: Promise<void>
  readonly running: boolean
}

/** Spawns redis-server with `args`, passing what it prints to `keep`. */
export function spawnRedisServer (args: string[], keep: (text: string) => void): RedisServerProcess {
  const child = spawn(REDIS_SERVER, ['--daemonize', 'no', '--logfile', '', '--loglevel', 'warning', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  live.add(child)
  let up = true
  child.stdout?.on('data', (chunk: Buffer) => keep(chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => keep(chunk.toString()))
  const exited = new Promise<void>((resolve) => {
    const down = () => {
      up = false
      live.delete(child)
      resolve()
    }
    child.once('exit', down)
    // A missing binary gives 'error' and no 'exit'.
    child.once('error', (error) => {
      keep(`${error.message}\n`)
      down()
    })
  })
  return { child, exited, get running () { return up } }
}

/** One command on its own connection, failing at once rather than retrying. */
export async function oneCommand (where: string | number, name: string, args: Array<string | number>): Promise<unknown> {
  const options: RedisOptions = { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2_000, enableOfflineQueue: false }
  const redis = typeof where === 'string' ? new Redis(where, options) : new Redis({ host: '127.0.0.1', port: where, ...options })
  redis.on('error', () => {})
  try {
    await redis.connect()
    return await redis.call(name, ...args)
  } finally {
    redis.disconnect()
  }
}
