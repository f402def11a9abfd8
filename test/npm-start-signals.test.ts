import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { descendantsOf, isRunning, type ProcessInfo, untilNoneLeft } from './helpers/process-tree.ts'
import { clearRedisPrefix, freshDatabase, REDIS_URL, uniqueName } from './helpers/stack.ts'

/**
 * A supervisor (systemd, a container runtime, a process manager) stops `npm run start:worker`
 * by signalling npm. npm passes SIGTERM to the script's shell; a shell waiting on a command
 * dies of it without passing it on, and would leave scripts/start.ts and the worker running.
 */

const ROOT = new URL('../', import.meta.url)

t.test('SIGTERM to npm run start:worker stops everything it started', async (t) => {
  const database = await freshDatabase()
  const prefix = uniqueName('q')
  t.teardown(async () => {
    await database.drop()
    await clearRedisPrefix(prefix)
  })
  const npm = spawn('npm', ['run', 'start:worker'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: database.url, REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'info', npm_config_update_notifier: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = once(npm, 'exit')
  let output = ''
  const keep = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-20_000) }
  npm.stdout.on('data', keep)
  npm.stderr.on('data', keep)
  let tree: ProcessInfo[] = []
  t.teardown(async () => {
    for (const p of tree) if (isRunning(p)) process.kill(p.pid, 'SIGKILL')
    if (npm.exitCode === null && npm.signalCode === null) {
      npm.kill('SIGKILL')
      await exited
    }
  })

  const deadline = Date.now() + 60_000
  while (!output.includes('worker ready') && Date.now() < deadline && npm.exitCode === null) await sleep(200)
  if (!t.match(output, 'worker ready', 'the worker is ready')) return

  tree = descendantsOf(npm.pid!)
  t.ok(tree.some((p) => p.command.includes('scripts/start.ts worker')), 'scripts/start.ts runs under npm', { processes: tree })
  t.ok(tree.some((p) => p.command.includes('main.mjs')), 'and the worker under it', { processes: tree })

  npm.kill('SIGTERM')
  // The worker drains its jobs first; 15 s is its own limit.
  const left = await untilNoneLeft(() => tree.filter(isRunning), 20_000)
  t.same(left, [], 'no process npm started is left running', { output })
  t.not(await Promise.race([exited, sleep(5_000, 'still running', { ref: false })]), 'still running', 'and npm has exited')
})
