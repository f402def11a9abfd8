/**
 * A redis-server of a test's own, on a loopback port and a temp dir, so a test can crash it,
 * restart it or empty it without touching the Redis other tests share.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort } from './free-port.ts'
import { oneCommand, type RedisServerProcess, spawnRedisServer } from './redis-server.ts'

const START_MS = 10_000

export interface PrivateRedisOptions {
  /** Persist every write to an append-only file, fsynced before it is acknowledged. */
  appendonly?: boolean
}

export interface PrivateRedis {
  readonly url: string
  readonly port: number
  readonly dir: string
  /** The current server's pid; undefined while it is down. */
  readonly pid: number | undefined
  readonly running: boolean
  /** Starts the server again on the same port and dir; resolves when it answers PING. */
  start (): Promise<void>
  /** SIGKILL: a crash, with no chance to save anything. */
  kill (): Promise<void>
  /** SHUTDOWN SAVE (writes an RDB snapshot) or SHUTDOWN NOSAVE. */
  shutdown (options?: { save?: boolean }): Promise<void>
  flushall (): Promise<void>
  /** Any command, on a short-lived connection: `command('get', 'k')`. */
  command (name: string, ...args: Array<string | number>): Promise<unknown>
  /** What the server printed, across restarts. */
  output (): string
  /** Kills the server and deletes its dir. */
  stop (): Promise<void>
}

export async function startPrivateRedis (options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const appendonly = options.appendonly ?? false
  const dir = await mkdtemp(join(tmpdir(), 'seatline-redis-'))
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  const log: string[] = []
  let server: RedisServerProcess | undefined
  let stopped = false
  const keep = (text: string) => {
    log.push(text)
    if (log.length > 500) log.splice(0, log.length - 500)
  }
  const running = () => server?.running ?? false

  async function start (): Promise<void> {
    if (stopped) throw new Error('this Redis has been stopped')
    if (running()) throw new Error(`redis on port ${port} is already running`)
    server = spawnRedisServer([
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      // Only the AOF persists, when it is on: no surprise snapshot brings data back.
      '--save', '',
      '--appendonly', appendonly ? 'yes' : 'no',
      '--appendfsync', 'always',
    ], keep)
    const deadline = Date.now() + START_MS
    while (Date.now() < deadline) {
      if (!running()) throw new Error(`redis-server on port ${port} exited during start:\n${log.join('')}`)
      // LOADING while it replays the AOF: not ready yet.
      if (await oneCommand(url, 'ping', []).catch(() => undefined) === 'PONG') return
      await sleep(20)
    }
    server.child.kill('SIGKILL')
    throw new Error(`redis-server on port ${port} did not answer PING within ${START_MS / 1000} s:\n${log.join('')}`)
  }

  async function kill (): Promise<void> {
    if (running()) server!.child.kill('SIGKILL')
    await server?.exited
  }

  try {
    await start()
  } catch (error) {
    await rm(dir, { recursive: true, force: true })
    throw error
  }

  return {
    url,
    port,
    dir,
    get pid () {
      return running() ? server!.child.pid : undefined
    },
    get running () {
      return running()
    },
    start,
    kill,
    async shutdown ({ save = false } = {}) {
      if (!running()) return
      // The server closes the connection instead of answering.
      await oneCommand(url, 'shutdown', [save ? 'save' : 'nosave']).catch(() => {})
      const timer = setTimeout(() => server?.child.kill('SIGKILL'), 10_000)
      await server?.exited
      clearTimeout(timer)
    },
    async flushall () {
      await oneCommand(url, 'flushall', [])
    },
    command: (name, ...args) => oneCommand(url, name, args),
    output: () => log.join(''),
    async stop () {
      stopped = true
      await kill()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
