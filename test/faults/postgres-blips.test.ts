/**
 * Postgres goes away under booking load while Redis stays: (a) every backend of the stack is
 * terminated, three times a second apart, and the proxy drops every connection; (b) the proxy
 * cuts Postgres off for 3 s. The stack reaches Postgres through the proxy; the test's own
 * connections go direct. Pools must recover by themselves, and no answer may be half true.
 */
import pg from 'pg'
import t, { type Test } from 'tap'
import { BASE_DATABASE_URL } from '../harness/local-stack.ts'
import { type Answer, type SteadyLoad, steadyLoad } from '../harness/steady-load.ts'
import { startTcpProxy } from '../harness/tcp-proxy.ts'
import { createEvent, seatIds, signupMany } from '../helpers/api.ts'
import { startStack } from '../helpers/stack.ts'
import {
  badAnswers, bookedTwiceEver, countStatuses, formatCounts, fullAudit, inBatches, keyedRetryProblems, pollAll, rate,
  retryKeyed, sample, sleep, tokenOf, toldByPolls, toldIn, waitReady,
} from './outage-kit.ts'

/** Bookings flow again within this long of Postgres being reachable (worker retries back off). */
const RESUME_BOUND_MS = 8_000

/** The log lines that tell why a process went down: errors, raw stderr, exits; no warnings. */
function lastLines (output: string): string {
  return output.split('\n').filter((l) => l.trim() && (/"level":(50|60)/.test(l) || !l.startsWith('{')))
    .slice(-40).map((l) => l.slice(0, 700)).join('\n')
}

/** The gateway's 503s raised on a request-record read or write that comes after the send. */
function lateUnavailable (output: string): string {
  const seen = new Set<string>()
  for (const line of output.split('\n')) {
    if (!line.includes('infrastructure unavailable')) continue
    let err: { message?: string, stack?: string } | undefined
    try {
      err = JSON.parse(line).err
    } catch {
      continue
    }
    const frames = (err?.stack ?? '').split('\n').filter((f) => f.includes('/apps/') || f.includes('/packages/'))
    if (frames.some((f) => /findOwned|recordPending/.test(f))) seen.add(`${err?.message}\n${frames.map((f) => f.trim()).join('\n')}`)
  }
  return [...seen].join('\n')
}

type TestStack = Awaited<ReturnType<typeof startStack>>
type TcpProxy = Awaited<ReturnType<typeof startTcpProxy>>

/** A stack of its own per case, so that one case's casualties do not decide the other's. */
async function proxiedStack (t: Test): Promise<{ proxy: TcpProxy, stack: TestStack }> {
  const proxy = await startTcpProxy(BASE_DATABASE_URL)
  t.teardown(() => proxy.close())
  // A wait shorter than the outage, as any outage longer than BOOKING_WAIT_MS makes it: the
  // clients caught by it are answered while Postgres is still away.
  const stack = await startStack({ workers: 2, databaseUrlFor: (url) => proxy.urlFor(url), env: { BOOKING_WAIT_MS: '2000' } })
  t.teardown(() => stack.stop({ graceMs: 5_000 }))
  return { proxy, stack }
}

interface Fault {
  /** When the fault began and when Postgres was whole again, by the load's clock. */
  startAt: number
  endAt: number
  notes: string[]
  /** What shows the fault really happened: every pass condition below also holds if nothing was cut. */
  happened: Array<[ok: boolean, what: string]>
}

/**
 * Keyed and plain bookings under load while `fault` runs; then every 202 polled, every keyed
 * request retried twice with its key, and the database audited.
 */
async function blipUnderLoad (t: Test, name: string, fault: (now: () => number, proxy: TcpProxy, stack: TestStack) => Promise<Fault>) {
  const { proxy, stack } = await proxiedStack(t)
  try {
    await underLoad(t, name, fault, proxy, stack)
  } catch (error) {
    // A request that threw (a gateway gone): what the stack printed says why.
    t.comment(`${name}: what the stack printed last:\n${lastLines(stack.output())}`)
    throw error
  }
}

async function underLoad (t: Test, name: string, fault: (now: () => number, proxy: TcpProxy, stack: TestStack) => Promise<Fault>, proxy: TcpProxy, stack: TestStack) {
  const processes = [...stack.gateways, ...stack.workers]
  // Keyed 503s come back fast: spread them over enough buyers to stay under the rate limit.
  const tokens = (await signupMany(stack.url, 8)).map((u) => u.token)
  // One request per seat, and keyed requests meet a cut with fast 503s: seats to spare.
  const keyedSeats = seatIds('K', 10_000)
  const plainSeats = seatIds('P', 3_000)
  const event = await createEvent(stack.url, tokens[0]!, { seats: [...keyedSeats, ...plainSeats] })
  const loads = [
    steadyLoad({ urls: () => stack.urls, eventId: event.id, tokens, seats: keyedSeats, concurrency: 4, keyed: true }),
    steadyLoad({ urls: () => stack.urls, eventId: event.id, tokens, seats: plainSeats, concurrency: 2 }),
  ]
  const [keyed, plain] = loads as [SteadyLoad, SteadyLoad]
  const now = keyed.now
  const tokenFor = (() => {
    const [k, p] = [tokenOf(keyedSeats, tokens), tokenOf(plainSeats, tokens)]
    return (seatId: string) => seatId.startsWith('K') ? k(seatId) : p(seatId)
  })()

  await sleep(2_000)
  const rateBefore = rate(keyed, now() - 2_000, now()) + rate(plain, now() - 2_000, now())
  const { startAt, endAt, notes, happened } = await fault(now, proxy, stack)
  const readyAt = await waitReady(stack.url, 15_000, now)
  await sleep(5_000)
  for (const load of loads) load.stop()
  const finished = await Promise.race([Promise.all(loads.map((l) => l.done)).then(() => true), sleep(30_000, false, { ref: false })])
  t.ok(finished, 'every client waiting on an answer got one')

  const answers: Answer[] = [...keyed.answers, ...plain.answers]
  const resumed = [keyed.firstBookedAfter(endAt), plain.firstBookedAfter(endAt)].filter((a) => a !== undefined).sort((a, b) => a.answeredAt - b.answeredAt)[0]
  const resumeMs = resumed ? resumed.answeredAt - endAt : undefined
  const window = (l: SteadyLoad) => formatCounts(l.statuses(startAt, endAt))
  const all = (from = 0, to = Infinity) => formatCounts(countStatuses(answers.filter((a) => a.sentAt >= from && a.sentAt < to).map((a) => a.status)))
  t.comment(`${name}: load at the fault: 6 requests in flight (4 keyed, 2 plain), ${rateBefore} answers/s over the 2 s before`)
  for (const note of notes) t.comment(`${name}: ${note}`)
  t.comment(`${name}: bookings flowing again ${resumeMs === undefined ? 'never' : `${resumeMs} ms after postgres was whole`} (first 201 of a request sent after it); /ready 200 again ${readyAt === undefined ? 'never' : `${readyAt - endAt} ms`} after`)
  t.comment(`${name}: answers to requests sent during the fault [${startAt}, ${endAt}) ms: ${all(startAt, endAt)} (keyed ${window(keyed)}, plain ${window(plain)})`)
  t.comment(`${name}: answers overall (${answers.length}): ${all()} (keyed ${formatCounts(keyed.statuses())}, plain ${formatCounts(plain.statuses())})`)
  for (const [ok, what] of happened) t.ok(ok, `the fault was real: ${what}`)

  const dead = processes.filter((p) => !p.alive)
  if (dead.length > 0) {
    // Nothing more can be asked of a stack that lost a process: say what it printed.
    t.fail(`the pools recovered without a restart: ${dead.map((p) => `${p.role} ${p.pid}`).join(', ')} died`)
    t.comment(`${name}: what the stack printed last:\n${lastLines(stack.output())}`)
    const audit = await fullAudit(stack.db, event.id, new Set(toldIn(answers)))
    t.comment(`${name}: audit (201s only, nothing polled): lost = ${audit.lost.length}, doubled = ${audit.doubled.length}, booked but never told = ${audit.untold.length}, still pending = ${audit.pending}`)
    t.same(audit.lost, [], 'lost = 0 even so')
    t.same(audit.doubled, [], 'doubled = 0 even so')
    return
  }

  const toPoll = answers.filter((a) => a.status === 202)
  const ends = await pollAll(stack.url, toPoll.map((a) => ({ requestId: a.body.requestId, token: tokenFor(a.seatId) })), 45_000, now)
  const endCounts = countStatuses([...ends.values()].map((e) => e.status))

  // Seats whose only request got 503 or failed, before anyone asks for them again.
  const early = await fullAudit(stack.db, event.id, new Set())
  const changedNothing = answers.filter((a) => a.status === 503 || (a.status === 202 && ends.get(a.body.requestId)?.status === 'failed'))
  const halfDone = changedNothing.filter((a) => early.bookedSeats.has(a.seatId))

  // Retried with their keys: every keyed request not plainly booked, every one near the fault,
  // and every tenth of the rest (thousands of replays would only repeat the same check).
  const toRetry = keyed.answers.filter((a, i) => a.status !== 201 || (a.sentAt >= startAt - 1_000 && a.sentAt < endAt + 2_000) || i % 10 === 0)
  const firstRetries = await inBatches(toRetry, 6, (a) => retryKeyed(stack.url, event.id, tokenFor(a.seatId), a.seatId, a.key))
  const secondRetries = await inBatches(toRetry, 6, (a) => retryKeyed(stack.url, event.id, tokenFor(a.seatId), a.seatId, a.key))
  const keyProblems = keyedRetryProblems(toRetry, ends, firstRetries, secondRetries, early.bookedSeats)

  const told = new Set([...toldIn(answers), ...toldByPolls(ends.values()), ...toldIn(firstRetries)])
  const audit = await fullAudit(stack.db, event.id, told)
  t.comment(`${name}: 202s polled to ${formatCounts(endCounts)}; ${toRetry.length} keyed requests retried twice with their keys: ${formatCounts(countStatuses(firstRetries.map((r) => r.status)))} / ${formatCounts(countStatuses(secondRetries.map((r) => r.status)))}`)
  t.comment(`${name}: audit: lost = ${audit.lost.length}, doubled = ${audit.doubled.length}, booked but never told = ${audit.untold.length}, still pending = ${audit.pending}`)

  if (halfDone.length > 0) t.comment(`${name}: where the gateway answered 503 after queueing the command:\n${lateUnavailable(stack.output())}`)
  const bad = badAnswers(answers, [201, 202, 503])
  t.equal(bad.length, 0, `only 201, 202 or 503 UNAVAILABLE with Retry-After; never a 500${bad.length ? `\n${sample(bad)}` : ''}`)
  t.ok([...ends.values()].every((e) => e.status === 'succeeded' || e.status === 'failed'), `every 202 polled to succeeded or failed (${formatCounts(endCounts)})`)
  t.same(halfDone.map((a) => `${a.seatId} ${a.status}`), [], 'a request answered 503 (or polled to failed) booked nothing')
  t.same(keyProblems, [], 'a keyed request retried with its key gets its original booking, or books once if it had none')
  t.same(await bookedTwiceEver(stack.db, event.id), [], 'no seat was ever in a second booking, cancelled ones included')
  t.ok(resumeMs !== undefined && resumeMs <= RESUME_BOUND_MS, `bookings flow again within ${RESUME_BOUND_MS / 1000} s (${resumeMs} ms)`)
  t.ok(readyAt !== undefined, '/ready is 200 again')
  t.same(audit.lost, [], 'lost = 0: every 201 and every succeeded poll is in the database')
  t.same(audit.doubled, [], 'doubled = 0: no seat has two active bookings')
  t.same(audit.untold, [], 'every active booking was told to its buyer')
  t.equal(audit.pending, 0, 'no request is left pending')
  t.ok(processes.every((p) => p.alive), `the pools recovered without a restart: pids ${processes.map((p) => p.pid).join(', ')} all alive`)
  t.equal(stack.processes.length, processes.length, 'and no process was started')
}

t.test('(a) every backend terminated three times, and the proxy drops every connection', (t) => blipUnderLoad(t, 'postgres-blips (a) terminations', async (now, proxy, stack) => {
  const admin = new pg.Client({ connectionString: stack.databaseUrl })
  admin.on('error', () => {})
  await admin.connect()
  const rounds: Array<{ all: number, gateway: number, worker: number }> = []
  let dropped = 0
  const startAt = now()
  try {
    for (let i = 0; i < 3; i++) {
      if (i > 0) await sleep(1_000)
      // Terminated first, counted after (a CTE runs its volatile calls for every row): the
      // stack's own backends are told apart from the test's by their application_name.
      const { rows } = await admin.query<{ n: string, gateway: string, worker: string }>(`
        with cut as (select application_name, pg_terminate_backend(pid) as ok from pg_stat_activity
                      where datname = current_database() and pid <> pg_backend_pid())
        select count(*) filter (where ok) as n,
               count(*) filter (where ok and application_name = 'seatline-gateway') as gateway,
               count(*) filter (where ok and application_name = 'seatline-worker') as worker
          from cut`)
      rounds.push({ all: Number(rows[0]!.n), gateway: Number(rows[0]!.gateway), worker: Number(rows[0]!.worker) })
      // Between the first two: the network drops every connection as well.
      if (i === 0) {
        await sleep(500)
        dropped = proxy.openConnections
        proxy.terminateAll()
      }
    }
  } finally {
    await admin.end()
  }
  const endAt = now()
  const sum = (role: 'gateway' | 'worker') => rounds.reduce((n, r) => n + r[role], 0)
  return {
    startAt,
    endAt,
    notes: [`backends terminated at ${startAt} ms and twice more a second apart: ${rounds.map((r) => `${r.all} (gateway ${r.gateway}, workers ${r.worker})`).join(', ')}; proxy connections dropped in between: ${dropped}`],
    // Under load both pools hold connections: a run that terminated none of them tested nothing.
    happened: [
      [sum('gateway') > 0, `the gateway's backends were terminated (${sum('gateway')} over the three rounds)`],
      [sum('worker') > 0, `the workers' backends were terminated (${sum('worker')} over the three rounds)`],
    ],
  }
}))

t.test('(b) postgres unreachable for 3 s', (t) => blipUnderLoad(t, 'postgres-blips (b) cut', async (now, proxy, stack) => {
  const startAt = now()
  const dropped = proxy.openConnections
  await proxy.cut()
  // /ready asked all through the cut (answers that come back before the restore): it runs a
  // query, so it must say 503 while Postgres is away. The cut lasts 3 s whatever /ready takes.
  const ready: Array<number | string> = []
  const state = { restored: false }
  const asking = (async () => {
    while (!state.restored) {
      const status = (await fetch(`${stack.url}/ready`).catch(() => ({ status: 'no answer' }))).status
      if (!state.restored) ready.push(status)
      await sleep(200)
    }
  })()
  await sleep(3_000)
  await proxy.restore()
  state.restored = true
  const endAt = now()
  await asking
  return {
    startAt,
    endAt,
    notes: [`postgres cut off for ${endAt - startAt} ms (from ${startAt} ms), ${dropped} proxied connections dropped; /ready during: ${formatCounts(countStatuses(ready))}`],
    happened: [
      [dropped > 0, `the stack's connections went through the proxy and were dropped (${dropped})`],
      [ready.includes(503), `/ready said 503 during the cut (${formatCounts(countStatuses(ready))})`],
    ],
  }
}))
