import { sql } from 'kysely'
import { audit, auditSeatBookings, bookingIdOf, check } from '../lib/audit.ts'
import { type Answer, runCrowd, type Ask } from '../lib/crowd.ts'
import type { ScenarioResult } from '../lib/result-types.ts'
import { cpuSeconds, sampleRss } from '../lib/rss.ts'
import { percentile, statusCounts } from '../lib/stats.ts'
import { createEvent, patchSale, seatNames, type Target } from '../lib/target.ts'

export interface FlashSaleOptions {
  buyers: number
  seats: number
  connections: number
  label?: string
  /** Runs once the event exists, before the first buyer asks (live maps open here). */
  beforeSale? (eventId: string): Promise<void>
  /**
   * A sale that opens `opensAfterMs` after the first buyer asks, with a buyer limit: buyers who
   * ask early are told SALE_NOT_OPEN and come back at the opening, as the buyer's page does.
   * The figures then count from the opening.
   */
  sale?: { opensAfterMs: number, maxSeatsPerBuyer: number }
}

/** When a SALE_NOT_OPEN answer says to come back: at the opening, give or take a tick. */
function comeBackAtOpening (status: number, body: string): number | undefined {
  if (status !== 409 || !body.includes('"SALE_NOT_OPEN"')) return undefined
  const opensAt = Date.parse(/"opensAt":"([^"]+)"/.exec(body)?.[1] ?? '')
  return Math.max(0, opensAt - Date.now()) + Math.random() * 50
}

/**
 * Many buyers, few seats, each buyer after one random seat. The figure is how long until every
 * buyer has a definitive answer, retries included; then no seat may be sold twice, and the
 * first buyer to ask for a seat should be the one who got it.
 */
export async function flashSale (target: Target, options: FlashSaleOptions): Promise<ScenarioResult> {
  const buyers = await target.buyers(options.buyers)
  const sale = options.sale
  // Scheduled well ahead; the opening is set just before the crowd comes, through the API.
  const event = await createEvent(target, buyers[0]!, {
    seats: seatNames(options.seats),
    ...(sale ? { sale: { opensAt: new Date(Date.now() + 3_600_000).toISOString(), maxSeatsPerBuyer: sale.maxSeatsPerBuyer } } : {}),
  })
  const wanted = buyers.map(() => `S${1 + Math.floor(Math.random() * options.seats)}`)
  const asks: Ask[] = buyers.map((buyer, i) => ({
    token: buyer.token,
    path: `/v1/events/${event.id}/bookings`,
    body: JSON.stringify({ seatIds: [wanted[i]] }),
  }))

  await options.beforeSale?.(event.id)
  const rss = sampleRss(target.pids)
  // Where the sale's CPU went: the gateway, and this process (the buyers, and any live maps).
  const gatewayCpu = await cpuSeconds(target.pids.gateway[0] ?? 0)
  const benchCpu = process.cpuUsage()
  const opensAtMs = sale ? Date.now() + sale.opensAfterMs : undefined
  if (opensAtMs !== undefined) await patchSale(target, buyers[0]!, event.id, { opensAt: new Date(opensAtMs).toISOString() })
  const started = performance.now()
  // The clock the figures count from: the first ask, or the opening if it comes later.
  const from = opensAtMs === undefined ? started : started + (opensAtMs - Date.now())
  const answers = await runCrowd(asks, {
    url: target.url,
    connections: options.connections,
    // The lock-and-retry designs answer 423 "try again"; their clients do, after a jittered pause.
    retryStatus: target.name === 'seatline' ? undefined : 423,
    comeBackIn: sale ? comeBackAtOpening : undefined,
    onProgress: (n) => process.stderr.write(`\r  flash-sale (${target.name}): ${n}/${options.buyers} buyers answered`),
  })
  const elapsedMs = Math.max(...answers.map((a) => a.answeredAt)) - from
  // When the last seat went: the last 201 (the waiting-room row compares its own with it).
  const sellOutMs = Math.max(...answers.filter((a) => a.status === 201).map((a) => a.answeredAt)) - from
  process.stderr.write('\n')
  const rssMb = await rss.stop()
  const gatewayCpuS = Math.round(((await cpuSeconds(target.pids.gateway[0] ?? 0)) - gatewayCpu) * 10) / 10
  const benchUsage = process.cpuUsage(benchCpu)
  const benchCpuS = Math.round((benchUsage.user + benchUsage.system) / 100_000) / 10

  const created = answers.flatMap((a) => (a.status === 201 ? [bookingIdOf(a.body)!] : []))
  const definitive = answers.filter((a) => a.status === 201 || a.status === 409).length
  // For each seat, who asked first (sent first; after an opening, whose ask after it went first),
  // and who got it.
  const askedAt = (a: Answer) => (sale ? a.lastSentAt : a.firstSentAt)
  const firstAsker = new Map<string, number>()
  const winner = new Map<string, number>()
  answers.forEach((a, i) => {
    const seat = wanted[i]!
    const first = firstAsker.get(seat)
    if (first === undefined || askedAt(a) < askedAt(answers[first]!)) firstAsker.set(seat, i)
    if (a.status === 201) winner.set(seat, i)
  })
  const firstWins = [...winner.entries()].filter(([seat, i]) => firstAsker.get(seat) === i).length
  const firstAskerWinsPct = winner.size ? (100 * firstWins) / winner.size : 0
  const oversold = Math.max(0, created.length - new Set(wanted.filter((_, i) => answers[i]!.status === 201)).size)
  const times = answers.map((a) => a.answeredAt - Math.max(a.firstSentAt, from))
  // A refusal is only right if somebody got the seat: an asked-for seat left unsold is a lie told.
  const unsold = [...new Set(wanted)].filter((seat) => !winner.has(seat))

  const checks = [
    check('every buyer got a definitive answer', definitive === options.buyers, `${definitive} of ${options.buyers} answered 201 or 409`),
    check('no seat answered 201 twice', oversold === 0, `${oversold} oversold`),
    check('every seat someone asked for was sold', unsold.length === 0,
      unsold.length ? `refused but unsold: ${unsold.slice(0, 5).map((s) => `${s} (${JSON.stringify(answers[firstAsker.get(s)!]!.body).slice(0, 300)})`).join('; ')}` : 'all sold'),
    ...await auditSeatBookings(target, [event.id], created, 1, 0),
    ...(sale ? await auditBuyerLimit(target, event.id, sale.maxSeatsPerBuyer, answers) : []),
  ]
  return {
    scenario: 'flash-sale',
    system: target.name,
    label: options.label ?? (target.name === 'seatline' ? 'flash-sale' : `flash-sale (${target.name})`),
    config: { connections: options.connections, durationS: Math.round(elapsedMs / 100) / 10 },
    throughput: (options.buyers / elapsedMs) * 1000,
    unit: 'answers/s',
    latencyMs: { p50: percentile(times, 50), p90: percentile(times, 90), p99: percentile(times, 99), max: percentile(times, 100) },
    requests: answers.reduce((n, a) => n + a.attempts, 0),
    statuses: statusCounts(answers.map((a) => a.status)),
    errors: options.buyers - definitive,
    audit: audit(checks),
    extra: {
      buyers: options.buyers,
      seats: options.seats,
      timeToAllAnswersMs: Math.round(elapsedMs),
      sellOutMs: Math.round(sellOutMs),
      oversold,
      seatsSold: created.length,
      firstAskerWinsPct: Math.round(firstAskerWinsPct * 10) / 10,
      gatewayCpuS,
      benchCpuS,
      attemptsPerBuyer: Math.round((answers.reduce((n, a) => n + a.attempts, 0) / options.buyers) * 100) / 100,
      ...(sale ? { opensAfterMs: sale.opensAfterMs, maxSeatsPerBuyer: sale.maxSeatsPerBuyer, toldNotOpen: answers.reduce((n, a) => n + a.attempts - 1, 0) } : {}),
    },
    rssMb,
  }
}

/** Nobody holds more than the limit, and the sale was closed to everyone until it opened. */
async function auditBuyerLimit (target: Target, eventId: string, limit: number, answers: Answer[]) {
  const early = answers.filter((a) => a.attempts > 1).length
  const checks = [check('buyers who asked before the opening were told to come back', early > 0, `${early} buyers came back at the opening`)]
  if (!target.db) return checks
  const { rows } = await sql<{ most: number | null }>`
    select max(places)::int as most from (
      select sum(quantity) as places from bookings where event_id = ${eventId} and status = 'confirmed' group by user_id) b`.execute(target.db)
  const most = rows[0]?.most ?? 0
  return [...checks, check('no buyer above the limit', most <= limit, `most places of one buyer: ${most} (limit ${limit})`)]
}
