/**
 * Starts Seatline as it runs in production: a gateway and worker processes as real child
 * processes, on a fresh database and a fresh Redis key prefix, so test files and benchmark
 * runs never share state.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { createDb, type Db, dropDatabase, ensureDatabase, migrateToLatest } from '@seatline/db'
import { Redis } from 'ioredis'
import { SERVICE_NODE_FLAGS } from './node-flags.ts'

const ROOT = new URL('../', import.meta.url)
const BASE_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/seatline'
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

export interface Stack {
  /** The first gateway's address; `urls` has every gateway's. */
  url: string
  urls: string[]
  db: Db
  env: Record<string, string>
  processes: ChildProcess[]
  /** Process ids by role, for the benchmarks' memory readings. */
  pids: { gateway: number[], worker: number[] }
  output (): string
  stop (): Promise<void>
}

export interface StackOptions {
  workers?: number
  gateways?: number
  env?: Record<string, string>
  /** The HTTP process to start instead of Seatline's gateway (the benchmarks' baseline). */
  gatewayScript?: string
}

async function freePort (): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  return port
}

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
export async function clearRedisPrefix (prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL)
  try {
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

function spawnNode (script: string, env: Record<string, string>, log: string[]): ChildProcess {
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  const keep = (chunk: Buffer) => {
    log.push(chunk.toString())
    if (log.length > 2000) log.splice(0, log.length - 2000)
  }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return child
}

async function waitReady (url: string, processes: ChildProcess[], log: string[]): Promise<void> {
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    const dead = processes.find((p) => p.exitCode !== null)
    if (dead) throw new Error(`a Seatline process exited during start:\n${log.join('')}`)
    try {
      const res = await fetch(`${url}/ready`)
      if (res.ok) return
    } catch {}
    await sleep(100)
  }
  throw new Error(`Seatline was not ready within 60 s:\n${log.join('')}`)
}

export async function startStack (options: StackOptions = {}): Promise<Stack> {
  const database = await freshDatabase()
  const prefix = uniqueName('q')
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    DATABASE_URL: database.url,
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    ...options.env,
  }
  const log: string[] = []
  const ports: number[] = []
  for (let i = 0; i < (options.gateways ?? 1); i++) ports.push(await freePort())
  const gateways = ports.map((port) => spawnNode(options.gatewayScript ?? 'apps/gateway/src/server.ts', { ...env, PORT: String(port) }, log))
  const workers = Array.from({ length: options.workers ?? 2 }, () => spawnNode('apps/worker/src/main.ts', env, log))
  const processes = [...gateways, ...workers]
  const urls = ports.map((port) => `http://127.0.0.1:${port}`)
  const stop = async () => {
    await Promise.all(processes.map(async (p) => {
      if (p.exitCode !== null || p.signalCode !== null) return
      const exited = once(p, 'exit')
      p.kill('SIGTERM')
      const killer = setTimeout(() => p.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(killer)
    }))
    await database.drop()
    await clearRedisPrefix(prefix)
  }
  try {
    for (const url of urls) await waitReady(url, processes, log)
  } catch (error) {
    await stop()
    throw error
  }
  const pids = { gateway: gateways.map((g) => g.pid!), worker: workers.map((w) => w.pid!) }
  return { url: urls[0]!, urls, db: database.db, env, processes, pids, output: () => log.join(''), stop }
}
