import t from 'tap'
import { startApp } from './harness/app.ts'

t.test('one user has at most COMMANDS_IN_FLIGHT_PER_USER commands waiting at once; the next is refused at once and recorded nowhere', async (t) => {
  // No worker in-process: every command waits BOOKING_WAIT_MS for an answer, then gets 202.
  const gateway = await startApp({ env: { COMMANDS_IN_FLIGHT_PER_USER: '3', BOOKING_WAIT_MS: '1000', RATE_LIMIT_PER_MINUTE: '0' } })
  t.teardown(() => gateway.close())
  const [scalper, buyer] = [await gateway.signup(), await gateway.signup()]
  const seats = Array.from({ length: 8 }, (_, i) => `S${i + 1}`)
  const event = await gateway.createEvent(scalper.token, { seats })
  const book = (token: string, seat: string) => gateway.call('POST', `/v1/events/${event.id}/bookings`, { token, body: { seatIds: [seat] } })

  const started = performance.now()
  const burst = Promise.all(seats.slice(0, 6).map(async (seat) => ({ reply: await book(scalper.token, seat), ms: performance.now() - started })))
  const other = await book(buyer.token, 'S8')
  const answers = await burst
  const waited = answers.filter((a) => a.reply.status === 202)
  const refused = answers.filter((a) => a.reply.status === 429)
  t.equal(waited.length, 3, 'three commands waited their turn (202: no worker answered)')
  t.equal(refused.length, 3, 'the other three were refused')
  t.ok(refused.every((a) => a.reply.body.code === 'RATE_LIMITED' && a.reply.headers.get('retry-after') === '1'), 'as 429 RATE_LIMITED with Retry-After')
  t.ok(refused.every((a) => a.ms < 500), `at once, not after the wait (${refused.map((a) => a.ms.toFixed(0)).join(', ')} ms)`)
  t.equal(other.status, 202, "another user's command is not counted with the first's")
  const records = await gateway.db.selectFrom('requests').select('id').where('user_id', '=', scalper.userId).execute()
  t.equal(records.length, 3, 'a refused command left no record: nothing was half-done')
  t.equal((await book(scalper.token, 'S7')).status, 202, 'answered, the three free their places: the next command is taken')
})
