import { sql } from 'kysely'
import t from 'tap'
import { startApp } from './harness/app.ts'

const body = (name: string) => ({ name, seats: ['A1', 'A2'] })

t.test('one account makes at most EVENTS_PER_USER_PER_DAY events in 24 hours, exactly, even all at once', async (t) => {
  const gateway = await startApp({ env: { EVENTS_PER_USER_PER_DAY: '3' } })
  t.teardown(() => gateway.close())
  const [ada, bob] = [await gateway.signup(), await gateway.signup()]
  const create = (token: string, name: string) => gateway.call('POST', '/v1/events', { token, body: body(name) })

  const made = []
  for (let i = 0; i < 4; i++) made.push(await create(ada.token, `Ada ${i}`))
  t.same(made.map((r) => r.status), [201, 201, 201, 429], 'the fourth in a day is refused')
  t.equal(made[3]!.body.code, 'RATE_LIMITED')
  const retryAfter = Number(made[3]!.headers.get('retry-after'))
  t.ok(retryAfter > 86_000 && retryAfter <= 86_400, `Retry-After: when the oldest of the day ages out (${retryAfter} s)`)
  t.equal((await create(bob.token, 'Bob 0')).status, 201, "another account's quota is its own")
  const refusedBadly = await gateway.call('POST', '/v1/events', { token: bob.token, body: { ...body('Bob bad'), sale: { opensAt: '2030-01-02T00:00:00Z', closesAt: '2030-01-01T00:00:00Z' } } })
  t.equal(refusedBadly.status, 400, 'a refused event')
  t.match(refusedBadly.body.errors, [{ path: 'body/sale/closesAt' }], 'refused for its closing, as without a quota')
  const bobs = await gateway.db.selectFrom('events').select('id').where('created_by', '=', bob.userId).execute()
  t.equal(bobs.length, 1, 'is not made and does not count')

  // A day later the oldest no longer counts.
  await sql`update events set created_at = now() - interval '25 hours' where id = ${made[0]!.body.id}`.execute(gateway.db)
  t.equal((await create(ada.token, 'Ada later')).status, 201, 'one more once the oldest is a day old')
  t.equal((await create(ada.token, 'Ada again')).status, 429, 'and no more')

  // A burst from a fresh account: counted one transaction at a time.
  const cy = await gateway.signup()
  const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => create(cy.token, `Cy ${i}`)))
  t.equal(burst.filter((r) => r.status === 201).length, 3, 'ten at once: exactly three made')
  t.equal(burst.filter((r) => r.status === 429).length, 7, 'seven refused')
  const cys = await gateway.db.selectFrom('events').select('id').where('created_by', '=', cy.userId).execute()
  t.equal(cys.length, 3, 'and the database has three')
})
