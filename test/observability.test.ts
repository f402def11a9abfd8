import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { logOptions } from '@seatline/config'
import pino from 'pino'
import t from 'tap'
import { startApp } from './harness/app.ts'
import { call, createEvent, seatIds, signup } from './helpers/api.ts'
import { freePort, startStack } from './helpers/stack.ts'

/** The sum of every series of `name` whose labels include `labels`, in Prometheus text. */
function sample (text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum: number | undefined
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const own = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
    if (Object.entries(labels).every(([k, v]) => own[k] === v)) sum = (sum ?? 0) + Number(match[3])
  }
  return sum
}

async function scrape (url: string): Promise<string> {
  const res = await fetch(`${url}/metrics`)
  if (res.status !== 200) throw new Error(`GET ${url}/metrics: ${res.status}`)
  return res.text()
}

const metricsPort = await freePort()
const stack = await startStack({ workers: 1, env: { LOG_LEVEL: 'info', WORKER_METRICS_PORT: String(metricsPort) } })
t.teardown(() => stack.stop())
const workerUrl = `http://127.0.0.1:${metricsPort}`
const BOOKINGS = '/v1/events/:eventId/bookings'

t.test('the gateway\'s and a worker\'s /metrics move with a few bookings', async (t) => {
  const buyer = await signup(stack.url)
  const event = await createEvent(stack.url, buyer.token, { seats: seatIds('M', 5) })
  const [gatewayBefore, workerBefore] = [await scrape(stack.url), await scrape(workerUrl)]

  for (const seat of ['M1', 'M2', 'M3']) {
    const res = await call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, { token: buyer.token, body: { seatIds: [seat] } })
    t.equal(res.status, 201, `${seat} booked`)
  }
  const taken = await call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, { token: buyer.token, body: { seatIds: ['M1'] } })
  t.equal(taken.status, 409, 'a taken seat is refused')
  const unknown = await call(stack.url, 'GET', '/no/such/route')
  t.equal(unknown.status, 404)

  const gateway = await scrape(stack.url)
  const worker = await scrape(workerUrl)
  const moved = (text: string, before: string, name: string, labels: Record<string, string> = {}) =>
    (sample(text, name, labels) ?? 0) - (sample(before, name, labels) ?? 0)

  t.equal(moved(gateway, gatewayBefore, 'seatline_http_request_duration_seconds_count', { route: BOOKINGS, status_code: '201', method: 'POST' }), 3,
    'the latency histogram counted three 201s on the bookings route')
  t.ok(moved(gateway, gatewayBefore, 'seatline_http_request_duration_seconds_sum', { route: BOOKINGS }) > 0, 'and their time')
  t.equal(moved(gateway, gatewayBefore, 'seatline_http_request_duration_seconds_count', { route: 'unmatched', status_code: '404' }), 1,
    'an unknown URL is counted under one label, not its path')
  t.equal(moved(gateway, gatewayBefore, 'seatline_problems_total', { code: 'SEATS_UNAVAILABLE' }), 1, 'problems are counted by code')
  t.equal(moved(gateway, gatewayBefore, 'seatline_problems_total', { code: 'ROUTE_NOT_FOUND' }), 1)
  t.not(sample(gateway, 'seatline_queue_jobs', { partition: '0', state: 'waiting' }), undefined, 'queue depth per partition and state')
  t.ok((sample(gateway, 'seatline_db_pool_connections', { state: 'total' }) ?? 0) > 0, 'the gateway\'s pool is open')
  t.ok((sample(gateway, 'process_resident_memory_bytes', { service: 'gateway' }) ?? 0) > 0, 'process metrics, labelled by service')

  t.ok(moved(worker, workerBefore, 'seatline_command_outcomes_total', { command: 'book-seats', outcome: 'booking' }) >= 3,
    'the worker counted the bookings by outcome')
  const jobs = moved(worker, workerBefore, 'seatline_job_run_seconds_count')
  t.ok(jobs >= 1 && jobs <= 4, `job run times were observed (${jobs} jobs)`)
  t.equal(moved(worker, workerBefore, 'seatline_job_wait_seconds_count'), jobs, 'a wait time for each job')
  t.ok(moved(worker, workerBefore, 'seatline_job_batch_size_sum') >= 3, 'batch sizes add up to the commands run')
  t.equal(moved(worker, workerBefore, 'seatline_lock_acquire_seconds_count'), jobs, 'a lock time for each job')
  t.equal(sample(worker, 'seatline_jobs_stalled_total'), 0, 'no stalled jobs on a healthy stack')
  t.equal(sample(worker, 'seatline_jobs_failed_total', { final: 'true' }), 0, 'no failed jobs, a series from zero')
  t.ok((sample(worker, 'seatline_db_pool_connections', { state: 'total', service: 'worker' }) ?? 0) > 0, 'the worker\'s pool is open')

  // What operators read must exist: every seatline_ series the dashboard and the operations
  // guide name is served by a gateway or a worker.
  const served = new Set([...`${gateway}\n${worker}`.matchAll(/^(seatline_\w+?)(?:_bucket|_count|_sum)?[{ ]/gm)].map((m) => m[1]))
  for (const file of ['deploy/grafana/dashboards/seatline.json', 'docs/operations.md']) {
    const named = new Set([...(await readFile(new URL(`../${file}`, import.meta.url), 'utf8')).matchAll(/seatline_[a-z_]+[a-z]/g)]
      .map((m) => m[0].replace(/_(bucket|count|sum)$/, '')).filter((name) => !/^seatline_(test|q)_/.test(name)))
    t.same([...named].filter((name) => !served.has(name)), [], `${file} names only served metrics (${named.size} of them)`)
  }

  const other = await fetch(`${workerUrl}/elsewhere`)
  t.equal(other.status, 404, 'the worker\'s metrics port serves nothing else')
})

t.test('one request id finds the request in the gateway\'s log and the job in the worker\'s', async (t) => {
  const buyer = await signup(stack.url)
  const event = await createEvent(stack.url, buyer.token, { seats: seatIds('L', 2) })
  const reqId = `trace-${randomBytes(6).toString('hex')}`
  const res = await call(stack.url, 'POST', `/v1/events/${event.id}/bookings`, { token: buyer.token, body: { seatIds: ['L1'] }, headers: { 'x-request-id': reqId } })
  t.equal(res.status, 201)
  t.equal(res.headers.get('x-request-id'), reqId, 'the caller\'s id is echoed')

  // Each process writes its line once its part is done: the gateway's after the reply is sent.
  let lines: any[] = []
  for (let tries = 0; tries < 50 && new Set(lines.map((l) => l.service)).size < 2; tries++) {
    await sleep(100)
    lines = stack.output().split('\n').filter((line) => line.includes(reqId)).map((line) => JSON.parse(line))
  }
  const gatewayLine = lines.find((l) => l.service === 'gateway')
  const workerLine = lines.find((l) => l.service === 'worker')
  t.match(gatewayLine, { reqId, msg: 'request', method: 'POST', statusCode: 201, userId: buyer.userId }, 'one access line on the gateway')
  t.equal(lines.filter((l) => l.service === 'gateway' && l.msg === 'request').length, 1, 'only one line per request')
  t.match(workerLine, { msg: 'job done', outcomes: ['booking'] }, 'the worker\'s line for the job that booked it')
  t.ok(workerLine?.reqIds.includes(reqId), 'the worker\'s line names the caller\'s request id')
  // A booking's id is the id of the command that made it (migration 08, lean booking).
  t.match(res.body.bookingId, /^[0-9a-f-]{36}$/, 'the 201 names its booking')
  t.ok(workerLine?.requestIds.includes(res.body.bookingId), `and the command's request id, which is the booking's (${res.body.bookingId})`)

  const output = stack.output()
  t.notOk(output.includes(buyer.token), 'no token in any log')
  t.notOk(output.includes('correct horse battery'), 'no password in any log')
})

t.test('credentials are redacted wherever they are logged', async (t) => {
  let written = ''
  const sink = new Writable({ write (chunk, _encoding, done) { written += String(chunk); done() } })
  const log = pino(logOptions({ logLevel: 'info', nodeEnv: 'production' }, 'gateway'), sink)
  log.info({ req: { headers: { authorization: 'Bearer secret-token-1' } }, body: { password: 'hunter2-secret' }, token: 'secret-token-2' }, 'careless')
  t.notOk(/secret-token|hunter2/.test(written), 'authorization, password and token are censored')
  t.match(written, /\[redacted\]/)
})

t.test('METRICS=off keeps /metrics off the gateway\'s port', async (t) => {
  const quiet = await startApp({ env: { METRICS: 'off' } })
  t.teardown(() => quiet.close())
  const res = await quiet.call('GET', '/metrics')
  t.equal(res.status, 404)
  t.equal(res.body.code, 'ROUTE_NOT_FOUND')
})
