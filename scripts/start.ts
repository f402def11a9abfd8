/**
 * The one way Seatline's processes are started, so they all run with SERVICE_NODE_FLAGS:
 * - `node scripts/start.ts`: the gateway and WORKERS worker processes (default 2), as in
 *   production; Ctrl-C stops them all cleanly, and if one dies the rest are stopped too; with
 *   WORKER_METRICS_PORT set, worker i serves its metrics on that port + i - 1;
 * - `node scripts/start.ts gateway` or `... worker`: one process, for scaling them separately
 *   (npm run start:gateway, start:worker, the Docker image).
 * Signals are passed on, so the child shuts down gracefully.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { loadConfigOrExit } from '@seatline/config'
import { bundleService } from './bundle-service.ts'
import { SERVICE_ENV, SERVICE_NODE_FLAGS } from './node-flags.ts'

const SCRIPTS = { gateway: 'apps/gateway/src/server.ts', worker: 'apps/worker/src/main.ts' }
const only = process.argv[2]
if (only !== undefined && !(only in SCRIPTS)) {
  console.error(`seatline: start what? "gateway", "worker", or nothing for the whole stack; got "${only}"`)
  process.exit(2)
}

const config = loadConfigOrExit()
const root = new URL('..', import.meta.url)
const children = new Set<ChildProcess>()
let stopping = false

async function run (role: keyof typeof SCRIPTS, name: string, env: Record<string, string> = {}): Promise<void> {
  const script = await bundleService(SCRIPTS[role])
  if (stopping) return
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, script], { cwd: root, stdio: 'inherit', env: { ...SERVICE_ENV, ...process.env, SEATLINE_PROCESS: name, ...env } })
  children.add(child)
  child.on('exit', (code, signal) => {
    children.delete(child)
    if (!stopping) {
      if (only === undefined) console.error(`seatline: ${name} exited (${signal ?? `code ${code}`}); stopping the others`)
      stop(code || 1)
    } else if (children.size === 0) {
      process.exit(process.exitCode ?? 0)
    }
  })
}

function stop (code: number, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (stopping) return
  stopping = true
  process.exitCode = code
  if (children.size === 0) process.exit(code)
  for (const child of children) child.kill(signal)
}

process.on('SIGINT', () => stop(0))
process.on('SIGTERM', () => stop(0))

if (only === 'worker') {
  await run('worker', 'worker')
} else {
  await run('gateway', 'gateway')
  // Workers on one machine cannot share a metrics port: each takes the next one.
  const metricsPort = (i: number): Record<string, string> => config.workerMetricsPort ? { WORKER_METRICS_PORT: String(config.workerMetricsPort + i - 1) } : {}
  if (only === undefined) for (let i = 1; i <= config.workerCount; i++) await run('worker', `worker-${i}`, metricsPort(i))
}
