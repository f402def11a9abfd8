import { randomUUID } from 'node:crypto'
import t from 'tap'
import { startApp } from './harness/app.ts'

// Ids that name nothing the caller owns are refused by the gateway before anything is queued;
// no worker runs here.
const gateway = await startApp()
t.teardown(() => gateway.close())
const { call } = gateway
const alice = await gateway.signup()

t.test('unknown and malformed hold ids', async (t) => {
  for (const id of [randomUUID(), 'not-a-uuid']) {
    const del = await call('DELETE', `/v1/holds/${id}`, { token: alice.token })
    t.equal(del.status, 404, `DELETE unknown hold ${id}`)
    t.equal(del.body.code, 'HOLD_NOT_FOUND')
    const conf = await call('POST', `/v1/holds/${id}/confirm`, { token: alice.token })
    t.equal(conf.status, 404, `confirm unknown hold ${id}`)
    t.equal(conf.body.code, 'HOLD_NOT_FOUND')
    const get = await call('GET', `/v1/holds/${id}`, { token: alice.token })
    t.equal(get.status, 404, `GET unknown hold ${id}`)
    t.equal(get.body.code, 'HOLD_NOT_FOUND')
  }
})

t.test('cancelling an unknown or malformed booking id', async (t) => {
  for (const id of [randomUUID(), 'not-a-uuid']) {
    const res = await call('DELETE', `/v1/bookings/${id}`, { token: alice.token })
    t.equal(res.status, 404, `unknown booking ${id}`)
    t.equal(res.body.code, 'BOOKING_NOT_FOUND')
  }
})

t.test("another buyer's request is as unknown as a made-up one", async (t) => {
  const [ada, bob] = [await gateway.signup(), await gateway.signup()]
  const event = await gateway.createEvent(ada.token, { seats: ['A1'] })
  // Accepted and recorded by the gateway; with no worker it simply stays pending.
  const accepted = await call('POST', `/v1/events/${event.id}/bookings`, { token: ada.token, body: { seatIds: ['A1'] }, headers: { prefer: 'respond-async' } })
  if (accepted.status !== 202) throw new Error(`async booking: ${accepted.status} ${JSON.stringify(accepted.body)}`)
  const requestId: string = accepted.body.requestId
  const own = await call('GET', `/v1/requests/${requestId}`, { token: ada.token })
  t.equal(own.status, 200, 'Ada sees her request, so the 404 below is not for want of one')

  const foreign = await call('GET', `/v1/requests/${requestId}`, { token: bob.token })
  t.equal(foreign.status, 404, "Bob cannot see Ada's request")
  t.equal(foreign.body.code, 'REQUEST_NOT_FOUND')
  const anonymous = await call('GET', `/v1/requests/${requestId}`)
  t.equal(anonymous.status, 401)
})
