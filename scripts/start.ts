/**
 * `npm start`: the gateway and WORKERS worker processes (default 2), each a separate process as
 * in production. Ctrl-C stops them all cleanly; if one dies, the rest are stopped too.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { loadConfigOrExit } from '@seatline/config'
import { SERVICE_NODE_FLAGS } from './node-flags.ts'

const config = loadConfigOrExit()
const root = new URL('..', import.meta.url)
const children = new Set<ChildProcess>()
let stopping = false

function run (script: string, name: string): void {
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, script], { cwd: root, stdio: 'inherit', env: { ...process.env, SEATLINE_PROCESS: name } })
  children.add(child)
  child.on('exit', (code, signal) => {
    children.delete(child)
    if (!stopping) {
      console.error(`seatline: ${name} exited (${signal ?? `code ${code}`}); stopping the others`)
      stop(code || 1)
    } else if (children.size === 0) {
      process.exit(process.exitCode ?? 0)
    }
  })
}

function stop (code: number): void {
  if (stopping) return
  stopping = true
  process.exitCode = code
  if (children.size === 0) process.exit(code)
  for (const child of children) child.kill('SIGTERM')
}

process.on('SIGINT', () => stop(0))
process.on('SIGTERM', () => stop(0))

run('apps/gateway/src/server.ts', 'gateway')
for (let i = 1; i <= config.workerCount; i++) run('apps/worker/src/main.ts', `worker-${i}`)
