import { readdirSync, readFileSync } from 'node:fs'

/** A process as /proc has it (Linux only, as the tests' machines are). */
export interface ProcessInfo {
  pid: number
  ppid: number
  /** The executable's name, at most 15 characters: `node`, `esbuild`. */
  name: string
  /** The command line, arguments joined by spaces. */
  command: string
}

function read (pid: number): ProcessInfo | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The name is in parentheses and may hold anything, parentheses too: the fields follow the last one.
    const close = stat.lastIndexOf(')')
    const [state, ppid] = stat.slice(close + 2).split(' ')
    // An exited process not yet reaped is gone for our purposes.
    if (state === 'Z' || state === 'X') return undefined
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ')
    return { pid, ppid: Number(ppid), name: stat.slice(stat.indexOf('(') + 1, close), command }
  } catch {
    return undefined
  }
}

/** Every live process on the machine. */
function all (): ProcessInfo[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => read(Number(d))).filter((p) => p !== undefined)
}

/** The live processes started under `pid`: its children, theirs, and so on. */
export function descendantsOf (pid: number): ProcessInfo[] {
  const processes = all()
  const found: ProcessInfo[] = []
  const parents = new Set([pid])
  for (let grew = true; grew;) {
    grew = false
    for (const p of processes) {
      if (parents.has(p.ppid) && !parents.has(p.pid)) {
        parents.add(p.pid)
        found.push(p)
        grew = true
      }
    }
  }
  return found
}

/** Whether a process seen before still runs (not a zombie, and not another process given its pid since). */
export function isRunning (process: ProcessInfo): boolean {
  return read(process.pid)?.command === process.command
}

/** Polls `left` until it returns nothing or `ms` have passed; returns what was left last. */
export async function untilNoneLeft<T> (left: () => T[], ms: number): Promise<T[]> {
  const deadline = Date.now() + ms
  let found = left()
  while (found.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    found = left()
  }
  return found
}
