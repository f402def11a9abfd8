/**
 * Postgres fails over under booking load, as it does in production with a synchronous standby
 * (Patroni, a managed database): the primary's machine dies (every process of it SIGKILLed at
 * once), and 1.5 s later the standby is promoted. The stack knows both servers from one
 * libpq-style DATABASE_URL (`…@primary,standby/db?target_session_attrs=read-write`) and must
 * find the new primary by itself, with no process restarted. Every booking answered 201 before
 * the crash must be on the new primary: the standby flushed each commit before it was answered.
 *
 * On the code before multi-host URLs, nothing starts: DATABASE_URL with two hosts is no valid
 * URL to `new URL`, so every process exits at start with a ConfigError.
 */
import { randomUUID } from 'node:crypto'
import { isInfrastructureFault, loadConfig, redactUrl } from '@seatline/config'
import { createDb, type Db, dropDatabase, ensureDatabase, poolStats } from '@seatline/db'
import { sql } from 'kysely'
import t from 'tap'
import { auditBookings } from '../harness/booking-audit.ts'
import { freePort, uniqueName } from '../harness/local-stack.ts'
import { startPostgresPair } from '../harness/postgres-pair.ts'
import { type Answer, steadyLoad } from '../harness/steady-load.ts'
import { call, createEvent, seatIds, signupMany } from '../helpers/api.ts'
import { startStack } from '../helpers/stack.ts'
import {
  badAnswers, bookedTwiceEver, countStatuses, formatCounts, fullAudit, inBatches, keyedRetryProblems, pollAll, rate,
  retryKeyed, sample, sleep, tokenOf, toldByPolls, toldIn, waitReady,
} from './outage-kit.ts'

/** Bookings flow again within this long of the promotion. */
const RESUME_BOUND_MS = 10_000
/** The switch: from the primary's crash to the standby's promotion, no server takes writes. */
const NO_PRIMARY_MS = 1_500

const pair = await startPostgresPair()
t.teardown(() => pair.stop())

/** Where a Db's connections are, as (server port, in recovery). */
async function whereIs (db: Db): Promise<{ port: number, recovering: boolean }> {
  const { rows } = await sql<{ port: number, recovering: boolean }>`select inet_server_port() as port, pg_is_in_recovery() as recovering`.execute(db)
  return rows[0]!
}

function urlOf (ports: number[], database: string, attrs = 'read-write'): string {
  return `postgres://postgres@${ports.map((p) => `127.0.0.1:${p}`).join(',')}/${database}?target_session_attrs=${attrs}`
}

t.test('a multi-host DATABASE_URL: the writable host is found, and none is an outage', async (t) => {
  const [P, S] = [pair.primary.port, pair.standby.port]

  t.equal(loadConfig({ NODE_ENV: 'test', DATABASE_URL: urlOf([P, S], 'x') }).databaseUrl, urlOf([P, S], 'x'), 'config takes a multi-host URL as it is')
  t.throws(() => loadConfig({ NODE_ENV: 'test', DATABASE_URL: `postgres://postgres@127.0.0.1:${P},127.0.0.1:${S}/x` }), /DATABASE_URL lists 2 hosts: add \?target_session_attrs=read-write/,
    'several hosts without target_session_attrs: refused at start, a standby could be chosen')
  t.throws(() => loadConfig({ NODE_ENV: 'test', DATABASE_URL: urlOf([P, S], 'x', 'standby') }), /needs a primary/, 'a session kind Seatline cannot write to: refused')
  t.equal(redactUrl('postgres://u:s3cr@t@h1:5432,h2:5432/db?target_session_attrs=read-write'), 'postgres://u:***@h1:5432,h2:5432/db?target_session_attrs=read-write', 'the password is redacted from a multi-host URL')

  const standbyFirst = createDb(urlOf([S, P], 'postgres'), { max: 2 })
  t.teardown(() => standbyFirst.destroy())
  t.same(await whereIs(standbyFirst), { port: P, recovering: false }, 'standby listed first: skipped as read-only, the primary serves')
  t.equal(poolStats(standbyFirst).total, 1, 'poolStats counts the multi-host pool\'s clients')
  const primaryAttrs = createDb(urlOf([S, P], 'postgres', 'primary'), { max: 1 })
  t.teardown(() => primaryAttrs.destroy())
  t.same(await whereIs(primaryAttrs), { port: P, recovering: false }, 'target_session_attrs=primary: the same, by pg_is_in_recovery()')

  const single = createDb(pair.standby.url(), { max: 1 })
  t.teardown(() => single.destroy())
  t.same(await whereIs(single), { port: S, recovering: true }, 'a single-host URL is a plain pool, as before: no session check')

  const closed = await freePort()
  const none = createDb(urlOf([closed, S], 'postgres'), { max: 1 })
  t.teardown(() => none.destroy())
  const error = await sql`select 1`.execute(none).then(() => undefined, (e: unknown) => e as { code?: string, message: string, name: string })
  t.equal(error?.name, 'NoUsableHostError', 'no writable host: the connect fails')
  t.equal(error?.code, '08001', 'with SQLSTATE 08001 (cannot establish a connection)')
  t.match(error?.message, new RegExp(`127\\.0\\.0\\.1:${closed} \\(connect ECONNREFUSED.*127\\.0\\.0\\.1:${S} \\(read-only\\)`), 'naming each host and why it was passed over')
  t.ok(isInfrastructureFault(error), 'classified as an infrastructure fault: a gateway answers 503 UNAVAILABLE, a job retries')
  const missing = createDb(urlOf([S, P], 'no_such_database'), { max: 1 })
  t.teardown(() => missing.destroy())
  const wrong = await sql`select 1`.execute(missing).then(() => undefined, (e: unknown) => e as { code?: string })
  t.equal(wrong?.code, '3D000', 'every host refusing for a reason of its own (no such database) is that error, not an outage')
  t.notOk(isInfrastructureFault(wrong))

  const name = uniqueName('failover')
  await ensureDatabase(urlOf([S, P], name))
  const [created] = await pair.primary.query<{ n: string }>(`select count(*) as n from pg_database where datname = '${name}'`)
  t.equal(created?.n, '1', 'ensureDatabase through a multi-host URL, standby first: created on the primary')
  await dropDatabase(urlOf([S, P], name))
  const [dropped] = await pair.primary.query<{ n: string }>(`select count(*) as n from pg_database where datname = '${name}'`)
  t.equal(dropped?.n, '0', 'and dropDatabase drops it there')
})

t.test('the primary crashes under booking load; the standby is promoted', async (t) => {
  let database = ''
  const stack = await startStack({
    workers: 2,
    // The stack's processes know only the pair; `stack.db` (the shared server) is left unused.
    databaseUrlFor: (url) => {
      database = new URL(url).pathname.slice(1)
      return pair.multiHostUrl(database)
    },
    // A wait shorter than the switch, so some clients are answered 202 while it lasts.
    env: { BOOKING_WAIT_MS: '2000' },
  })
  t.teardown(() => stack.stop({ graceMs: 5_000 }))
  const processes = [...stack.gateways, ...stack.workers]
  t.equal(stack.env.DATABASE_URL, pair.multiHostUrl(database), 'the processes run on the multi-host URL (they created and migrated the database through it)')

  const seatline = (rows: Array<{ n: string }>) => Number(rows[0]?.n ?? 0)
  const sessionsOn = async (node: typeof pair.primary) => seatline(await node.query<{ n: string }>(`select count(*) as n from pg_stat_activity where datname = '${database}' and application_name like 'seatline-%'`))
  const [replication] = await pair.primary.query<{ sync_state: string }>("select sync_state from pg_stat_replication where application_name = 'seatline_standby'")
  t.equal(replication?.sync_state, 'sync', 'before the crash: the standby is synchronous')

  const tokens = (await signupMany(stack.url, 8)).map((u) => u.token)
  const keyedSeats = seatIds('K', 10_000)
  const plainSeats = seatIds('P', 3_000)
  const event = await createEvent(stack.url, tokens[0]!, { seats: [...keyedSeats, ...plainSeats] })
  const keyed = steadyLoad({ urls: () => stack.urls, eventId: event.id, tokens, seats: keyedSeats, concurrency: 6, keyed: true })
  const plain = steadyLoad({ urls: () => stack.urls, eventId: event.id, tokens, seats: plainSeats, concurrency: 2 })
  const loads = [keyed, plain]
  const now = keyed.now
  const tokenFor = (() => {
    const [k, p] = [tokenOf(keyedSeats, tokens), tokenOf(plainSeats, tokens)]
    return (seatId: string) => seatId.startsWith('K') ? k(seatId) : p(seatId)
  })()

  await sleep(2_500)
  const rateBefore = rate(keyed, now() - 2_000, now()) + rate(plain, now() - 2_000, now())
  const onPrimaryBefore = await sessionsOn(pair.primary)
  const primaryPid = pair.primary.pid
  const killAt = now()
  const killed = await pair.killPrimary()
  const killedMs = now() - killAt
  // Nobody takes writes now: a read that needs Postgres meets the failed connect.
  await sleep(500)
  const during = await call(stack.url, 'GET', `/v1/requests/${randomUUID()}`, { token: tokens[0]! })
  await sleep(NO_PRIMARY_MS - 500)
  const promoteAt = now()
  await pair.promoteStandby()
  const promotedAt = now()
  const [promoted] = await pair.standby.query<{ recovering: boolean }>('select pg_is_in_recovery() as recovering')
  const readyAt = await waitReady(stack.url, 15_000, now)
  await sleep(6_000)
  for (const load of loads) load.stop()
  const finished = await Promise.race([Promise.all(loads.map((l) => l.done)).then(() => true), sleep(30_000, false, { ref: false })])
  t.ok(finished, 'every client waiting on an answer got one')

  const answers: Answer[] = [...keyed.answers, ...plain.answers]
  const resumed = [keyed.firstBookedAfter(promotedAt), plain.firstBookedAfter(promotedAt)].filter((a) => a !== undefined).sort((a, b) => a.answeredAt - b.answeredAt)[0]
  const resumeMs = resumed ? resumed.answeredAt - promotedAt : undefined
  // Requests the switch reached: in flight at the crash or sent before the promotion, and not
  // simply booked before the crash.
  const affected = answers.filter((a) => a.answeredAt >= killAt && a.sentAt < promotedAt)
  const all = (from = 0, to = Infinity) => formatCounts(countStatuses(answers.filter((a) => a.sentAt >= from && a.sentAt < to).map((a) => a.status)))
  t.comment(`failover: load at the crash: 8 requests in flight (6 keyed, 2 plain), ${rateBefore} answers/s over the 2 s before; ${onPrimaryBefore} Seatline sessions on the primary`)
  t.comment(`failover: primary (pid ${primaryPid}) and its ${killed.length - 1} children SIGKILLed at ${killAt} ms (all gone ${killedMs} ms later); promotion asked at ${promoteAt} ms, done at ${promotedAt} ms (${promotedAt - promoteAt} ms)`)
  t.comment(`failover: bookings flowing again ${resumeMs === undefined ? 'never' : `${resumeMs} ms after the promotion, ${resumed!.answeredAt - killAt} ms after the crash`} (first 201 of a request sent after the promotion); /ready 200 again ${readyAt === undefined ? 'never' : `${readyAt - promotedAt} ms`} after it`)
  t.comment(`failover: answers to requests sent from the crash to the promotion [${killAt}, ${promotedAt}) ms: ${all(killAt, promotedAt)}; in flight across it: ${formatCounts(countStatuses(affected.map((a) => a.status)))}`)
  t.comment(`failover: answers overall (${answers.length}): ${all()} (keyed ${formatCounts(keyed.statuses())}, plain ${formatCounts(plain.statuses())})`)

  // The fault happened, and was met.
  t.ok(primaryPid !== undefined && killed.includes(primaryPid), `the primary's postmaster (pid ${primaryPid}) was among the processes killed`)
  t.equal(pair.primary.pid, undefined, 'and it is gone')
  t.equal(promoted?.recovering, false, 'the standby reported pg_is_in_recovery() = false after the promotion')
  t.ok(affected.some((a) => a.status !== 201 || a.answeredAt > promotedAt), `requests were caught by the switch (${affected.length} answered after the crash and sent before the promotion)`)
  t.equal(during.status, 503, 'a request needing Postgres while no host is writable: 503')
  t.equal(during.body?.code, 'UNAVAILABLE', 'UNAVAILABLE')
  t.ok(during.headers.get('retry-after'), 'with Retry-After')
  t.match(stack.output(), /no PostgreSQL host took a read-write session/, 'the gateway logged the failed host selection (the standby was tried and was read-only)')
  t.match(stack.output(), /database connections now go to another host/, 'the processes logged their move to the new primary')
  t.ok(await sessionsOn(pair.standby) > 0, 'after the promotion the stack\'s sessions are on the former standby')

  const dead = processes.filter((p) => !p.alive)
  t.same(dead.map((p) => `${p.role} ${p.pid}`), [], 'no Seatline process died')
  t.equal(stack.processes.length, processes.length, 'and none was started: the pools found the new primary by themselves')
  const jobFailures = stack.output().split('\n').filter((l) => l.includes('"msg":"job failed"'))
  const gaveUp = jobFailures.filter((l) => l.includes('"final":true'))
  t.comment(`failover: ${jobFailures.length} job runs failed on the switch and were retried`)
  t.same(gaveUp, [], 'no job gave up (no buyer was told UNAVAILABLE by a worker)')

  const bad = badAnswers(answers, [201, 202, 503])
  t.equal(bad.length, 0, `only 201, 202 or 503 UNAVAILABLE with Retry-After; never a 500${bad.length ? `\n${sample(bad)}` : ''}`)
  t.ok(resumeMs !== undefined && resumeMs <= RESUME_BOUND_MS, `bookings flow again within ${RESUME_BOUND_MS / 1000} s of the promotion (${resumeMs} ms)`)

  const newPrimary = createDb(pair.standby.url(database), { max: 4 })
  t.teardown(() => newPrimary.destroy())
  const toldBeforeCrash = toldIn(answers.filter((a) => a.answeredAt <= killAt))
  const before = await auditBookings(newPrimary, event.id, toldBeforeCrash)
  t.comment(`failover: ${toldBeforeCrash.length} bookings answered 201 before the crash; ${toldBeforeCrash.length - before.lost.length} of them on the promoted standby`)
  t.ok(toldBeforeCrash.length > 0, 'bookings were answered before the crash')
  t.same(before.lost, [], 'every booking answered 201 before the crash is on the new primary')

  const toPoll = answers.filter((a) => a.status === 202)
  const ends = await pollAll(stack.url, toPoll.map((a) => ({ requestId: a.body.requestId, token: tokenFor(a.seatId) })), 45_000, now)
  const endCounts = countStatuses([...ends.values()].map((e) => e.status))
  t.ok([...ends.values()].every((e) => e.status === 'succeeded' || e.status === 'failed'), `every 202 polled to succeeded or failed (${formatCounts(endCounts)})`)

  // Seats whose only request got 503 or failed, before anyone asks for them again.
  const early = await fullAudit(newPrimary, event.id, new Set())
  const changedNothing = answers.filter((a) => a.status === 503 || (a.status === 202 && ends.get(a.body.requestId)?.status === 'failed'))
  t.same(changedNothing.filter((a) => early.bookedSeats.has(a.seatId)).map((a) => `${a.seatId} ${a.status}`), [], 'a request answered 503 (or polled to failed) booked nothing')

  // Retried with their keys: every keyed request not plainly booked, every one answered in the
  // second before the crash or during the switch, and every tenth of the rest.
  const toRetry = keyed.answers.filter((a, i) => a.status !== 201 || (a.answeredAt >= killAt - 1_000 && a.sentAt < promotedAt + 2_000) || i % 10 === 0)
  const firstRetries = await inBatches(toRetry, 6, (a) => retryKeyed(stack.url, event.id, tokenFor(a.seatId), a.seatId, a.key))
  const secondRetries = await inBatches(toRetry, 6, (a) => retryKeyed(stack.url, event.id, tokenFor(a.seatId), a.seatId, a.key))
  const retriedBeforeCrash = toRetry.filter((a) => a.status === 201 && a.answeredAt <= killAt)
  t.comment(`failover: 202s polled to ${formatCounts(endCounts)}; ${toRetry.length} keyed requests retried twice with their keys (${retriedBeforeCrash.length} of them answered 201 before the crash): ${formatCounts(countStatuses(firstRetries.map((r) => r.status)))} / ${formatCounts(countStatuses(secondRetries.map((r) => r.status)))}`)
  t.ok(retriedBeforeCrash.length > 0, 'keyed bookings answered 201 before the crash were retried')
  t.same(keyedRetryProblems(toRetry, ends, firstRetries, secondRetries, early.bookedSeats), [], 'a keyed retry gets its original booking (same booking id), or books once if it had none')

  const told = new Set([...toldIn(answers), ...toldByPolls(ends.values()), ...toldIn(firstRetries)])
  const audit = await fullAudit(newPrimary, event.id, told)
  t.comment(`failover: audit on the new primary: lost = ${audit.lost.length}, doubled = ${audit.doubled.length}, booked but never told = ${audit.untold.length}, still pending = ${audit.pending}`)
  t.same(audit.lost, [], 'lost = 0: every 201 and every succeeded poll is on the new primary')
  t.same(audit.doubled, [], 'doubled = 0: no seat has two active bookings')
  t.same(await bookedTwiceEver(newPrimary, event.id), [], 'no seat was ever in a second booking, cancelled ones included')
  t.same(audit.untold, [], 'every active booking was told to its buyer')
  t.equal(audit.pending, 0, 'no request is left pending')
  t.ok(readyAt !== undefined, '/ready is 200 again')
  if (!t.passing()) t.comment(`what the pair logged:\n${pair.output().slice(-3000)}`)
})
