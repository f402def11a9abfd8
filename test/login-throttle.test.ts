/**
 * Password guessing is throttled per account and per client address, counted in Redis across
 * gateways: two real gateways share one Redis, and the clients come from different loopback
 * addresses (127.0.0.2, 127.0.0.3, …) so the gateway sees each as a different address.
 */
import { createHash } from 'node:crypto'
import { request } from 'node:http'
import { Redis } from 'ioredis'
import t from 'tap'
import { startApp } from './harness/app.ts'
import { parseBody, poll, signup } from './helpers/api.ts'
import { startPrivateRedis } from './harness/private-redis.ts'
import { REDIS_URL, startStack } from './helpers/stack.ts'

interface LoginReply { status: number, retryAfter: number | undefined, body: any }

/** POST /v1/auth/login from a chosen loopback address. */
function login (baseUrl: string, from: string, email: string, password: string): Promise<LoginReply> {
  const body = JSON.stringify({ email, password })
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/v1/auth/login`, {
      method: 'POST',
      localAddress: from,
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => {
        const retryAfter = res.headers['retry-after']
        resolve({ status: res.statusCode!, retryAfter: retryAfter === undefined ? undefined : Number(retryAfter), body: parseBody(text) })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const WRONG = 'not the password'

const stack = await startStack({
  gateways: 2,
  workers: 1,
  env: { LOGIN_FAILURES_PER_ACCOUNT: '5', LOGIN_FAILURES_PER_ADDRESS: '12', LOGIN_LOCK_MAX_SECONDS: '4' },
})
t.teardown(() => stack.stop())
const [north, south] = stack.urls as [string, string]
const gateways = [north, south]
/** The password signup() gives every account it makes. */
const PASSWORD = 'correct horse battery'
const account = async () => (await signup(north)).email

t.test('an account: 5 failures through either gateway, then 429 with a wait that doubles to its cap; the owner logging in resets it', async (t) => {
  const email = await account()
  const attacker = '127.0.0.2'
  const owner = '127.0.0.3'

  const guesses: LoginReply[] = []
  for (let i = 0; i < 6; i++) guesses.push(await login(gateways[i % 2]!, attacker, email, WRONG))
  t.same(guesses.map((g) => g.status), [401, 401, 401, 401, 401, 429], 'five wrong passwords answered, alternating gateways; the sixth is refused')
  t.equal(guesses[5]!.body.code, 'RATE_LIMITED')
  t.equal(guesses[5]!.retryAfter, 1, 'Retry-After: 1 s after the fifth failure')

  const ownerLocked = await login(south, owner, email, PASSWORD)
  t.equal(ownerLocked.status, 429, 'the lock is on the account: the owner, from elsewhere, waits too')

  const waits: number[] = []
  let retryAfter = guesses[5]!.retryAfter!
  for (let round = 0; round < 3; round++) {
    await sleep(retryAfter * 1000 + 100)
    const allowed = await login(north, attacker, email, WRONG)
    t.equal(allowed.status, 401, `after waiting ${retryAfter} s one more guess is checked`)
    const refused = await login(south, attacker, email, WRONG)
    t.equal(refused.status, 429, 'and the next is refused at once')
    retryAfter = refused.retryAfter!
    waits.push(retryAfter)
  }
  t.same(waits, [2, 4, 4], 'each failure doubles the wait, up to LOGIN_LOCK_MAX_SECONDS')

  await sleep(retryAfter * 1000 + 100)
  const ownerIn = await login(south, owner, email, PASSWORD)
  t.equal(ownerIn.status, 200, 'once the lock ends the owner logs in')
  t.ok(ownerIn.body.token, 'and gets a token')
  // From a new address: this one has used 8 of its own 12.
  const fresh: number[] = []
  for (let i = 0; i < 6; i++) fresh.push((await login(gateways[i % 2]!, '127.0.0.7', email, WRONG)).status)
  t.same(fresh, [401, 401, 401, 401, 401, 429], 'a success starts the account afresh: five guesses again, not one')
})

t.test('thirty guesses at once through two gateways: exactly five are checked', async (t) => {
  const email = await account()
  const replies = await Promise.all(Array.from({ length: 30 }, (_, i) => login(gateways[i % 2]!, '127.0.0.4', email, WRONG)))
  const checked = replies.filter((r) => r.status === 401).length
  const refused = replies.filter((r) => r.status === 429).length
  t.equal(checked, 5, 'five answered 401: each attempt is counted before its password is checked')
  t.equal(refused, 25, 'the other 25 answered 429 RATE_LIMITED')
  t.ok(replies.filter((r) => r.status === 429).every((r) => r.body.code === 'RATE_LIMITED' && r.retryAfter! >= 1), 'with Retry-After')
})

t.test('an address: 12 failures on any accounts lock it, not the accounts; its refused attempts count against nobody', async (t) => {
  const stuffer = '127.0.0.5'
  const owner = '127.0.0.6'
  const known = await account()
  // Credential stuffing: one guess each at many emails, most with no account.
  const spray: number[] = []
  for (let i = 0; i < 12; i++) spray.push((await login(gateways[i % 2]!, stuffer, i === 0 ? known : `nobody-${i}-${Date.now()}@example.com`, WRONG)).status)
  t.same(spray, Array(12).fill(401), 'twelve failures answered, emails with and without an account alike')
  const target = await account()
  const blocked: number[] = []
  for (let i = 0; i < 10; i++) blocked.push((await login(gateways[i % 2]!, stuffer, target, WRONG)).status)
  t.same(blocked, Array(10).fill(429), 'the address is locked, whatever the account')

  const ownerIn = await login(north, owner, known, PASSWORD)
  t.equal(ownerIn.status, 200, "an account the stuffer tried still logs in from its owner's address")
  const fromOwner: number[] = []
  for (let i = 0; i < 6; i++) fromOwner.push((await login(south, owner, target, WRONG)).status)
  t.same(fromOwner, [401, 401, 401, 401, 401, 429], "the stuffer's ten refused attempts did not count against the account they named")
})

t.test('a login for an email with no account takes as long as a wrong password', async (t) => {
  // In-process, one address, throttling off: only the password check is timed.
  const app = await startApp({ env: { LOGIN_FAILURES_PER_ACCOUNT: '0', LOGIN_FAILURES_PER_ADDRESS: '0', RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0' } })
  t.teardown(() => app.close())
  const user = await app.signup()
  const time = async (email: string) => {
    const started = performance.now()
    const reply = await app.call('POST', '/v1/auth/login', { body: { email, password: WRONG } })
    t.equal(reply.status, 401)
    return performance.now() - started
  }
  const known: number[] = []
  const unknown: number[] = []
  for (let i = 0; i < 15; i++) {
    known.push(await time(user.email))
    unknown.push(await time(`nobody-${i}@example.com`))
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  const [k, u] = [median(known), median(unknown)]
  t.comment(`median login time: known email ${k.toFixed(1)} ms, unknown ${u.toFixed(1)} ms`)
  // Skipping the hash for unknown emails would make them ~20 times faster.
  t.ok(u > k * 0.5 && u < k * 2, `an unknown email costs what a known one does (${(u / k).toFixed(2)}×)`)
})

t.test('with Redis away a login is refused with 503 and Retry-After, not let through unthrottled', async (t) => {
  const redis = await startPrivateRedis()
  t.teardown(() => redis.stop())
  const app = await startApp({ env: { REDIS_URL: redis.url } })
  t.teardown(() => app.close())
  const user = await app.signup()
  await redis.kill()
  const away = await app.call('POST', '/v1/auth/login', { body: { email: user.email, password: PASSWORD } })
  t.equal(away.status, 503, 'the throttle cannot count the attempt, so the password is not checked')
  t.equal(away.body.code, 'UNAVAILABLE')
  t.ok(Number(away.headers.get('retry-after')) >= 1, 'with Retry-After')
  await redis.start()
  const back = await poll(() => app.call('POST', '/v1/auth/login', { body: { email: user.email, password: PASSWORD } }), (r) => r.status === 200, 10_000)
  t.equal(back.status, 200, 'Redis back: the owner logs in')
})

t.test('the defaults: 10 guesses, then a wait of 1 s; after 20 failures 5 minutes, and no longer after 50', async (t) => {
  const app = await startApp({ env: { LOGIN_FAILURES_PER_ADDRESS: '0' } })
  t.teardown(() => app.close())
  t.same([app.config.loginFailuresPerAccount, app.config.loginLockMaxSeconds], [10, 300], 'the defaults')
  const user = await app.signup()
  const wrong = () => app.call('POST', '/v1/auth/login', { body: { email: user.email, password: WRONG } })
  const statuses: number[] = []
  let refused
  for (let i = 0; i < 11 && !refused; i++) {
    const reply = await wrong()
    statuses.push(reply.status)
    if (reply.status === 429) refused = reply
  }
  t.same(statuses, [...Array(10).fill(401), 429], 'ten wrong passwords are checked; the eleventh waits')
  const waits: Record<number, number> = { 10: Number(refused!.headers.get('retry-after')) }
  // Waiting out every lock up to the 50th failure would take hours: the account's counter is set
  // as those failures would have left it, with its lock run out, and one more guess is made.
  const key = `${app.config.queuePrefix}:login:account:${createHash('sha256').update(user.email).digest('base64url')}`
  const redis = new Redis(REDIS_URL)
  t.teardown(() => redis.quit())
  t.equal(await redis.hget(key, 'failures'), '10', "the account's counter is where the test looks")
  for (const failures of [20, 50]) {
    await redis.hset(key, 'failures', String(failures - 1), 'until', '0')
    t.equal((await wrong()).status, 401, `the ${failures}th guess is checked once the lock has run out`)
    const next = await wrong()
    t.equal(next.status, 429)
    waits[failures] = Number(next.headers.get('retry-after'))
  }
  t.comment(`wait after 10 failures ${waits[10]} s, after 20 ${waits[20]} s, after 50 ${waits[50]} s`)
  t.same(waits, { 10: 1, 20: 300, 50: 300 }, 'doubling from 1 s, capped at 5 minutes')
  const owner = await app.call('POST', '/v1/auth/login', { body: { email: user.email, password: PASSWORD } })
  t.equal(owner.status, 429, 'the owner waits out the lock like anyone (minutes at most)')
})
