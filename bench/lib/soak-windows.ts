import type { SoakWindow, TableSize } from './result-types.ts'
import { percentile } from './stats.ts'

/** What the stack looked like at the end of a window. */
export interface StackSample {
  rssMb: Record<string, number>
  redisUsedMb: number
  tables: Record<string, TableSize>
}

/**
 * Answers filed by the window they were answered in (those after the last window's end, still in
 * flight when the arrivals stopped, go to the last), and a sample of the stack per window.
 */
export class WindowLog {
  #startMs = 0
  readonly #windowMs: number
  readonly #counts: Array<Map<string, number>>
  readonly #latencies: number[][]
  readonly #samples: Array<StackSample | undefined>

  constructor (windowS: number, count: number) {
    this.#windowMs = windowS * 1000
    this.#counts = Array.from({ length: count }, () => new Map())
    this.#latencies = Array.from({ length: count }, () => [])
    this.#samples = new Array(count)
  }

  /** When the load begins (performance.now() ms): the first window's start. */
  begin (startMs: number): void {
    this.#startMs = startMs
  }

  get count (): number {
    return this.#counts.length
  }

  record (kind: string, from: number, answeredAt: number): void {
    const i = Math.max(0, Math.min(this.count - 1, Math.floor((answeredAt - this.#startMs) / this.#windowMs)))
    this.#counts[i]!.set(kind, (this.#counts[i]!.get(kind) ?? 0) + 1)
    this.#latencies[i]!.push(answeredAt - from)
  }

  sample (i: number, sample: StackSample): void {
    this.#samples[i] = sample
  }

  /** Every latency of windows `from` to `to`, inclusive. */
  latencies (from: number, to: number): number[] {
    return this.#latencies.slice(from, to + 1).flat()
  }

  all (): number[] {
    return this.#latencies.flat()
  }

  window (i: number): SoakWindow {
    const windowS = this.#windowMs / 1000
    const byKind: Record<string, number> = {}
    let answers = 0
    for (const [kind, n] of this.#counts[i]!) {
      byKind[kind] = round(n / windowS)
      answers += n
    }
    const sample = this.#samples[i]
    return {
      endS: round((i + 1) * windowS),
      answersPerS: round(answers / windowS),
      byKind,
      p99Ms: round(percentile(this.#latencies[i]!, 99)),
      rssMb: sample?.rssMb ?? {},
      redisUsedMb: sample?.redisUsedMb ?? Number.NaN,
      tables: sample?.tables ?? {},
    }
  }
}

function round (x: number): number {
  return Math.round(x * 10) / 10
}
