import t from 'tap'
import { CURRENT_PARAMS, hashPassword, PasswordHasher } from '../apps/gateway/src/lib/passwords.ts'
import { ProblemError } from '../apps/gateway/src/lib/problem-error.ts'
import { startApp } from './harness/app.ts'

const PASSWORD = 'correct horse battery'
const paramsOf = (stored: string) => stored.split('$').slice(1, 4).map(Number)

t.test('passwords are hashed at OWASP strength; an older hash is replaced at the next right login, not at a wrong one', async (t) => {
  const gateway = await startApp()
  t.teardown(() => gateway.close())
  const user = await gateway.signup()
  const stored = async () => (await gateway.db.selectFrom('users').select('password_hash').where('id', '=', user.userId).executeTakeFirstOrThrow()).password_hash
  t.same(paramsOf(await stored()), [16_384, 8, 5], 'scrypt N=2^14, r=8, p=5: the work of OWASP\'s N=2^17, p=1 in 16 MiB')
  t.same(paramsOf(await stored()), [CURRENT_PARAMS.N, CURRENT_PARAMS.r, CURRENT_PARAMS.p])

  // An account from before: hashed at the old cost.
  const old = await hashPassword(PASSWORD, { N: 16_384, r: 8, p: 1, keylen: 32 })
  await gateway.db.updateTable('users').set({ password_hash: old }).where('id', '=', user.userId).execute()
  const login = (password: string) => gateway.call('POST', '/v1/auth/login', { body: { email: user.email, password } })
  t.equal((await login('not the password')).status, 401)
  t.equal(await stored(), old, 'a wrong password changes nothing')
  t.equal((await login(PASSWORD)).status, 200, 'the old hash still logs in')
  const renewed = await stored()
  t.not(renewed, old, 'and is replaced')
  t.same(paramsOf(renewed), [16_384, 8, 5], 'by one at today\'s cost')
  t.equal((await login(PASSWORD)).status, 200, 'which logs in too')
  t.equal(await stored(), renewed, 'and is kept')
})

t.test('at most `concurrency` hashes run at once; past the waiting room, a refusal before any work', async (t) => {
  const hasher = new PasswordHasher({ concurrency: 2, maxWaiting: 3 })
  let most = 0
  const sampler = setInterval(() => { most = Math.max(most, hasher.running) }, 1)
  const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => hasher.hash(`password ${i}`)))
  clearInterval(sampler)
  const done = outcomes.filter((o) => o.status === 'fulfilled')
  const refused = outcomes.filter((o) => o.status === 'rejected').map((o) => (o as PromiseRejectedResult).reason)
  t.equal(done.length, 5, 'two ran and three waited')
  t.equal(refused.length, 5, 'the other five were refused')
  t.ok(refused.every((e) => e instanceof ProblemError && e.problem.code === 'OVERLOADED' && e.headers['retry-after'] === '1'), 'as 503 OVERLOADED with Retry-After')
  t.equal(most, 2, 'never more than two at once (and two did run together)')
  t.equal(hasher.running, 0, 'every slot given back')
  t.ok(await hasher.verify('password 0', (done[0] as PromiseFulfilledResult<string>).value), 'and it still works afterwards')
})

t.test('through the gateway: a burst of signups past the hashing queue is refused with 503, and makes no account', async (t) => {
  const gateway = await startApp({ env: { PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_MAX_WAITING: '2' } })
  t.teardown(() => gateway.close())
  const emails = Array.from({ length: 12 }, (_, i) => `burst-${i}-${Date.now()}@example.com`)
  const replies = await Promise.all(emails.map((email) => gateway.call('POST', '/v1/auth/signup', { body: { email, password: PASSWORD } })))
  const created = replies.filter((r) => r.status === 201).length
  const overloaded = replies.filter((r) => r.status === 503)
  t.ok(created >= 3, `those in line were served (${created})`)
  t.ok(overloaded.length >= 1, `the rest refused (${overloaded.length})`)
  t.equal(created + overloaded.length, 12, 'nothing else')
  t.ok(overloaded.every((r) => r.body.code === 'OVERLOADED' && r.headers.get('retry-after') === '1'))
  const users = await gateway.db.selectFrom('users').select('email').where('email', 'in', emails).execute()
  t.equal(users.length, created, 'a refused signup left no account')
})

t.test('signups and logins have their own limit per address', async (t) => {
  const gateway = await startApp({ env: { AUTH_RATE_LIMIT_PER_MINUTE: '3' } })
  t.teardown(() => gateway.close())
  const from = (address: string, url: string, body: unknown) => gateway.app.inject({ method: 'POST', url, payload: body as object, remoteAddress: address })
  const signups = []
  for (let i = 0; i < 4; i++) signups.push(await from('10.0.0.2', '/v1/auth/signup', { email: `limit-${i}-${Date.now()}@example.com`, password: PASSWORD }))
  t.same(signups.map((r) => r.statusCode), [201, 201, 201, 429], 'the fourth signup from one address in a minute is refused')
  t.equal(signups[3]!.json().code, 'RATE_LIMITED')
  t.ok(Number(signups[3]!.headers['retry-after']) >= 1, 'with Retry-After')
  t.ok(signups[0]!.json().userId, 'the first signup made an account')
  const logins = []
  for (let i = 0; i < 4; i++) logins.push((await from('10.0.0.2', '/v1/auth/login', { email: `nobody-${i}@example.com`, password: PASSWORD })).statusCode)
  t.same(logins, [401, 401, 401, 429], 'logins are counted on their own')
  t.equal((await from('10.0.0.3', '/v1/auth/signup', { email: `other-${Date.now()}@example.com`, password: PASSWORD })).statusCode, 201, 'another address is not limited')
  t.equal((await gateway.app.inject({ method: 'GET', url: '/v1/events', remoteAddress: '10.0.0.2' })).statusCode, 200, 'nor are other routes from the limited address')
})
