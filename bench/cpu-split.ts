/**
 * Where a booking's CPU goes: `node bench/cpu-split.ts [partitions...]` (default 4 64) runs the uniform load (64
 * connections, 10 s, 2 workers) on a fresh stack per partition count and prints the CPU seconds
 * of the gateway, the workers, Redis and Postgres over the load, and Redis commands per booking.
 * With NODE_OPTIONS="--cpu-prof --cpu-prof-dir=DIR" every process also writes a profile.
 * Reads /proc and `redis-cli`, so it runs on the machine that runs the services (Linux).
 */
import { execFileSync } from 'node:child_process'
import { cpuSeconds } from './lib/rss.ts'
import { ownStack } from './lib/target.ts'
import { uniform } from './scenarios/uniform.ts'

const LOAD_S = 10

/** CPU seconds so far of every process listed (one that has gone counts as nothing more). */
async function cpuOf (pids: number[]): Promise<number> {
  const each = await Promise.all(pids.map(cpuSeconds))
  return each.reduce((sum, s) => sum + s, 0)
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
    const groups = async () => ({
      gateway: await cpuOf(target.pids.gateway),
      workers: await cpuOf(target.pids.worker),
      redis: await cpuOf(pidsOf('redis-server')),
      postgres: await cpuOf(pidsOf('postgres')),
    })
    const cpuBefore = await groups()
    const callsBefore = redisCalls()
    const result = await uniform(target, { connections: 64, durationS: LOAD_S })
    const callsAfter = redisCalls()
    const cpuAfter = await groups()
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
