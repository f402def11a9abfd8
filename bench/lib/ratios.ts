import type { Ratio, ScenarioResult } from './result-types.ts'

export const SALE_WINDOW_LABEL = 'flash-sale: opens mid-run, limit 4'

function find (results: ScenarioResult[], label: string): ScenarioResult | undefined {
  return results.find((r) => r.label === label)
}

function ratio (name: string, value: number, target: string, ok: boolean): Ratio {
  return { name, value: Math.round(value * 100) / 100, target, ok }
}

/** The targets, as ratios of figures measured in the same run. */
export function computeRatios (results: ScenarioResult[]): Ratio[] {
  const ratios: Ratio[] = []
  const uniform = find(results, 'uniform')
  const baseUniform = find(results, 'uniform (baseline)')
  const flash = find(results, 'flash-sale')
  const baseFlash = find(results, 'flash-sale (baseline)')
  const ceiling = find(results, 'ceiling (transaction alone)')
  if (uniform && baseUniform) {
    ratios.push(ratio('uniform throughput / baseline', uniform.throughput / baseUniform.throughput, '>= 1.0', uniform.throughput >= baseUniform.throughput))
    const p99 = (uniform.latencyMs?.p99 ?? 0) / (baseUniform.latencyMs?.p99 || 1)
    ratios.push(ratio('uniform p99 / baseline p99', p99, '<= 1.5', p99 <= 1.5))
  }
  if (uniform && ceiling) {
    const share = uniform.throughput / ceiling.throughput
    ratios.push(ratio('uniform / ceiling', share, '>= 0.5', share >= 0.5))
  }
  if (flash && baseFlash) {
    const time = Number(flash.extra?.timeToAllAnswersMs) / Number(baseFlash.extra?.timeToAllAnswersMs)
    ratios.push(ratio('flash-sale time to all answers / baseline', time, '<= 0.5', time <= 0.5))
  }
  if (flash) {
    ratios.push(ratio('flash-sale oversold seats', Number(flash.extra?.oversold), '= 0', Number(flash.extra?.oversold) === 0))
    const first = Number(flash.extra?.firstAskerWinsPct)
    ratios.push(ratio('flash-sale first asker wins (%)', first, '>= 99', first >= 99))
  }
  const live = results.find((r) => r.scenario === 'stream')
  if (live && flash) {
    const share = live.throughput / flash.throughput
    ratios.push(ratio('flash-sale answers/s with live maps / without', share, '>= 0.9', share >= 0.9))
    const rss = live.rssMb?.gateway ?? 0
    ratios.push(ratio('gateway RSS with live maps (MB)', rss, '< 200', rss < 200))
  }
  const windowed = find(results, SALE_WINDOW_LABEL)
  if (windowed && flash) {
    const share = windowed.throughput / flash.throughput
    ratios.push(ratio('flash-sale answers/s opening mid-run with a limit / without', share, '>= 0.95', share >= 0.95))
  }
  const cold = find(results, 'cold-big-event')
  if (cold && uniform) {
    const share = cold.throughput / uniform.throughput
    ratios.push(ratio('cold-big-event / uniform on a fresh stack', share, '>= 0.9', share >= 0.9))
    const p99 = (cold.latencyMs?.p99 ?? 0) / (uniform.latencyMs?.p99 || 1)
    ratios.push(ratio('cold-big-event p99 / uniform p99', p99, '<= 1.5', p99 <= 1.5))
  }
  // What metrics and info-level logs cost, each against the default stack of the same run.
  for (const [name, label, against] of [
    ['uniform with metrics / without', 'uniform: metrics off', uniform],
    ['flash-sale answers/s with metrics / without', 'flash-sale: metrics off', flash],
    ['uniform logging at info / at warn', 'uniform: info logs, scraped', uniform],
    ['flash-sale answers/s logging at info / at warn', 'flash-sale: info logs, scraped', flash],
  ] as const) {
    const other = find(results, label)
    if (!other || !against) continue
    const share = label.includes('metrics off') ? against.throughput / other.throughput : other.throughput / against.throughput
    ratios.push(ratio(name, share, '>= 0.9', share >= 0.9))
  }
  const rss = Math.max(0, ...results.flatMap((r) => [r.rssMb?.gateway ?? 0, r.rssMb?.worker ?? 0]))
  if (rss > 0) ratios.push(ratio('peak RSS of any process (MB)', rss, '< 200', rss < 200))
  return ratios
}
