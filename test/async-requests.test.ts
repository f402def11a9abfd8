import t from 'tap'
import { call, createEvent, poll, signup } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

const ASYNC = { prefer: 'respond-async' }

t.test('Prefer: respond-async answers 202 and the request can be polled', async (t) => {
  const stack = await startStack({ workers: 1 })
  t.teardown(() => stack.stop())
  const [ada, bob] = [await signup(stack.url), await signup(stack.url)]
  const event = await createEvent(stack.url, ada.token, { seats: ['A1', 'A2'] })
  const path = `/v1/events/${event.id}/bookings`

  const waitDone = (token: string, requestId: string) => poll(
    () => call(stack.url, 'GET', `/v1/requests/${requestId}`, { token }),
    (res) => res.status !== 200 || res.body.status !== 'pending',
    10_000
  )

  const accepted = await call(stack.url, 'POST', path, { token: ada.token, body: { seatIds: ['A1'] }, headers: ASYNC })
  t.equal(accepted.status, 202, 'accepted, not waited for')
  t.match(accepted.body, { requestId: /^[0-9a-f-]{36}$/, status: 'pending' })
  t.same(Object.keys(accepted.body).sort(), ['requestId', 'status'])
  const requestId: string = accepted.body.requestId
  t.equal(accepted.headers.get('location'), `/v1/requests/${requestId}`, 'Location names the request')

  const done = await waitDone(ada.token, requestId)
  t.equal(done.status, 200)
  t.equal(done.body.requestId, requestId)
  t.equal(done.body.status, 'succeeded', 'the booking went through')
  t.match(done.body.result, { bookingId: /^[0-9a-f-]{36}$/, eventId: event.id, userId: ada.userId, status: 'confirmed', seatIds: ['A1'] })
  t.notOk(done.body.error)
  const bookingId: string = done.body.result?.bookingId

  const booking = await call(stack.url, 'GET', `/v1/bookings/${bookingId}`, { token: ada.token })
  t.equal(booking.status, 200, 'the booking exists')
  t.same(booking.body.seatIds, ['A1'])
  const rows = await stack.db.selectFrom('bookings').select('id').where('event_id', '=', event.id).execute()
  t.same(rows, [{ id: bookingId }], 'one booking in the database')

  const refused = await call(stack.url, 'POST', path, { token: bob.token, body: { seatIds: ['A1'] }, headers: ASYNC })
  t.equal(refused.status, 202, 'a doomed command is accepted too')
  const failed = await waitDone(bob.token, refused.body.requestId)
  t.equal(failed.body.status, 'failed', 'and ends as failed')
  t.match(failed.body.error, { code: 'SEATS_UNAVAILABLE', status: 409, seats: [{ seatId: 'A1', status: 'booked' }] }, 'with the problem the 409 would have had')
  t.notOk(failed.body.result)

  const holdReq = await call(stack.url, 'POST', `/v1/events/${event.id}/holds`, { token: bob.token, body: { seatIds: ['A2'] }, headers: ASYNC })
  t.equal(holdReq.status, 202, 'holds can be asynchronous as well')
  const held = await waitDone(bob.token, holdReq.body.requestId)
  t.equal(held.body.status, 'succeeded')
  t.match(held.body.result, { holdId: /^[0-9a-f-]{36}$/, eventId: event.id, seatIds: ['A2'], expiresAt: String })
  const hold = await call(stack.url, 'GET', `/v1/holds/${held.body.result?.holdId}`, { token: bob.token })
  t.equal(hold.body.status, 'active', 'the hold exists')
})
