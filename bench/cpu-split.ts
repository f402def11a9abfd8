/**
 * Where a booking's CPU goes: `node bench/cpu-split.ts [peer] [flash] [partitions...]` (default 4 64) runs the
 * uniform load (64 connections, 10 s, 2 workers), or with `flash` the flash sale (20,000 buyers,
 * 2,000 seats), on a fresh stack per partition count (and first on the peer, with `peer`) and
 * prints the CPU seconds of the gateway (the peer's one process), the workers, Redis and Postgres
 * over the load, per answer too, and Redis commands per answer.
 * With SEATLINE_CPU_PROF_DIR=DIR every Seatline process also writes a CPU profile there.
 * Reads /proc and `redis-cli`, so it runs on the machine that runs the services (Linux).
 */
import { execFileSync } from 'node:child_process'
import { cpuBetween, cpuByPid, pidsNamed } from './lib/rss.ts'
import { ownStack } from './lib/target.ts'
import { flashSale } from './scenarios/flash-sale.ts'
import { uniform } from './scenarios/uniform.ts'

const LOAD_S = 10

function redisCalls (): Map<string, number> {
  const text = execFileSync('redis-cli', ['info', 'commandstats'], { encoding: 'utf8' })
  return new Map(text.split('\n').filter((line) => line.startsWith('cmdstat_'))
    .map((line) => [line.slice(8, line.indexOf(':')), Number(/calls=(\d+)/.exec(line)?.[1] ?? 0)]))
}

const args = process.argv.slice(2)
const flash = args.includes('flash')
const asked = args.map(Number).filter((n) => Number.isInteger(n) && n > 0)
const stacks = [...(args.includes('peer') ? [{ peer: true, partitions: 4 }] : []), ...(asked.length ? asked : [4, 64]).map((partitions) => ({ peer: false, partitions }))]
for (const { peer, partitions } of stacks) {
  const target = await ownStack({ workers: 2, partitions, peer })
  try {
    const groups = async () => ({
      gateway: await cpuByPid(target.pids.gateway),
      workers: await cpuByPid(target.pids.worker),
      redis: await cpuByPid(pidsNamed('redis-server')),
      postgres: await cpuByPid(pidsNamed('postgres')),
    })
    const cpuBefore = await groups()
    const callsBefore = redisCalls()
    const result = flash
      ? await flashSale(target, { buyers: 20_000, seats: 2_000, connections: 256 })
      : await uniform(target, { connections: 64, durationS: LOAD_S })
    const callsAfter = redisCalls()
    const cpuAfter = await groups()
    const bookings = flash ? 20_000 : Math.round(result.throughput * LOAD_S)
    // The peer is one process: it has no workers to measure (NaN would read as a failed reading).
    const cpu = Object.entries(cpuAfter).filter(([k]) => !(k === 'workers' && target.pids.worker.length === 0)).map(([k, v]) => {
      const used = cpuBetween(cpuBefore[k as keyof typeof cpuBefore], v)
      return `${k} ${used.toFixed(1)} (${((used * 1000) / Math.max(1, bookings)).toFixed(2)} ms/${flash ? 'answer' : 'booking'})`
    }).join(', ')
    const calls = [...callsAfter].map(([name, n]) => [name, (n - (callsBefore.get(name) ?? 0)) / Math.max(1, bookings)] as const)
    const total = calls.reduce((sum, [, n]) => sum + n, 0)
    console.log(`${peer ? 'peer' : `${partitions} partitions`}: ${Math.round(result.throughput)} ${result.unit}, audit ${result.audit.ok ? 'passed' : 'FAILED'}`)
    console.log(`  CPU seconds (load and audit): ${cpu}`)
    console.log(`  Redis commands per ${flash ? 'answer' : 'booking'}: ${total.toFixed(1)} (${calls.filter(([, n]) => n >= 1).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n.toFixed(1)}`).join(', ')})`)
  } finally {
    await target.stop()
  }
}
