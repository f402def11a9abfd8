import { setTimeout as sleep } from 'node:timers/promises'
import { runArrivals } from '../lib/arrivals.ts'
import { audit, check } from '../lib/audit.ts'
import { httpClient } from '../lib/http-client.ts'
import { redisProbe } from '../lib/redis-probe.ts'
import { WAITING_ROOM_SCALE_LABEL } from '../lib/ratios.ts'
import type { ScenarioResult } from '../lib/result-types.ts'
import { cpuSeconds, sampleRss } from '../lib/rss.ts'
import { median, percentile } from '../lib/stats.ts'
import { createEvent, patchSale, seatNames, type Buyer, type Target } from '../lib/target.ts'
import { StreamWatch, type Ticket } from '../lib/ticket-follow.ts'

export interface WaitingRoomScaleOptions {
  tickets: number
  /** Tickets whose stream the bench follows, spread over the line. */
  streams: number
  /** Joins per second the buyers arrive at (evenly, whatever the stack's pace). */
  joinsPerS: number
  connections: number
  /** After the opening, how long the line is watched. */
  waitS: number
  /** Few seats and a low rate: nobody books, the line only moves. */
  seats: number
  admitPerMinute: number
}

const round = (x: number, places = 0) => (Number.isFinite(x) ? Math.round(x * 10 ** places) / 10 ** places : Number.NaN)

/**
 * One event's line grown to `tickets` (200,000 at full size), `streams` of them followed live.
 * The figures: join latency through the burst (and whether it grows with the line), how often a
 * waiting buyer's stream hears its position move once the sale has opened, Redis memory per
 * ticket, the gateway's memory, and what Redis does each second while the line waits: the
 * streams must move from one message per admission step, not a read per ticket per second.
 */
export async function waitingRoomScale (target: Target, options: WaitingRoomScaleOptions): Promise<ScenarioResult> {
  const [organiser, ...buyers] = await target.buyers(options.tickets + 1) as [Buyer, ...Buyer[]]
  const event = await createEvent(target, organiser, {
    seats: seatNames(options.seats),
    sale: { opensAt: new Date(Date.now() + 3_600_000).toISOString(), waitingRoom: { admitPerMinute: options.admitPerMinute, admissionSeconds: 3_600 } },
  })
  const probe = redisProbe(target)
  const joins = httpClient(target.url, options.connections)
  // Every (tickets / streams)-th buyer streams: the sample spans the line's whole length.
  const every = Math.max(1, Math.floor(options.tickets / options.streams))
  const watches: StreamWatch[] = []
  const opening: Array<Promise<void>> = []
  let streamFailures = 0
  let chosen = 0

  // What the stack asks of Redis each second before any ticket exists: its job schedulers, and
  // the admission step of this event, which runs every second from its creation on.
  const idle = await commandsPerSecond(probe, 3)
  const memoryBefore = await probe.usedMemory()
  const rss = sampleRss(target.pids)
  const gatewayCpu = await cpuSeconds(target.pids.gateway[0] ?? 0)
  const benchCpu = process.cpuUsage()

  const start = performance.now()
  let answered = 0
  const answers = await runArrivals(options.tickets, (i) => start + (i * 1000) / options.joinsPerS, options.connections,
    (i) => joins.request('POST', `/v1/events/${event.id}/queue`, { token: buyers[i]!.token }),
    (i, a) => {
      const body = a.reply.body
      // 200,000 replies kept whole would be ~100 MB of strings in the process that shares the stack's cores.
      a.reply.body = ''
      if (++answered % 5_000 === 0) process.stderr.write(`\r  waiting-room-scale: ${answered}/${options.tickets} joined, ${round((performance.now() - start) / 1000)} s   `)
      if (i % every !== 0 || chosen >= options.streams || (a.reply.status !== 201 && a.reply.status !== 200)) return
      chosen++
      const ticket = JSON.parse(body) as Ticket
      opening.push(StreamWatch.open(target.url, ticket.ticketId, () => {}).then((w) => { watches.push(w) }, () => { streamFailures++ }))
    })
  process.stderr.write('\n')
  const burstMs = answers.reduce((last, a) => Math.max(last, a.answeredAt), 0) - start
  await Promise.all(opening)
  const ticketBytes = await probe.keysBytes(event.id)
  const memoryAfter = await probe.usedMemory()
  const inLine = await probe.redis.zcard(probe.keys(event.id).line)

  // The opening, 2 s ahead (the gateways cache the sale for a second); then the line waits.
  const opensAt = Date.now() + 2_000
  await patchSale(target, organiser, event.id, { opensAt: new Date(opensAt).toISOString() })
  await sleep(opensAt - Date.now() + 1_500)
  const waiting = await commandsPerSecond(probe, options.waitS)
  const silences = watches.map((w) => w.silentFor())
  for (const w of watches) w.close()
  const rssMb = await rss.stop()
  const gatewayCpuS = round((await cpuSeconds(target.pids.gateway[0] ?? 0)) - gatewayCpu, 1)
  const benchUsage = process.cpuUsage(benchCpu)
  joins.close()
  const [admittedCount, ticketsKept] = await Promise.all([probe.redis.zcard(probe.keys(event.id).admitted), probe.redis.hlen(probe.keys(event.id).tickets)])
  probe.close()

  const joinTimes = answers.map((a) => a.answeredAt - a.dueAt)
  const tenth = Math.max(1, Math.floor(answers.length / 10))
  const p99Of = (part: typeof answers) => round(percentile(part.map((a) => a.answeredAt - a.dueAt), 99), 1)
  const joined = answers.filter((a) => a.reply.status === 201).length
  // The gaps between position updates each stream heard after the opening, and the silence
  // each was in when the watch ended (a stream that stopped hearing shows there).
  const gaps = [...watches.flatMap((w) => w.gaps), ...silences]
  // A ticket near the front may be admitted before a second position reaches it: being let in
  // is its line moving (at 2 admissions a second, the smoke run's few streams meet this).
  const updated = watches.filter((w) => w.gaps.length > 0 || w.admitted).length
  const excess = waiting.medianPerS - idle.medianPerS
  const excessBound = Math.max(100, options.streams / 10)

  const checks = [
    check('every join answered 201', joined === options.tickets, `${joined} of ${options.tickets}`),
    check('every ticket kept in Redis', ticketsKept === options.tickets && inLine === options.tickets, `${ticketsKept} tickets, ${inLine} in line before the opening`),
    check('every stream opened', watches.length === Math.min(options.streams, options.tickets) && streamFailures === 0, `${watches.length} open, ${streamFailures} failed`),
    check('every stream heard its position move after the opening', updated === watches.length, `${updated} of ${watches.length}`),
    // A read per stream per second would be thousands of commands a second at full size.
    check('Redis commands per second while the line waits do not grow with it', excess < excessBound,
      `${round(waiting.medianPerS)}/s with ${options.tickets} waiting (${waiting.top}), ${round(idle.medianPerS)}/s before any joined; ${round(excess)} more, bound ${excessBound}`),
  ]
  return {
    scenario: 'waiting-room-scale',
    system: target.name,
    label: WAITING_ROOM_SCALE_LABEL,
    config: { connections: options.connections, durationS: round((performance.now() - start) / 1000, 1) },
    throughput: (options.tickets / burstMs) * 1000,
    unit: 'joins/s',
    latencyMs: { p50: round(percentile(joinTimes, 50), 1), p90: round(percentile(joinTimes, 90), 1), p99: round(percentile(joinTimes, 99), 1), max: round(percentile(joinTimes, 100), 1) },
    requests: answers.length + watches.length,
    statuses: Object.fromEntries([...joins.statuses].map(([s, n]) => [String(s), n])),
    errors: options.tickets - joined + streamFailures,
    audit: audit(checks),
    extra: {
      tickets: options.tickets,
      streams: watches.length,
      requestedJoinsPerS: options.joinsPerS,
      burstS: round(burstMs / 1000, 1),
      joinP99Ms: round(percentile(joinTimes, 99), 1),
      joinServiceP99Ms: round(percentile(answers.map((a) => a.answeredAt - a.sentAt), 99), 1),
      joinP99FirstTenthMs: p99Of(answers.slice(0, tenth)),
      joinP99LastTenthMs: p99Of(answers.slice(-tenth)),
      positionGapP50Ms: round(percentile(gaps, 50)),
      positionGapP99Ms: round(percentile(gaps, 99)),
      positionGapMaxMs: round(percentile(gaps, 100)),
      streamMessagesPerS: round(watches.reduce((n, w) => n + w.messages, 0) / watches.length / (options.waitS + 1.5), 2),
      admittedWhileWatched: admittedCount,
      redisBytesPerTicket: round(ticketBytes / options.tickets),
      redisTicketsMb: round(ticketBytes / 1048576, 1),
      redisUsedMemoryDeltaMb: round((memoryAfter - memoryBefore) / 1048576, 1),
      redisCommandsPerSWaiting: round(waiting.medianPerS),
      redisCommandsPerSIdle: round(idle.medianPerS),
      redisTopCommandsWaiting: waiting.top,
      redisBusyMsPerSWaiting: round(waiting.busyMsPerS, 1),
      redisBusyMsPerSIdle: round(idle.busyMsPerS, 1),
      gatewayCpuS,
      benchCpuS: round((benchUsage.user + benchUsage.system) / 1e6, 1),
    },
    rssMb,
  }
}

/**
 * The stack's Redis commands per second over `seconds` (MONITOR, filtered to its keys), the median
 * second and the busiest commands; and Redis's own time per second in all commands (INFO
 * commandstats: server-wide, whatever else shares this Redis included).
 */
async function commandsPerSecond (probe: ReturnType<typeof redisProbe>, seconds: number) {
  const firstUsec = await busyUsec(probe)
  const { perS, top } = await probe.stackCommands(seconds)
  const busy = ((await busyUsec(probe)) - firstUsec) / 1000 / seconds
  return { medianPerS: median(perS), top: top.map(([name, n]) => `${name} ${round(n / seconds)}/s`).join(', '), busyMsPerS: busy }
}

async function busyUsec (probe: ReturnType<typeof redisProbe>): Promise<number> {
  let sum = 0
  for (const [, usec] of (await probe.redis.info('commandstats')).matchAll(/usec=(\d+),/g)) sum += Number(usec)
  return sum
}
