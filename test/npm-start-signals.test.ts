import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { descendantsOf, isRunning, untilNoneLeft } from './helpers/process-tree.ts'
import { startService } from './helpers/started-service.ts'

/**
 * A supervisor (systemd, a container runtime, a process manager) stops `npm run start:worker`
 * by signalling npm. npm passes SIGTERM to the script's shell; a shell waiting on a command
 * dies of it without passing it on, and would leave scripts/start.ts and the worker running.
 */

t.test('SIGTERM to npm run start:worker stops everything it started', async (t) => {
  const service = await startService(t, 'npm', ['run', 'start:worker'], { npm_config_update_notifier: 'false' })
  const npm = service.child

  const deadline = Date.now() + 60_000
  while (!service.output().includes('worker ready') && Date.now() < deadline && npm.exitCode === null) await sleep(200)
  if (!t.match(service.output(), 'worker ready', 'the worker is ready')) return

  const tree = descendantsOf(npm.pid!)
  service.track(tree)
  t.ok(tree.some((p) => p.command.includes('scripts/start.ts worker')), 'scripts/start.ts runs under npm', { processes: tree })
  t.ok(tree.some((p) => p.command.includes('main.mjs')), 'and the worker under it', { processes: tree })

  npm.kill('SIGTERM')
  // The worker drains its jobs first; 15 s is its own limit.
  const left = await untilNoneLeft(() => tree.filter(isRunning), 20_000)
  t.same(left, [], 'no process npm started is left running', { output: service.output() })
  t.not(await Promise.race([service.exited, sleep(5_000, 'still running', { ref: false })]), 'still running', 'and npm has exited')
})
