/**
 * Starts Seatline as it runs in production: a gateway and worker processes as real child
 * processes, on a fresh database and a fresh Redis key prefix, so test files and benchmark
 * runs never share state. Fault-injection tests can kill, add and restart processes, and point
 * them at a private Redis or at a proxy in front of Postgres.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { createDb, type Db, dropDatabase, ensureDatabase, migrateToLatest } from '@seatline/db'
import { Redis } from 'ioredis'
import { bundleService } from '../../scripts/bundle-service.ts'
import { SERVICE_ENV, SERVICE_NODE_FLAGS } from '../../scripts/node-flags.ts'
import { freePort } from './free-port.ts'

export { freePort }

const ROOT = new URL('../../', import.meta.url)
export const BASE_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/seatline'
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

const READY_MS = 60_000
const STOP_GRACE_MS = 15_000

export interface ProcessExit {
  code: number | null
  signal: NodeJS.Signals | null
}

/** One Seatline process of a stack. */
export interface StackProcess {
  role: 'gateway' | 'worker'
  pid: number
  process: ChildProcess
  /** Gateways only: the address it serves. */
  url?: string
  /** Settles when the process has exited, whatever the cause. */
  exited: Promise<ProcessExit>
  readonly alive: boolean
  /** Sends a signal (SIGTERM unless told) and resolves when the process has exited. */
  kill (signal?: NodeJS.Signals): Promise<ProcessExit>
}

export interface Stack {
  /** The first gateway's address; `urls` has every gateway's. */
  url: string
  urls: string[]
  db: Db
  /** The stack's own database, direct (the processes may reach it through `databaseUrlFor`). */
  databaseUrl: string
  /** The Redis key prefix (QUEUE_PREFIX) of this stack. */
  prefix: string
  env: Record<string, string>
  /** The current gateway per slot: `restartGateway(i)` replaces entry i. */
  gateways: StackProcess[]
  /** Every worker started, dead ones included; `startWorker()` appends. */
  workers: StackProcess[]
  /** Every child process the stack has started, dead ones included. */
  processes: ChildProcess[]
  /** Process ids by role of the current processes, for the benchmarks' memory readings. */
  pids: { gateway: number[], worker: number[] }
  /**
   * Starts one more worker with the stack's environment (plus `env`, for this process only:
   * a changed setting, say); resolves once it says it is ready.
   */
  startWorker (options?: ProcessOptions): Promise<StackProcess>
  /** Starts a new gateway on gateway i's port, once the old one has exited; resolves on /ready. */
  restartGateway (i: number, options?: ProcessOptions): Promise<StackProcess>
  output (): string
  /**
   * SIGTERM to every process, SIGKILL to those still running after `graceMs` (15 s); then drops
   * the database and the stack's Redis keys. A worker whose Redis is down takes the whole grace
   * to exit, so a test that leaves Redis down may want a shorter one.
   */
  stop (options?: { graceMs?: number }): Promise<void>
}

/** For one process started later: variables on top of the stack's `env`. */
export interface ProcessOptions {
  env?: Record<string, string>
}

export interface StackOptions {
  workers?: number
  gateways?: number
  env?: Record<string, string>
  /** The HTTP process to start instead of Seatline's gateway (the benchmarks' baseline). */
  gatewayScript?: string
  /** The Redis the processes use (a private one, say); the stack's keys are still cleared at stop. */
  redisUrl?: string
  /** Rewrites the fresh database's URL for the processes only (to go through a proxy); `db` stays direct. */
  databaseUrlFor?: (realUrl: string) => string
}

// Children outlive a test process that dies abruptly; kill what is left so they do not linger.
const live = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

export function uniqueName (kind: string): string {
  return `seatline_${kind}_${randomBytes(5).toString('hex')}`
}

/** A fresh, migrated database of its own for a test file; dropped by the returned function. */
export async function freshDatabase (): Promise<{ url: string, db: Db, drop (): Promise<void> }> {
  const url = new URL(BASE_DATABASE_URL)
  url.pathname = `/${uniqueName('test')}`
  await ensureDatabase(url.toString())
  const db = createDb(url.toString(), { max: 5 })
  await migrateToLatest(db)
  return {
    url: url.toString(),
    db,
    async drop () {
      await db.destroy()
      await dropDatabase(url.toString())
    },
  }
}

/** Deletes every Redis key under a prefix. */
export async function clearRedisPrefix (prefix: string, redisUrl = REDIS_URL): Promise<void> {
  // Fail rather than retry for ever when that Redis is gone.
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  redis.on('error', () => {})
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      cursor = next
      if (keys.length) await redis.del(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

function spawnNode (role: StackProcess['role'], script: string, env: Record<string, string>, log: string[], url?: string): StackProcess {
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, script], { cwd: ROOT, env: { ...SERVICE_ENV, ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const keep = (chunk: Buffer | string) => {
    log.push(chunk.toString())
    if (log.length > 2000) log.splice(0, log.length - 2000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  live.add(child)
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child)
      keep(`[stack] ${role} ${child.pid} exited (${signal ?? `code ${code}`})\n`)
      resolve({ code, signal })
    })
  })
  const handle: StackProcess = {
    role,
    pid: child.pid!,
    process: child,
    url,
    exited,
    get alive () {
      return child.exitCode === null && child.signalCode === null
    },
    async kill (signal = 'SIGTERM') {
      if (handle.alive) child.kill(signal)
      return exited
    },
  }
  return handle
}

/** Where a gateway answers /ready: on its internal port when it has one (INTERNAL_PORT), else on its own. */
function readyUrl (url: string, env: Record<string, string>): string {
  return env.INTERNAL_PORT && env.INTERNAL_PORT !== '0' ? `http://${env.INTERNAL_HOST || '127.0.0.1'}:${env.INTERNAL_PORT}` : url
}

async function waitReady (url: string, watched: StackProcess[], log: string[]): Promise<void> {
  const deadline = Date.now() + READY_MS
  while (Date.now() < deadline) {
    if (watched.some((p) => !p.alive)) throw new Error(`a Seatline process exited during start:\n${log.join('')}`)
    try {
      const res = await fetch(`${url}/ready`)
      if (res.ok) return
    } catch {}
    await sleep(100)
  }
  throw new Error(`Seatline was not ready at ${url} within ${READY_MS / 1000} s:\n${log.join('')}`)
}

/** Resolves when the process prints `text`; rejects if it exits first or takes too long. */
function waitForLine (handle: StackProcess, text: string, log: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = ''
    const onData = (chunk: Buffer) => {
      seen = (seen + chunk.toString()).slice(-4096)
      if (seen.includes(text)) finish()
    }
    const timer = setTimeout(() => finish(new Error(`${handle.role} ${handle.pid} did not print "${text}" within ${READY_MS / 1000} s:\n${log.join('')}`)), READY_MS)
    handle.exited.then(() => finish(new Error(`${handle.role} ${handle.pid} exited during start:\n${log.join('')}`)), () => {})
    function finish (error?: Error) {
      clearTimeout(timer)
      handle.process.stdout?.off('data', onData)
      if (error) reject(error)
      else resolve()
    }
    handle.process.stdout?.on('data', onData)
  })
}

const LOG_LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace']

export async function startStack (options: StackOptions = {}): Promise<Stack> {
  const database = await freshDatabase()
  const prefix = uniqueName('q')
  const redisUrl = options.redisUrl ?? REDIS_URL
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    // Tests sign up hundreds of buyers from one address, and make events by the dozen; these
    // limits have tests of their own.
    AUTH_RATE_LIMIT_PER_MINUTE: '0',
    EVENTS_PER_USER_PER_DAY: '0',
    // Hundreds of streams from one loopback address (the stream tests and benchmarks).
    STREAMS_PER_ADDRESS: '0',
    DATABASE_URL: options.databaseUrlFor ? options.databaseUrlFor(database.url) : database.url,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    ...options.env,
  }
  // Run as `npm start` runs them: bundled (scripts/bundle-service.ts), once per test process.
  const gatewayScript = await bundleService(options.gatewayScript ?? 'apps/gateway/src/server.ts')
  const workerScript = await bundleService('apps/worker/src/main.ts')
  const log: string[] = []
  const ports: number[] = []
  for (let i = 0; i < (options.gateways ?? 1); i++) ports.push(await freePort())
  const urls = ports.map((port) => `http://127.0.0.1:${port}`)
  const gateways = ports.map((port, i) => spawnNode('gateway', gatewayScript, { ...env, PORT: String(port) }, log, urls[i]))
  const workers = Array.from({ length: options.workers ?? 2 }, () => spawnNode('worker', workerScript, env, log))
  const processes = [...gateways, ...workers].map((p) => p.process)
  const pids = { gateway: gateways.map((g) => g.pid), worker: workers.map((w) => w.pid) }

  let stopping: Promise<void> | undefined
  const stop = ({ graceMs = STOP_GRACE_MS }: { graceMs?: number } = {}) => {
    stopping ??= (async () => {
      await Promise.all(processes.map(async (p) => {
        if (p.exitCode !== null || p.signalCode !== null) return
        const exited = once(p, 'exit')
        p.kill('SIGTERM')
        const killer = setTimeout(() => p.kill('SIGKILL'), graceMs)
        await exited
        clearTimeout(killer)
      }))
      await database.drop()
      // A private Redis belongs to the test, which may already have stopped it.
      await clearRedisPrefix(prefix, redisUrl).catch((error: unknown) => {
        if (!options.redisUrl) throw error
      })
    })()
    return stopping
  }

  try {
    for (const url of urls) await waitReady(readyUrl(url, env), [...gateways, ...workers], log)
  } catch (error) {
    await stop()
    throw error
  }

  const refuseAfterStop = () => {
    if (stopping) throw new Error('the stack has been stopped')
  }

  return {
    url: urls[0]!,
    urls,
    db: database.db,
    databaseUrl: database.url,
    prefix,
    env,
    gateways,
    workers,
    processes,
    pids,
    async startWorker (options = {}) {
      refuseAfterStop()
      const own = { ...env, ...options.env }
      // Readiness is the worker's 'worker ready' line, logged at info: this one worker runs at
      // info at least, whatever the stack's level.
      const level = LOG_LEVELS.indexOf(own.LOG_LEVEL ?? '') >= LOG_LEVELS.indexOf('info') ? own.LOG_LEVEL! : 'info'
      const worker = spawnNode('worker', workerScript, { ...own, LOG_LEVEL: level }, log)
      workers.push(worker)
      processes.push(worker.process)
      pids.worker.push(worker.pid)
      try {
        await waitForLine(worker, 'worker ready', log)
      } catch (error) {
        await worker.kill('SIGKILL')
        throw error
      }
      return worker
    },
    async restartGateway (i, options = {}) {
      refuseAfterStop()
      const old = gateways[i]
      if (!old) throw new RangeError(`no gateway ${i}; the stack has ${gateways.length}`)
      if (old.alive) throw new Error(`gateway ${i} (pid ${old.pid}) is still running; kill it first`)
      const url = urls[i]!
      const gateway = spawnNode('gateway', gatewayScript, { ...env, ...options.env, PORT: String(ports[i]) }, log, url)
      gateways[i] = gateway
      processes.push(gateway.process)
      pids.gateway[i] = gateway.pid
      try {
        await waitReady(readyUrl(url, { ...env, ...options.env }), [gateway], log)
      } catch (error) {
        await gateway.kill('SIGKILL')
        throw error
      }
      return gateway
    },
    output: () => log.join(''),
    stop,
  }
}
