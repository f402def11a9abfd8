/**
 * Where a booking's CPU goes: `node bench/cpu-split.ts [partitions...]` (default 4 64) runs the uniform load (64
 * connections, 10 s, 2 workers) on a fresh stack per partition count and prints the CPU seconds
 * of the gateway, the workers, Redis and Postgres over the load, and Redis commands per booking.
 * With NODE_OPTIONS="--cpu-prof --cpu-prof-dir=DIR" every process also writes a profile.
 * Reads /proc and `redis-cli`, so it runs on the machine that runs the services (Linux).
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { ownStack } from './lib/target.ts'
import { uniform } from './scenarios/uniform.ts'

const LOAD_S = 10

function cpuSeconds (pids: number[]): number {
  let ticks = 0
  for (const pid of pids) {
    try {
      // Fields after the command name: utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // The process has gone: it used nothing more.
    }
  }
  return ticks / 100
}

function pidsOf (name: string): number[] {
  try {
    return execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).trim().split('\n').map(Number)
  } catch {
    return []
  }
}

function redisCalls (): Map<string, number> {
  const text = execFileSync('redis-cli', ['info', 'commandstats'], { encoding: 'utf8' })
  return new Map(text.split('\n').filter((line) => line.startsWith('cmdstat_'))
    .map((line) => [line.slice(8, line.indexOf(':')), Number(/calls=(\d+)/.exec(line)?.[1] ?? 0)]))
}

const asked = process.argv.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0)
for (const partitions of asked.length ? asked : [4, 64]) {
  const target = await ownStack({ workers: 2, partitions })
  try {
    const groups = () => ({
      gateway: cpuSeconds(target.pids.gateway),
      workers: cpuSeconds(target.pids.worker),
      redis: cpuSeconds(pidsOf('redis-server')),
      postgres: cpuSeconds(pidsOf('postgres')),
    })
    const cpuBefore = groups()
    const callsBefore = redisCalls()
    const result = await uniform(target, { connections: 64, durationS: LOAD_S })
    const callsAfter = redisCalls()
    const cpuAfter = groups()
    const bookings = Math.round(result.throughput * LOAD_S)
    const cpu = Object.entries(cpuAfter).map(([k, v]) => `${k} ${(v - cpuBefore[k as keyof typeof cpuBefore]).toFixed(1)}`).join(', ')
    const calls = [...callsAfter].map(([name, n]) => [name, (n - (callsBefore.get(name) ?? 0)) / Math.max(1, bookings)] as const)
    const total = calls.reduce((sum, [, n]) => sum + n, 0)
    console.log(`${partitions} partitions: ${Math.round(result.throughput)} bookings/s, audit ${result.audit.ok ? 'passed' : 'FAILED'}`)
    console.log(`  CPU seconds (load and audit): ${cpu}`)
    console.log(`  Redis commands per booking: ${total.toFixed(1)} (${calls.filter(([, n]) => n >= 1).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n.toFixed(1)}`).join(', ')})`)
  } finally {
    await target.stop()
  }
}
