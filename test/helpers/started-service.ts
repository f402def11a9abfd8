import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import type { Test } from 'tap'
import { isRunning, type ProcessInfo } from './process-tree.ts'
import { clearRedisPrefix, freshDatabase, REDIS_URL, uniqueName } from './stack.ts'

const ROOT = new URL('../../', import.meta.url)

export interface StartedService {
  child: ChildProcess
  /** Resolves with [code, signal] once the command has exited. */
  exited: Promise<[number | null, NodeJS.Signals | null]>
  /** The last 20,000 characters it and its processes printed. */
  output (): string
  /** Processes to SIGKILL at teardown if a check left them running. */
  track (processes: ProcessInfo[]): void
}

/**
 * Runs a start command (`npm run start:worker`, `node scripts/start.ts`) as an operator would,
 * on a fresh database and Redis prefix, and registers on `t` the teardown that kills whatever it
 * left running and drops both.
 */
export async function startService (t: Test, command: string, args: string[], env: Record<string, string>): Promise<StartedService> {
  const database = await freshDatabase()
  const prefix = uniqueName('q')
  t.teardown(async () => {
    await database.drop()
    await clearRedisPrefix(prefix)
  })
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: database.url, REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  let output = ''
  const keep = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-20_000) }
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  let tracked: ProcessInfo[] = []
  t.teardown(async () => {
    for (const p of tracked) if (isRunning(p)) process.kill(p.pid, 'SIGKILL')
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  return { child, exited, output: () => output, track: (processes) => { tracked = processes } }
}
