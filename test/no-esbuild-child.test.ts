import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { bundleService } from '../scripts/bundle-service.ts'
import { descendantsOf, isRunning, type ProcessInfo, untilNoneLeft } from './helpers/process-tree.ts'
import { clearRedisPrefix, freePort, freshDatabase, REDIS_URL, uniqueName } from './helpers/stack.ts'

/**
 * esbuild bundles through a helper process (`esbuild --service --ping`) that lives as long as the
 * process that started it unless stopped: once the bundles are written none should be left, in
 * scripts/start.ts beside the services, in the gateway (the web app), or in a test process.
 */

const ROOT = new URL('../', import.meta.url)
const esbuildsUnder = (pid: number) => descendantsOf(pid).filter((p) => p.name === 'esbuild')
// A stopped helper takes a moment to be reaped; one left running stays for good.
const REAP_MS = 3_000

t.test('bundling in this process, as the test harness does, leaves no esbuild process', async (t) => {
  await bundleService('apps/worker/src/main.ts')
  t.same(await untilNoneLeft(() => esbuildsUnder(process.pid), REAP_MS), [], 'no esbuild under the test process')
})

t.test('node scripts/start.ts leaves no esbuild process beside its services, and SIGINT stops them all', async (t) => {
  const database = await freshDatabase()
  const prefix = uniqueName('q')
  t.teardown(async () => {
    await database.drop()
    await clearRedisPrefix(prefix)
  })
  const port = await freePort()
  const start = spawn(process.execPath, ['scripts/start.ts'], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(port), WORKERS: '1', DATABASE_URL: database.url, REDIS_URL, QUEUE_PREFIX: prefix, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = once(start, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  let output = ''
  const keep = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-20_000) }
  start.stdout.on('data', keep)
  start.stderr.on('data', keep)
  let seen: ProcessInfo[] = []
  t.teardown(async () => {
    for (const p of seen) if (isRunning(p)) process.kill(p.pid, 'SIGKILL')
    if (start.exitCode === null && start.signalCode === null) {
      start.kill('SIGKILL')
      await exited
    }
  })

  const deadline = Date.now() + 60_000
  let ready = false
  while (!ready && Date.now() < deadline && start.exitCode === null) {
    const gateway = await fetch(`http://127.0.0.1:${port}/ready`).then((res) => res.ok, () => false)
    ready = gateway && output.includes('worker ready')
    if (!ready) await sleep(200)
  }
  if (!t.ok(ready, 'the gateway and the worker are ready', { output })) return

  seen = descendantsOf(start.pid!)
  t.equal(seen.filter((p) => p.command.includes('.build/')).length, 2, 'a gateway and a worker run under it', { processes: seen })
  t.same(await untilNoneLeft(() => esbuildsUnder(start.pid!), REAP_MS), [], 'and no esbuild, under it or under them')

  start.kill('SIGINT')
  const stopped = await Promise.race([exited, sleep(30_000, 'still running', { ref: false })])
  t.same(stopped, [0, null], 'scripts/start.ts exits cleanly on SIGINT', { output })
  t.same(seen.filter(isRunning), [], 'having stopped every process it started')
})
