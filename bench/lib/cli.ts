import { parseArgs } from 'node:util'

export interface BenchOptions {
  scenarios: string[]
  connections?: number
  durationS?: number
  soakMinutes?: number
  workers: number
  partitions: number
  target?: string
  smoke: boolean
  outDir: string
  runs: number
}

/**
 * In the order a full run takes them: `stream` right after `flash-sale`, the sale it is measured
 * against, and `sale-window` (the same sale, opening mid-run with a buyer limit) after them;
 * then `waiting-room` (a sale behind a waiting room, compared with `flash-sale`) and
 * `waiting-room-scale` (200,000 tickets in one line).
 */
export const SCENARIOS = ['ceiling', 'baseline', 'peer', 'uniform', 'flash-sale', 'stream', 'sale-window', 'waiting-room', 'waiting-room-scale', 'hold-confirm', 'general-admission', 'cold-big-event', 'scale', 'observability', 'retention', 'sync-standby', 'soak'] as const

/** Too long for every run: they run when named with --scenario, and briefly in --smoke. */
export const NAMED_ONLY: string[] = ['soak']

/**
 * Scenarios that start stacks with settings of their own, or read their stack's database and
 * Redis (the waiting room's line, its memory): never against a --target.
 */
const OWN_STACKS: string[] = ['baseline', 'peer', 'ceiling', 'scale', 'observability', 'waiting-room', 'waiting-room-scale', 'retention', 'sync-standby', 'soak']

const HELP = `npm run bench -- [options]

  --scenario NAME     one of ${SCENARIOS.join(', ')} (repeatable; default: all but ${NAMED_ONLY.join(', ')}, which --smoke runs briefly)
  --connections N     connections for the chosen scenario (default: per scenario)
  --duration S        seconds of load for timed scenarios (default: 10)
  --soak-minutes N    length of the soak (default: 20; --smoke: 30 s)
  --workers W         worker processes of the stack the bench starts (default: 2)
  --partitions P      QUEUE_PARTITIONS of that stack (default: 4)
  --target URL        load a stack that is already running instead (audits through the API)
  --runs N            run everything N times and report the median of each figure (default: 1)
  --smoke             a few seconds per scenario, small sizes: proves the bench still works
  --out DIR           where results go (default: bench/results; bench/results/smoke with --smoke)
`

export function parseCli (argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', multiple: true },
      connections: { type: 'string' },
      duration: { type: 'string' },
      'soak-minutes': { type: 'string' },
      workers: { type: 'string', default: '2' },
      partitions: { type: 'string', default: '4' },
      target: { type: 'string' },
      smoke: { type: 'boolean', default: false },
      out: { type: 'string' },
      runs: { type: 'string', default: '1' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    console.log(HELP)
    process.exit(0)
  }
  const int = (name: string, raw: string | undefined, min: number, max: number): number | undefined => {
    if (raw === undefined) return undefined
    const n = Number(raw)
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"`)
    return n
  }
  const scenarios = values.scenario ?? SCENARIOS.filter((s) => values.smoke || !NAMED_ONLY.includes(s))
  for (const s of scenarios) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario "${s}"; choose from ${SCENARIOS.join(', ')}`)
  if (values.target && scenarios.some((s) => OWN_STACKS.includes(s)) && values.scenario) {
    throw new Error(`${OWN_STACKS.join(', ')} start stacks of their own and cannot run with --target`)
  }
  return {
    scenarios: values.target && !values.scenario ? scenarios.filter((s) => !OWN_STACKS.includes(s)) : scenarios,
    connections: int('connections', values.connections, 1, 10_000),
    durationS: int('duration', values.duration, 1, 600),
    soakMinutes: int('soak-minutes', values['soak-minutes'], 1, 1440),
    workers: int('workers', values.workers, 1, 64)!,
    partitions: int('partitions', values.partitions, 1, 1024)!,
    target: values.target,
    smoke: values.smoke,
    outDir: values.out ?? (values.smoke ? 'bench/results/smoke' : 'bench/results'),
    runs: int('runs', values.runs, 1, 9)!,
  }
}
