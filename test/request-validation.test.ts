import { randomUUID } from 'node:crypto'
import t from 'tap'
import { seatIds } from './helpers/api.ts'
import { startApp } from './harness/app.ts'

// Requests the gateway refuses before anything is queued. No worker runs here, so every answer
// below is the gateway's own.
const gateway = await startApp()
t.teardown(() => gateway.close())
const { call, db } = gateway
const alice = await gateway.signup()

function hold (token: string, eventId: string, body: unknown) {
  return call('POST', `/v1/events/${eventId}/holds`, { token, body })
}

t.test('hold requests are validated strictly', async (t) => {
  const event = await gateway.createEvent(alice.token, { seats: seatIds('A', 8) })
  const cases: Array<[string, unknown, number, string]> = [
    ['ttlSeconds 4', { seatIds: ['A1'], ttlSeconds: 4 }, 400, 'VALIDATION_FAILED'],
    ['ttlSeconds 901', { seatIds: ['A1'], ttlSeconds: 901 }, 400, 'VALIDATION_FAILED'],
    ['ttlSeconds "60"', { seatIds: ['A1'], ttlSeconds: '60' }, 400, 'VALIDATION_FAILED'],
    ['ttlSeconds 60.5', { seatIds: ['A1'], ttlSeconds: 60.5 }, 400, 'VALIDATION_FAILED'],
    ['no seats', { seatIds: [] }, 400, 'VALIDATION_FAILED'],
    ['a seat twice', { seatIds: ['A1', 'A1'] }, 400, 'VALIDATION_FAILED'],
    ['eleven seats', { seatIds: seatIds('S', 11) }, 400, 'VALIDATION_FAILED'],
    ['an unknown field', { seatIds: ['A1'], extra: 1 }, 400, 'VALIDATION_FAILED'],
  ]
  for (const [name, body, status, code] of cases) {
    const res = await hold(alice.token, event.id, body)
    t.equal(res.status, status, `${name}: status`)
    t.equal(res.body?.code, code, `${name}: code`)
  }
  const unknownEvent = await hold(alice.token, randomUUID(), { seatIds: ['A1'] })
  t.equal(unknownEvent.status, 404)
  t.equal(unknownEvent.body.code, 'EVENT_NOT_FOUND')
  const anonymous = await call('POST', `/v1/events/${event.id}/holds`, { body: { seatIds: ['A1'] } })
  t.equal(anonymous.status, 401)
  t.equal(anonymous.body.code, 'UNAUTHENTICATED')

  t.same(await db.selectFrom('holds').select('id').where('event_id', '=', event.id).execute(), [], 'no hold was made')
  const held = await call('GET', `/v1/events/${event.id}/seats?limit=1000&status=held`)
  t.same(held.body.items, [], 'no seat is held')
})

t.test('bad general-admission requests', async (t) => {
  const bob = await gateway.signup()
  const event = await gateway.createEvent(alice.token, { seats: ['A1'], sections: [{ name: 'Floor', capacity: 5 }] })
  const sectionId: string = event.sections[0].id
  const cases: Array<[string, unknown, number, string]> = [
    ['both seatIds and sectionId', { seatIds: ['A1'], sectionId, quantity: 1 }, 400, 'VALIDATION_FAILED'],
    ['quantity 0', { sectionId, quantity: 0 }, 400, 'VALIDATION_FAILED'],
    ['quantity 11', { sectionId, quantity: 11 }, 400, 'VALIDATION_FAILED'],
    ['quantity as a string', { sectionId, quantity: '1' }, 400, 'VALIDATION_FAILED'],
    ['sectionId without quantity', { sectionId }, 400, 'VALIDATION_FAILED'],
  ]
  for (const [name, body, status, code] of cases) {
    const res = await call('POST', `/v1/events/${event.id}/bookings`, { token: bob.token, body })
    t.equal(res.status, status, `${name}: status`)
    t.equal(res.body?.code, code, `${name}: code`)
  }
  const section = await db.selectFrom('sections').select('remaining').where('id', '=', sectionId).executeTakeFirstOrThrow()
  t.equal(section.remaining, 5, 'no bad request took a place')
  const seat = await db.selectFrom('seats').select('status').where('event_id', '=', event.id).where('seat_id', '=', 'A1').executeTakeFirstOrThrow()
  t.equal(seat.status, 'available', 'nor the seat named beside the section')
})

t.test('booking lists take only statuses that exist', async (t) => {
  const badStatus = await call('GET', '/v1/bookings?status=gone', { token: alice.token })
  t.equal(badStatus.status, 400)
  t.equal(badStatus.body.code, 'VALIDATION_FAILED')
})
