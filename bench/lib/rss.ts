import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'

/** Resident memory of a process in MB; undefined when /proc cannot tell (gone, or not Linux). */
export async function rssMb (pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kb = /VmRSS:\s+(\d+)/.exec(status)?.[1]
    return kb === undefined ? undefined : Number(kb) / 1024
  } catch {
    return undefined
  }
}

/**
 * Samples the resident memory of the stack's processes while a scenario runs; keeps the peak per
 * role. A role never read is left out: an unreadable /proc is missing data, not 0 MB.
 */
export function sampleRss (pids: { gateway: number[], worker: number[] }, everyMs = 250) {
  const peak: { gateway?: number, worker?: number } = {}
  const tick = async () => {
    for (const role of ['gateway', 'worker'] as const) {
      for (const pid of pids[role]) {
        const mb = await rssMb(pid)
        if (mb !== undefined) peak[role] = Math.max(peak[role] ?? 0, mb)
      }
    }
  }
  const timer = setInterval(() => { tick().catch(() => {}) }, everyMs)
  return {
    async stop (): Promise<{ gateway?: number, worker?: number }> {
      clearInterval(timer)
      await tick()
      const result: { gateway?: number, worker?: number } = {}
      if (peak.gateway !== undefined) result.gateway = Math.round(peak.gateway)
      if (peak.worker !== undefined) result.worker = Math.round(peak.worker)
      return result
    },
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc; NaN when unreadable. */
export async function cpuSeconds (pid: number): Promise<number> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
    // utime and stime, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return Number.NaN
  }
}

/** The pids of every process on this machine named exactly `name`; none when pgrep finds none. */
export function pidsNamed (name: string): number[] {
  try {
    return execFileSync('pgrep', ['-x', name], { encoding: 'utf8' }).trim().split('\n').map(Number)
  } catch {
    return []
  }
}

/** CPU seconds so far per process, leaving out those that could not be read. */
export async function cpuByPid (pids: number[]): Promise<Map<number, number>> {
  const each = await Promise.all(pids.map(async (pid) => [pid, await cpuSeconds(pid)] as const))
  return new Map(each.filter(([, s]) => Number.isFinite(s)))
}

/**
 * CPU seconds used between two readings of `cpuByPid`: what each process read the second time
 * used since the first (all of it if it started in between). NaN when the second reading read
 * nothing, so a caller cannot mistake "could not measure" for "used no CPU".
 */
export function cpuBetween (before: Map<number, number>, after: Map<number, number>): number {
  if (after.size === 0) return Number.NaN
  let sum = 0
  for (const [pid, s] of after) sum += s - (before.get(pid) ?? 0)
  return sum
}
