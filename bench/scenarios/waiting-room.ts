import { setTimeout as sleep } from 'node:timers/promises'
import { sql } from 'kysely'
import { runArrivals, type Timed } from '../lib/arrivals.ts'
import { audit, auditBookingsOfAnySize, bookingIdOf, buyerPlaces, check } from '../lib/audit.ts'
import { httpClient, type HttpClient, type HttpReply } from '../lib/http-client.ts'
import { redisProbe } from '../lib/redis-probe.ts'
import { WAITING_ROOM_LABEL } from '../lib/ratios.ts'
import type { ScenarioResult } from '../lib/result-types.ts'
import { cpuSeconds, sampleRss } from '../lib/rss.ts'
import { SeatBoard } from '../lib/seat-board.ts'
import { percentile, spearman } from '../lib/stats.ts'
import { createEvent, patchSale, seatNames, type Buyer, type Target } from '../lib/target.ts'
import { FINAL, Pollers, StreamWatch, type Ticket } from '../lib/ticket-follow.ts'

export interface WaitingRoomOptions {
  /** Buyers who join in the burst before the opening, and after it. */
  early: number
  late: number
  seats: number
  maxSeatsPerBuyer: number
  admitPerMinute: number
  admissionSeconds: number
  /** The early joins arrive evenly over this many seconds; the late ones over `lateS` after the opening. */
  burstS: number
  lateS: number
  /** Buyers who follow their ticket's stream; the others ask for it now and then. */
  streams: number
  /** The pollers' first ask after the opening comes within this many seconds (pages open at different moments). */
  firstPollSpreadS: number
  /** Requests in flight at most for the joins. */
  connections: number
  label?: string
}

type Outcome = 'booked' | 'gave up' | 'sold out' | 'sold out at join' | 'sold out at booking' | 'expired' | 'closed' | 'failed'

interface BuyerRecord {
  early: boolean
  streamed: boolean
  ticketId?: string
  joinSentAt?: number
  /** When the buyer first heard it was admitted (Date.now()), and when it was (the ticket's admittedAt). */
  admittedSeenAt?: number
  admittedAt?: number
  outcome?: Outcome
  outcomeAt?: number
  /** How the buyer heard its final answer about the line. */
  heardBy?: 'stream' | 'poll'
}

/** How long a polling buyer waits before asking again, from what its ticket last said (ms). */
function pollCadence (ticket: Ticket): number {
  // Near the front every 2–5 s; further back about half the estimated wait, at most 30 s:
  // 58,000 pollers asking every 2–5 s would be ~16,000 requests/s, several times what this
  // machine's gateway serves (see bench/README.md).
  const wait = ticket.estimatedWaitSeconds
  const base = wait === undefined ? 3_000 : Math.min(30_000, Math.max(2_000, wait * 500))
  return base * (0.75 + Math.random() / 2)
}

/** A client's 429s and 503s, named after what it asked (e.g. join503). */
function busy (name: string, client: HttpClient): Record<string, number> {
  return { [`${name}429`]: client.statuses.get(429) ?? 0, [`${name}503`]: client.statuses.get(503) ?? 0 }
}

/** `count` distinct indices of 0..n-1, at random. */
function sample (n: number, count: number): Set<number> {
  const picked = new Set<number>()
  while (picked.size < Math.min(n, count)) picked.add(Math.floor(Math.random() * n))
  return picked
}

/** Positions (0..) of the items in the order `compare` sorts them. */
function positions<T> (items: T[], compare: (a: T, b: T) => number): number[] {
  const order = items.map((item, i) => ({ item, i })).sort((a, b) => compare(a.item, b.item))
  const out = new Array<number>(items.length)
  order.forEach(({ i }, position) => { out[i] = position })
  return out
}

const round = (x: number, places = 0) => (Number.isFinite(x) ? Math.round(x * 10 ** places) / 10 ** places : Number.NaN)

/** A request retried as a page would after a 429, a 503 or a dropped connection: after Retry-After, or 0.5–1.5 s. */
async function patient (send: () => Promise<HttpReply>, tries = 5): Promise<HttpReply> {
  let reply = await send()
  for (let n = 1; n < tries && (reply.status === 0 || reply.status === 429 || reply.status === 503); n++) {
    await sleep(reply.retryAfterS !== undefined ? reply.retryAfterS * 1000 : 500 + Math.random() * 1000)
    reply = await send()
  }
  return reply
}

/**
 * The waiting room of a flash sale: `early` buyers join in a burst before the opening, `late`
 * ones after it; a sample follows its ticket's stream, the others poll. Admitted buyers book 1–2
 * seats at once, picking from the seats a live map would show free (another pick after a
 * refusal, three tries, then they give up), 10 % of them greedily asking for 2 more (the limit
 * must refuse them). Everyone follows the line until a final answer. Figures: the burst's joins/s
 * and latency, the opening to the last seat sold, how soon after it every buyer still waiting
 * heard "sold out", whether the line kept its order (Spearman's rho of join order and admission
 * order), admissions per second against the rate, Redis memory per ticket; audited from the
 * database: nothing oversold, no buyer above the limit.
 */
export async function waitingRoom (target: Target, options: WaitingRoomOptions): Promise<ScenarioResult> {
  if (!target.db) throw new Error('waiting-room audits from the database: run it on a stack the bench starts')
  const total = options.early + options.late
  const [organiser, ...buyers] = await target.buyers(total + 1) as [Buyer, ...Buyer[]]
  const seatIds = seatNames(options.seats)
  const event = await createEvent(target, organiser, {
    seats: seatIds,
    // Scheduled far ahead: the opening is set once the burst is in (see below).
    sale: { opensAt: new Date(Date.now() + 3_600_000).toISOString(), maxSeatsPerBuyer: options.maxSeatsPerBuyer, waitingRoom: { admitPerMinute: options.admitPerMinute, admissionSeconds: options.admissionSeconds } },
  })
  const probe = redisProbe(target)
  const records: BuyerRecord[] = buyers.map((_, i) => ({ early: i < options.early, streamed: false }))
  for (const i of sample(total, options.streams)) records[i]!.streamed = true

  const joins = httpClient(target.url, options.connections)
  // Polls and bookings on sockets of their own, so a queue of polls never delays a booking.
  const pollClient = httpClient(target.url, 64)
  const books = httpClient(target.url, 64)
  const board = new SeatBoard(seatIds)
  const created: string[] = []
  const seatWins = new Map<string, number>()
  const bookLatencies: number[] = []
  const greedy = { asked: 0, refused: 0, granted: 0 }
  const watches = new Map<number, StreamWatch>()
  const buys: Array<Promise<void>> = []
  let streamOpens = 0
  let streamFailures = 0
  let streamDrops = 0
  let opensAt = Number.POSITIVE_INFINITY

  const finish = (i: number, outcome: Outcome, at = Date.now(), heardBy?: 'stream' | 'poll') => {
    const r = records[i]!
    if (r.outcome) return
    Object.assign(r, { outcome, outcomeAt: at }, heardBy ? { heardBy } : {})
    pollers.stop(i)
  }

  /** What a buyer does with its ticket as it hears of it, from its stream or a poll. */
  const onTicket = (i: number, ticket: Ticket, at: number, heardBy: 'stream' | 'poll') => {
    const r = records[i]!
    if (r.outcome || r.admittedSeenAt !== undefined) return
    if (ticket.status === 'admitted') {
      r.admittedSeenAt = at
      r.admittedAt = Date.parse(ticket.admittedAt!)
      pollers.stop(i)
      watches.get(i)?.close()
      buys.push(buy(i))
    } else if (ticket.status === 'sold-out') {
      finish(i, 'sold out', at, heardBy)
    } else if (FINAL.has(ticket.status)) {
      finish(i, ticket.status as Outcome, at, heardBy)
    }
  }
  const pollers = new Pollers({ client: pollClient, eventId: event.id, cadence: pollCadence, onTicket: (i, t, at) => onTicket(i, t, at, 'poll') })

  const opening: Array<Promise<void>> = []
  const follow = async (i: number, ticket: Ticket) => {
    if (!records[i]!.streamed) {
      // Before the opening a page waits for it; after, it goes by the ticket.
      const inMs = Number.isFinite(opensAt) ? pollCadence(ticket) : Number.NaN
      if (Number.isFinite(inMs)) pollers.start(i, buyers[i]!.token, inMs)
      return
    }
    try {
      streamOpens++
      const watch = await StreamWatch.open(target.url, ticket.ticketId, (t, at) => onTicket(i, t, at, 'stream'))
      watches.set(i, watch)
      // A stream that ends before its ticket is final was dropped: the page falls back to asking.
      watch.done.then(() => {
        const r = records[i]!
        if (r.outcome || r.admittedSeenAt !== undefined) return
        streamDrops++
        pollers.start(i, buyers[i]!.token, 1_000)
      }, () => {})
    } catch {
      streamFailures++
      records[i]!.streamed = false
      if (Number.isFinite(opensAt)) pollers.start(i, buyers[i]!.token, pollCadence(ticket))
    }
  }

  const join = (i: number) => patient(() => joins.request('POST', `/v1/events/${event.id}/queue`, { token: buyers[i]!.token }))
  const afterJoin = (i: number, answer: Timed<HttpReply>) => {
    const r = records[i]!
    r.joinSentAt = answer.sentAt
    const { status, body } = answer.reply
    if (status === 200 || status === 201) {
      const ticket = JSON.parse(body) as Ticket
      r.ticketId = ticket.ticketId
      opening.push(follow(i, ticket).catch(() => {}))
    } else if (status === 409 && body.includes('"SOLD_OUT"')) {
      finish(i, 'sold out at join')
    } else {
      finish(i, 'failed')
    }
  }

  /** An admitted buyer books 1–2 seats at once; after a refusal another pick, three tries in all. */
  const buy = async (i: number) => {
    const token = buyers[i]!.token
    const want = Math.random() < 0.5 ? 1 : 2
    const refused = new Set<string>()
    for (let attempt = 0; attempt < 3; attempt++) {
      const seats = board.pick(want, refused)
      if (seats.length === 0) return finish(i, 'gave up')
      const sentAt = performance.now()
      const reply = await patient(() => books.request('POST', `/v1/events/${event.id}/bookings`, { token, body: { seatIds: seats } }))
      bookLatencies.push(performance.now() - sentAt)
      if (reply.status === 201) {
        created.push(bookingIdOf(reply.body)!)
        for (const s of seats) seatWins.set(s, (seatWins.get(s) ?? 0) + 1)
        board.taken(seats)
        finish(i, 'booked')
        if (Math.random() < 0.1) await askBeyondLimit(token)
        return
      }
      if (reply.status === 409 && reply.body.includes('"SEATS_UNAVAILABLE"')) {
        const named = (JSON.parse(reply.body) as { seats?: Array<{ seatId: string }> }).seats?.map((s) => s.seatId) ?? seats
        board.taken(named)
        for (const s of named) refused.add(s)
        continue
      }
      if (reply.status === 409 && reply.body.includes('"SOLD_OUT"')) return finish(i, 'sold out at booking')
      return finish(i, 'failed')
    }
    finish(i, 'gave up')
  }
  /** A greedy buyer asks for 2 more seats: with 1 or 2 already and a limit of 2, it must be refused. */
  const askBeyondLimit = async (token: string) => {
    const seats = board.pick(2)
    if (seats.length < 2) return
    greedy.asked++
    const reply = await patient(() => books.request('POST', `/v1/events/${event.id}/bookings`, { token, body: { seatIds: seats } }))
    if (reply.status === 201) {
      greedy.granted++
      created.push(bookingIdOf(reply.body)!)
      for (const s of seats) seatWins.set(s, (seatWins.get(s) ?? 0) + 1)
    } else if (reply.status === 409 && reply.body.includes('"BUYER_LIMIT_REACHED"')) {
      greedy.refused++
    }
  }

  const memoryBefore = await probe.usedMemory()
  const rss = sampleRss(target.pids)
  const gatewayCpu = await cpuSeconds(target.pids.gateway[0] ?? 0)
  const benchCpu = process.cpuUsage()

  // 1. The burst: the early joins arrive evenly over burstS, whatever the stack's pace.
  const burstStart = performance.now()
  const burstMs = options.burstS * 1000
  const earlyJoins = await runArrivals(options.early, (i) => burstStart + (i * burstMs) / options.early, options.connections, join, afterJoin)
  const burstEnd = earlyJoins.reduce((last, a) => Math.max(last, a.answeredAt), 0)
  process.stderr.write(`  waiting-room: ${options.early} early joins answered in ${round((burstEnd - burstStart) / 1000, 1)} s\n`)
  await Promise.all(opening)
  // Their shuffle is final: every early joiner's place in line, before any is admitted.
  const earlyLine = await probe.line(event.id)
  const ticketBytes = await probe.keysBytes(event.id)
  const memoryAfterBurst = await probe.usedMemory()

  // 2. The opening: burstS after the burst began, or 2 s from now if the burst ran over (the
  // gateways cache the sale for a second: none may still think it closed once it has opened).
  opensAt = Math.max(Date.now() - (performance.now() - burstStart) + burstMs, Date.now() + 2_000)
  await patchSale(target, organiser, event.id, { opensAt: new Date(opensAt).toISOString() })
  const opensAtPerf = performance.now() + (opensAt - Date.now())
  for (let i = 0; i < options.early; i++) {
    const r = records[i]!
    if (!r.streamed && r.ticketId && !r.outcome) pollers.start(i, buyers[i]!.token, opensAt - Date.now() + Math.random() * options.firstPollSpreadS * 1000)
  }

  // 3. The late joins, over lateS after the opening, while the sale runs.
  const lateMs = options.lateS * 1000
  const lateJoining = runArrivals(options.late, (i) => opensAtPerf + 100 + (i * lateMs) / options.late, options.connections,
    (i) => join(options.early + i), (i, a) => afterJoin(options.early + i, a))
  const lateJoins = await lateJoining
  const lateLine = await probe.line(event.id)

  // 4. Until every buyer has a final answer (a stalled sale is cut off after 3 minutes).
  const hardStop = opensAt + 180_000
  const unresolved = () => records.reduce((n, r) => n + (r.outcome ? 0 : 1), 0)
  let lastReport = 0
  while (unresolved() > 0 && Date.now() < hardStop) {
    if (Date.now() - lastReport > 2_000) {
      lastReport = Date.now()
      process.stderr.write(`\r  waiting-room: ${round((Date.now() - opensAt) / 1000)} s after the opening, ${created.length} bookings, ${unresolved()} buyers without a final answer, ${pollers.polls} polls   `)
    }
    await sleep(250)
  }
  process.stderr.write('\n')
  pollers.stopAll()
  await Promise.all(buys)
  for (const watch of watches.values()) watch.close()
  const endedAt = performance.now()
  const rssMb = await rss.stop()
  const gatewayCpuS = round((await cpuSeconds(target.pids.gateway[0] ?? 0)) - gatewayCpu, 1)
  const benchUsage = process.cpuUsage(benchCpu)
  joins.close()
  pollClient.close()
  books.close()

  // The line as Redis kept it: every ticket's admission (the step stamps the ones it admits).
  const tickets = await probe.tickets(event.id)
  probe.close()
  const { rows: [sold] } = await sql<{ last: Date | null }>`select max(created_at) as last from bookings where event_id = ${event.id} and status = 'confirmed'`.execute(target.db)
  const lastSoldAt = sold?.last?.getTime() ?? Number.NaN
  const db = await auditBookingsOfAnySize(target, event.id, created)
  const places = await buyerPlaces(target, event.id, options.maxSeatsPerBuyer)

  // Fairness: join order (when each buyer sent its join) against admission order (the step that
  // admitted it, and within a step the line's order: the step pops the line from its front).
  const admittedAtOf = (r: BuyerRecord) => (r.ticketId ? tickets.get(r.ticketId)?.admittedAt : undefined)
  const admittedEarly = records.filter((r) => r.early && admittedAtOf(r) !== undefined && earlyLine.has(r.ticketId!))
  const byAdmission = (line: Map<string, number>) => (a: BuyerRecord, b: BuyerRecord) =>
    (admittedAtOf(a) ?? Infinity) - (admittedAtOf(b) ?? Infinity) || (line.get(a.ticketId!) ?? Infinity) - (line.get(b.ticketId!) ?? Infinity)
  const rhoEarly = spearman(admittedEarly.map((r) => r.joinSentAt!), positions(admittedEarly, byAdmission(earlyLine)))
  const inEarlyLine = records.filter((r) => r.early && r.ticketId && earlyLine.has(r.ticketId))
  const rhoEarlyLine = spearman(inEarlyLine.map((r) => r.joinSentAt!), inEarlyLine.map((r) => earlyLine.get(r.ticketId!)!))
  // No late joiner is admitted while tens of thousands of early ones are ahead: their admission
  // order is the line's (the step takes it from the front), as Redis had it once all had joined.
  const lateTickets = records.filter((r) => !r.early && r.ticketId && (lateLine.has(r.ticketId) || admittedAtOf(r) !== undefined))
  const rhoLate = spearman(lateTickets.map((r) => r.joinSentAt!), positions(lateTickets, byAdmission(lateLine)))
  const admittedLate = lateTickets.filter((r) => admittedAtOf(r) !== undefined).length

  // Admissions per step against the rate's share of a second.
  const perStep = new Map<number, number>()
  for (const t of tickets.values()) if (t.admittedAt !== undefined) perStep.set(t.admittedAt, (perStep.get(t.admittedAt) ?? 0) + 1)
  const steps = [...perStep.keys()].sort((a, b) => a - b)
  const admitted = [...perStep.values()].reduce((s, n) => s + n, 0)
  const admittingS = steps.length ? (steps.at(-1)! - steps[0]!) / 1000 + 1 : Number.NaN
  const share = options.admitPerMinute / 60
  const mostInAStep = [...perStep.values()].reduce((m, n) => Math.max(m, n), 0)

  // Who heard "sold out", and how long after the last seat was sold.
  const heard = (by: 'stream' | 'poll') => records.filter((r) => r.outcome === 'sold out' && r.heardBy === by).map((r) => r.outcomeAt! - lastSoldAt)
  const toldStreams = heard('stream')
  const knownPolls = heard('poll')
  const streamedWaiting = records.filter((r) => r.streamed && r.ticketId && r.admittedSeenAt === undefined && r.outcome !== 'sold out at join')
  const streamedTold = streamedWaiting.filter((r) => r.outcome === 'sold out' && r.heardBy === 'stream').length
  const outcomes = new Map<string, number>()
  for (const r of records) outcomes.set(r.outcome ?? 'no answer', (outcomes.get(r.outcome ?? 'no answer') ?? 0) + 1)
  const reaction = (streamed: boolean) => records.filter((r) => r.streamed === streamed && r.admittedSeenAt !== undefined).map((r) => r.admittedSeenAt! - r.admittedAt!)
  const gaps = [...watches.values()].flatMap((w) => w.gaps)

  const joinTimes = earlyJoins.map((a) => a.answeredAt - a.dueAt)
  const joinService = earlyJoins.map((a) => a.answeredAt - a.sentAt)
  const statuses: Record<string, number> = {}
  for (const client of [joins, pollClient, books]) for (const [s, n] of client.statuses) statuses[String(s)] = (statuses[String(s)] ?? 0) + n
  const requests = Object.values(statuses).reduce((s, n) => s + n, 0) + streamOpens
  const oversoldByAnswers = [...seatWins.values()].filter((n) => n > 1).length
  const oversold = Math.max(db.oversold, oversoldByAnswers)
  const noAnswer = outcomes.get('no answer') ?? 0
  const joinFailures = [...earlyJoins, ...lateJoins].filter((a) => ![200, 201, 409].includes(a.reply.status)).length

  const rhoBound = Math.max(0.1, 4 / Math.sqrt(Math.max(1, admittedEarly.length - 1)))
  const checks = [
    check('every buyer got a final answer', noAnswer === 0, [...outcomes].map(([o, n]) => `${o}: ${n}`).join(', ')),
    check('every join answered', joinFailures === 0, `${joinFailures} joins failed (after retries)`),
    check('the sale sold out', db.bookedSeats === options.seats, `${db.bookedSeats} of ${options.seats} seats booked`),
    check('no seat answered 201 twice', oversoldByAnswers === 0, `${oversoldByAnswers} seats answered booked twice`),
    ...db.checks,
    check('no buyer above the limit', places.above === 0, `most places of one buyer: ${places.most} (limit ${options.maxSeatsPerBuyer}); ${places.above} above`),
    check('greedy buyers were refused by the limit', greedy.granted === 0 && greedy.refused === greedy.asked, `${greedy.asked} asked for 2 more, ${greedy.refused} refused BUYER_LIMIT_REACHED, ${greedy.granted} granted`),
    check('no step admitted more than the rate\'s share of a second', mostInAStep <= Math.ceil(share), `at most ${mostInAStep} in one step, rate ${round(share, 1)}/s`),
    check('every streamed buyer still waiting was told sold out by its stream', streamedTold === streamedWaiting.length, `${streamedTold} of ${streamedWaiting.length}`),
    // A shuffle's rho scatters around 0 with a standard deviation of 1/√(n−1): 0.1 at full size is
    // 3.7 of them, at smoke size (100 admitted) it would fail one run in three by chance alone.
    check('early joiners admitted in a shuffled order', Number.isFinite(rhoEarly) && Math.abs(rhoEarly) < rhoBound,
      `rho ${round(rhoEarly, 3)} over ${admittedEarly.length} admitted early joiners (bound ${round(rhoBound, 2)})`),
    check('late joiners queued in the order they came', Number.isFinite(rhoLate) && rhoLate > 0.9, `rho ${round(rhoLate, 3)} over ${lateTickets.length} late joiners`),
  ]
  const durationS = (endedAt - burstStart) / 1000
  return {
    scenario: 'waiting-room',
    system: target.name,
    label: options.label ?? WAITING_ROOM_LABEL,
    config: { connections: options.connections, durationS: round(durationS, 1) },
    // The row's figure is the burst: joins answered per second, and their latency as the buyers
    // saw it (from when each meant to join: a stack that falls behind makes them wait).
    throughput: (options.early / (burstEnd - burstStart)) * 1000,
    unit: 'joins/s',
    latencyMs: { p50: round(percentile(joinTimes, 50), 1), p90: round(percentile(joinTimes, 90), 1), p99: round(percentile(joinTimes, 99), 1), max: round(percentile(joinTimes, 100), 1) },
    requests,
    statuses,
    errors: noAnswer + joinFailures,
    audit: audit(checks),
    extra: {
      buyers: total,
      earlyJoiners: options.early,
      lateJoiners: options.late,
      seats: options.seats,
      admitPerMinute: options.admitPerMinute,
      admissionSeconds: options.admissionSeconds,
      streams: options.streams,
      // The burst.
      burstRequestedJoinsPerS: round(options.early / options.burstS),
      burstS: round((burstEnd - burstStart) / 1000, 1),
      joinP99Ms: round(percentile(joinTimes, 99), 1),
      joinServiceP99Ms: round(percentile(joinService, 99), 1),
      // The sale.
      sellOutMs: round(lastSoldAt - opensAt),
      soldOutToldStreamsMs: round(percentile(toldStreams, 100)),
      soldOutToldStreamsP50Ms: round(percentile(toldStreams, 50)),
      soldOutKnownPollsMs: round(percentile(knownPolls, 100)),
      soldOutKnownPollsP50Ms: round(percentile(knownPolls, 50)),
      seatsSold: db.bookedSeats,
      oversold,
      overLimit: places.above,
      mostPlacesOfABuyer: places.most,
      booked: outcomes.get('booked') ?? 0,
      gaveUp: outcomes.get('gave up') ?? 0,
      toldSoldOut: outcomes.get('sold out') ?? 0,
      soldOutAtJoin: outcomes.get('sold out at join') ?? 0,
      soldOutAtBooking: outcomes.get('sold out at booking') ?? 0,
      expiredUnused: outcomes.get('expired') ?? 0,
      bookingP99Ms: round(percentile(bookLatencies, 99), 1),
      admittedToBookingStreamP50Ms: round(percentile(reaction(true), 50)),
      admittedToBookingPollP50Ms: round(percentile(reaction(false), 50)),
      admittedToBookingPollP99Ms: round(percentile(reaction(false), 99)),
      // Fairness.
      rhoEarly: round(rhoEarly, 3),
      rhoEarlyAdmitted: admittedEarly.length,
      rhoEarlyLine: round(rhoEarlyLine, 4),
      rhoLate: round(rhoLate, 4),
      lateAdmitted: admittedLate,
      // Admission against the rate.
      admitted,
      admittedPerS: round(admitted / admittingS, 1),
      rateShareOfASecond: round(share, 1),
      mostAdmittedInAStep: mostInAStep,
      admissionSteps: steps.length,
      // What following the line cost.
      requestsPerBuyer: round(requests / total, 2),
      polls: pollers.polls,
      pollsPerS: round(pollers.polls / ((endedAt - opensAtPerf) / 1000)),
      streamFailures,
      streamDrops,
      positionGapP50Ms: round(percentile(gaps, 50)),
      positionGapP99Ms: round(percentile(gaps, 99)),
      status429: statuses['429'] ?? 0,
      status503: statuses['503'] ?? 0,
      ...busy('join', joins),
      ...busy('poll', pollClient),
      ...busy('booking', books),
      // Memory.
      redisBytesPerTicket: round(ticketBytes / options.early),
      redisUsedMemoryDeltaMb: round((memoryAfterBurst - memoryBefore) / 1048576, 1),
      gatewayCpuS,
      benchCpuS: round((benchUsage.user + benchUsage.system) / 1e6, 1),
    },
    rssMb,
  }
}

/**
 * The flash sale of the same run, without a waiting room, next to the waiting room's figures:
 * how long each took to sell out, requests per buyer, and the 429s and 503s each met.
 */
export function compareWithFlashSale (row: ScenarioResult, flash: ScenarioResult | undefined): ScenarioResult {
  if (!flash) return row
  return {
    ...row,
    extra: {
      ...row.extra,
      flashSaleBuyers: flash.extra?.buyers ?? Number.NaN,
      flashSaleSellOutMs: flash.extra?.sellOutMs ?? Number.NaN,
      flashSaleTimeToAllAnswersMs: flash.extra?.timeToAllAnswersMs ?? Number.NaN,
      flashSaleRequestsPerBuyer: flash.extra?.attemptsPerBuyer ?? Number.NaN,
      flashSaleP99Ms: flash.latencyMs?.p99 ?? Number.NaN,
      flashSale429: flash.statuses['429'] ?? 0,
      flashSale503: flash.statuses['503'] ?? 0,
    },
  }
}
