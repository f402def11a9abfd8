import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { bundleService } from '../scripts/bundle-service.ts'
import { descendantsOf, isRunning, untilNoneLeft } from './helpers/process-tree.ts'
import { freePort } from './helpers/stack.ts'
import { startService } from './helpers/started-service.ts'

/**
 * esbuild bundles through a helper process (`esbuild --service --ping`) that lives as long as the
 * process that started it unless stopped: once the bundles are written none should be left, in
 * scripts/start.ts beside the services, in the gateway (the web app), or in a test process.
 */

const esbuildsUnder = (pid: number) => descendantsOf(pid).filter((p) => p.name === 'esbuild')
// A stopped helper takes a moment to be reaped; one left running stays for good.
const REAP_MS = 3_000

t.test('bundling in this process, as the test harness does, leaves no esbuild process', async (t) => {
  await bundleService('apps/worker/src/main.ts')
  t.same(await untilNoneLeft(() => esbuildsUnder(process.pid), REAP_MS), [], 'no esbuild under the test process')
})

t.test('node scripts/start.ts leaves no esbuild process beside its services, and SIGINT stops them all', async (t) => {
  const port = await freePort()
  const service = await startService(t, process.execPath, ['scripts/start.ts'], { HOST: '127.0.0.1', PORT: String(port), WORKERS: '1' })
  const start = service.child

  const deadline = Date.now() + 60_000
  let ready = false
  while (!ready && Date.now() < deadline && start.exitCode === null) {
    const gateway = await fetch(`http://127.0.0.1:${port}/ready`).then((res) => res.ok, () => false)
    ready = gateway && service.output().includes('worker ready')
    if (!ready) await sleep(200)
  }
  if (!t.ok(ready, 'the gateway and the worker are ready', { output: service.output() })) return

  const seen = descendantsOf(start.pid!)
  service.track(seen)
  t.equal(seen.filter((p) => p.command.includes('.build/')).length, 2, 'a gateway and a worker run under it', { processes: seen })
  t.same(await untilNoneLeft(() => esbuildsUnder(start.pid!), REAP_MS), [], 'and no esbuild, under it or under them')

  start.kill('SIGINT')
  const stopped = await Promise.race([service.exited, sleep(30_000, 'still running', { ref: false })])
  t.same(stopped, [0, null], 'scripts/start.ts exits cleanly on SIGINT', { output: service.output() })
  t.same(seen.filter(isRunning), [], 'having stopped every process it started')
})
