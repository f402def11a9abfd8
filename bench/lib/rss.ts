import { readFile } from 'node:fs/promises'

async function rssMb (pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8')
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
    return kb / 1024
  } catch {
    return 0
  }
}

/** Samples the resident memory of the stack's processes while a scenario runs; keeps the peak per role. */
export function sampleRss (pids: { gateway: number[], worker: number[] }, everyMs = 250) {
  const peak = { gateway: 0, worker: 0 }
  const tick = async () => {
    for (const pid of pids.gateway) peak.gateway = Math.max(peak.gateway, await rssMb(pid))
    for (const pid of pids.worker) peak.worker = Math.max(peak.worker, await rssMb(pid))
  }
  const timer = setInterval(() => { tick().catch(() => {}) }, everyMs)
  return {
    async stop (): Promise<{ gateway?: number, worker?: number }> {
      clearInterval(timer)
      await tick()
      const result: { gateway?: number, worker?: number } = {}
      if (pids.gateway.length) result.gateway = Math.round(peak.gateway)
      if (pids.worker.length) result.worker = Math.round(peak.worker)
      return result
    },
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc; 0 when unreadable. */
export async function cpuSeconds (pid: number): Promise<number> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
    // utime and stime, in clock ticks (100 a second on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}
