import { type IncomingHttpHeaders, request } from 'node:http'
import t, { type Test } from 'tap'
import { StreamSlots } from '../apps/gateway/src/lib/stream-slots.ts'
import { call, createEvent, poll, signup } from './helpers/api.ts'
import { startStack } from './helpers/stack.ts'

/**
 * Server-Sent-Event streams are capped per client address (STREAMS_PER_ADDRESS) and per gateway
 * (STREAMS_MAX), seat maps and queue tickets together. The slots module on its own, then a real
 * gateway process with real streams held open from several loopback addresses (127.0.0.x), so
 * the gateway sees several clients: inject() cannot hold a stream open.
 */

t.test('the slots: per address, then in all; a release gives back one slot, once', async (t) => {
  const slots = new StreamSlots({ perAddress: 2, max: 3 })
  t.same([slots.take('a'), slots.take('a'), slots.take('a')], ['ok', 'ok', 'address'], 'the third from one address is refused')
  t.equal(slots.held('a'), 2, 'a refusal takes nothing')
  t.equal(slots.take('b'), 'ok', 'another address has its own share')
  t.equal(slots.open, 3)
  t.equal(slots.take('c'), 'full', 'a fresh address, but the gateway is full')
  t.equal(slots.take('a'), 'address', 'an address over its share is told so, even when the gateway is full too')

  const release = slots.releaser('a')
  release()
  release()
  t.same([slots.open, slots.held('a')], [2, 1], 'running a release twice gives back one slot')
  t.equal(slots.take('c'), 'ok', 'the slot given back is taken')
  t.equal(slots.take('a'), 'full', 'a has room of its own again, but not the gateway')
  slots.releaser('b')()
  t.equal(slots.held('b'), 0)
  t.equal(slots.take('a'), 'ok')
  t.same([slots.open, slots.held('a'), slots.held('c')], [3, 2, 1])

  const uncapped = new StreamSlots({ perAddress: 0, max: 0 })
  const verdicts = new Set(Array.from({ length: 1_000 }, () => uncapped.take('a')))
  t.same([...verdicts], ['ok'], '0 is no cap, per address nor in all')
  t.equal(uncapped.open, 1_000)
  const onlyPerAddress = new StreamSlots({ perAddress: 1, max: 0 })
  t.same(['a', 'b', 'c', 'a'].map((address) => onlyPerAddress.take(address)), ['ok', 'ok', 'ok', 'address'])
})

const PER_ADDRESS = 3
const MAX = 5
const stack = await startStack({ workers: 1, env: { STREAMS_PER_ADDRESS: String(PER_ADDRESS), STREAMS_MAX: String(MAX) } })
t.teardown(() => stack.stop())

const organiser = await signup(stack.url)
const event = await createEvent(stack.url, organiser.token, { seats: ['A1', 'A2'] })
// A waiting room that opens in an hour: the ticket waits, so its stream stays open.
const roomEvent = await createEvent(stack.url, organiser.token, {
  seats: ['B1'],
  sale: { opensAt: new Date(Date.now() + 3_600_000).toISOString(), waitingRoom: { admitPerMinute: 60, admissionSeconds: 60 } },
})
const joined = await call(stack.url, 'POST', `/v1/events/${roomEvent.id}/queue`, { token: organiser.token })
if (joined.status !== 201) throw new Error(`joining the waiting room failed: ${joined.status} ${JSON.stringify(joined.body)}`)
const mapPath = `/v1/events/${event.id}/stream`
const ticketPath = `/v1/queue/${joined.body.ticketId}/stream`

interface Opened {
  status: number
  headers: IncomingHttpHeaders
  /** A refusal's problem; undefined for a stream. */
  body?: any
  /** Ends the stream from the client's side. */
  close (): void
}

const open: Opened[] = []
t.teardown(() => { for (const stream of open) stream.close() })

/** Asks for a stream from one loopback address; a 200 stays open (until `close`), anything else is read to its end. */
function stream (path: string, from: string): Promise<Opened> {
  return new Promise((resolve, reject) => {
    // No agent: a connection of its own from `from`, as one browser's stream would have.
    const req = request(`${stack.url}${path}`, { localAddress: from, agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      const opened: Opened = { status: res.statusCode ?? 0, headers: res.headers, close: () => { req.destroy() } }
      if (opened.status === 200) {
        res.on('error', () => {})
        res.resume()
        open.push(opened)
        return resolve(opened)
      }
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => resolve({ ...opened, body: JSON.parse(text) }))
    })
    req.on('error', (error) => { if (!req.destroyed) reject(error) })
    req.end()
  })
}

/** The first stream that opens within 5 s (each try a fresh request): a slot comes back when the gateway sees the close. */
const opensSoon = (path: string, from: string) => poll(() => stream(path, from), (s) => s.status === 200, 5_000)

function refused (t: Test, reply: Opened, status: number, code: string, label: string) {
  t.equal(reply.status, status, `${label}: ${status}`, { body: reply.body })
  t.match(reply.headers['content-type'], /^application\/problem\+json/, `${label}: a problem`)
  t.match(reply.body, { status, code }, `${label}: ${code}`)
  t.equal(reply.headers['retry-after'], '5', `${label}: with Retry-After`)
}

// The subtests run in order, on one gateway's count: each says what is open as it starts.
const held: Record<string, Opened[]> = {}

t.test('past STREAMS_PER_ADDRESS from one address: 429, while another address still gets a stream', async (t) => {
  held.two = []
  for (let i = 0; i < PER_ADDRESS; i++) {
    const opened = await stream(mapPath, '127.0.0.2')
    t.equal(opened.status, 200, `map stream ${i + 1} from 127.0.0.2 opens`)
    t.match(opened.headers['content-type'], /^text\/event-stream/)
    held.two.push(opened)
  }
  refused(t, await stream(mapPath, '127.0.0.2'), 429, 'RATE_LIMITED', 'a 4th map stream from 127.0.0.2')
  refused(t, await stream(ticketPath, '127.0.0.2'), 429, 'RATE_LIMITED', 'a queue stream from the same address (both kinds count)')
  const other = await stream(mapPath, '127.0.0.3')
  t.equal(other.status, 200, 'a map stream from 127.0.0.3 opens')
  held.three = [other]
})

t.test('past STREAMS_MAX in all: 503, whichever the address', async (t) => {
  const ticket = await stream(ticketPath, '127.0.0.3')
  t.equal(ticket.status, 200, 'a queue stream from 127.0.0.3 opens: five open now, one of them a queue stream')
  t.match(ticket.headers['content-type'], /^text\/event-stream/)
  held.ticket = [ticket]
  refused(t, await stream(mapPath, '127.0.0.4'), 503, 'OVERLOADED', 'a map stream from a fresh address, 127.0.0.4')
  refused(t, await stream(ticketPath, '127.0.0.4'), 503, 'OVERLOADED', 'a queue stream from it')
  refused(t, await stream(mapPath, '127.0.0.2'), 429, 'RATE_LIMITED', 'an address over its share is told so first')
})

t.test('a closed stream gives its slot back, a queue stream\'s too; a refusal or a 404 holds none', async (t) => {
  held.two![0]!.close()
  const fourth = await opensSoon(mapPath, '127.0.0.4')
  t.equal(fourth.status, 200, 'one of 127.0.0.2\'s streams closed: 127.0.0.4 gets one')
  refused(t, await stream(mapPath, '127.0.0.2'), 503, 'OVERLOADED', '127.0.0.2 is under its share now, but the gateway is full again')

  held.ticket![0]!.close()
  const back = await opensSoon(mapPath, '127.0.0.2')
  t.equal(back.status, 200, 'the queue stream closed: its slot is taken by 127.0.0.2')
  refused(t, await stream(mapPath, '127.0.0.2'), 429, 'RATE_LIMITED', '127.0.0.2 at its share again')

  for (const stream of open) stream.close()
  const first = await opensSoon(ticketPath, '127.0.0.5')
  t.equal(first.status, 200, 'everything closed: streams open again')
  first.close()
  // The slot is taken before the event is looked up: each 404 held one until its reply was sent.
  for (let i = 0; i < PER_ADDRESS + 2; i++) {
    const missing = await stream('/v1/events/00000000-0000-4000-8000-000000000000/stream', '127.0.0.6')
    t.equal(missing.status, 404, `unknown event ${i + 1} from 127.0.0.6: 404, never 429`)
  }
  for (let i = 0; i < PER_ADDRESS; i++) t.equal((await stream(ticketPath, '127.0.0.6')).status, 200, `then queue stream ${i + 1} from 127.0.0.6`)
})

t.test('queue streams fill an address\'s share as map streams do', async (t) => {
  for (const stream of open) stream.close()
  t.equal((await opensSoon(ticketPath, '127.0.0.7')).status, 200, 'queue stream 1 from 127.0.0.7')
  for (let i = 1; i < PER_ADDRESS; i++) t.equal((await stream(ticketPath, '127.0.0.7')).status, 200, `queue stream ${i + 1} from 127.0.0.7`)
  refused(t, await stream(mapPath, '127.0.0.7'), 429, 'RATE_LIMITED', 'a map stream from an address full of queue streams')
  t.equal((await stream(mapPath, '127.0.0.8')).status, 200, 'another address still opens one')
})
