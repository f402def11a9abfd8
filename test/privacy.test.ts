import { randomBytes } from 'node:crypto'
import diagnostics from 'node:diagnostics_channel'
import { readFile } from 'node:fs/promises'
import type { FastifyInstance, RouteOptions } from 'fastify'
import t, { type Test } from 'tap'
import { mintToken } from '../bench/lib/tokens.ts'
import { type CallOptions, createEvent, parseBody, poll, type Reply, requestParts, seatIds } from './helpers/api.ts'
import { openSse, type SseMessage } from './helpers/sse-client.ts'
import { startStack } from './helpers/stack.ts'
import { startApp } from './harness/app.ts'

/**
 * For a security review, against real processes (a gateway and a worker at LOG_LEVEL=info):
 *
 * 1. Every organiser-only route refuses everyone but the event's organiser. The list of them is
 *    not taken on trust: it is derived from the routes the gateway serves (their OpenAPI text,
 *    their response schemas, their paths) and from docs/api.md, and every /v1 route must be
 *    classified below, so a route added later without a decision here fails this file.
 * 2. Buyers' emails appear only in the organiser's views of their own event: every other reply
 *    of a small real sale (bodies, headers, problems, streams) is scanned for them.
 * 3. No reply and no log line carries a password, a token (or a part of one) or the signing
 *    secret, and no log line an email; the log capture is shown to work.
 */

type Access = 'public' | 'user' | 'owner' | 'organiser'

/**
 * Who may call each /v1 route. A new route fails the first test until it is added here, so
 * whoever adds it says who may call it (and, for an organiser route, adds its probes below).
 */
const ACCESS: Record<string, Access> = {
  'POST /v1/auth/signup': 'public',
  'POST /v1/auth/login': 'public',
  'POST /v1/auth/sign-out-everywhere': 'user',
  'GET /v1/events': 'public',
  'POST /v1/events': 'user',
  'GET /v1/events/:eventId': 'public',
  'PATCH /v1/events/:eventId': 'organiser',
  'GET /v1/events/:eventId/seats': 'public',
  'GET /v1/events/:eventId/stream': 'public',
  'GET /v1/events/:eventId/sales': 'organiser',
  'GET /v1/events/:eventId/bookings': 'organiser',
  'POST /v1/events/:eventId/bookings': 'user',
  'POST /v1/events/:eventId/holds': 'user',
  'POST /v1/events/:eventId/queue': 'user',
  'GET /v1/events/:eventId/queue': 'user',
  // The ticket id in the URL is the credential (browsers' EventSource sends no header).
  'GET /v1/queue/:ticketId/stream': 'public',
  'GET /v1/bookings': 'user',
  'GET /v1/bookings/:bookingId': 'owner',
  'DELETE /v1/bookings/:bookingId': 'owner',
  'GET /v1/holds/:holdId': 'owner',
  'POST /v1/holds/:holdId/confirm': 'owner',
  'DELETE /v1/holds/:holdId': 'owner',
  'GET /v1/requests/:requestId': 'owner',
}
const ORGANISER_ROUTES = Object.keys(ACCESS).filter((k) => ACCESS[k] === 'organiser').sort()
/** Under /v1/events/:eventId/ and named like a sales view, but a buyer's command: its replies carry no email (checked). */
const BUYER_COMMANDS = ['POST /v1/events/:eventId/bookings']
const OPERATIONS = ['/metrics', '/health', '/ready']
const PROBLEM_KEYS = ['code', 'detail', 'status', 'title', 'type']
const ZERO = '00000000-0000-4000-8000-000000000000'

// ---------------------------------------------------------------------------------------------
// The routes the gateway serves, as Fastify adds them (hidden ones and HEAD twins included): the
// gateway is built once in this process only to list them; the calls below go to real processes.
interface Served { key: string, method: string, url: string, route: RouteOptions }
const routeOptions: RouteOptions[] = []
function collect ({ fastify }: { fastify: FastifyInstance }) {
  fastify.addHook('onRoute', (route) => { routeOptions.push(route) })
}
diagnostics.subscribe('fastify.initialization', collect as (message: unknown) => void)
const inProcess = await startApp()
diagnostics.unsubscribe('fastify.initialization', collect as (message: unknown) => void)
await inProcess.close()
// Read after the app is built: the authenticated scope's own onRoute hook has set `security` by then.
const served: Served[] = routeOptions.flatMap((route) => [route.method].flat().map((method) => ({ key: `${method} ${route.url}`, method, url: route.url, route })))
const schemaOf = (s: Served) => (s.route.schema ?? {}) as { summary?: string, description?: string, tags?: string[], security?: unknown, hide?: boolean, response?: unknown }
const api = served.filter((s) => s.url.startsWith('/v1/') && s.method !== 'HEAD' && s.method !== 'OPTIONS')
/** The route key of a call, HEAD as its GET twin. */
function routeOf (method: string, path: string): string | undefined {
  const bare = path.split('?')[0]!
  const asGet = method === 'HEAD' ? 'GET' : method
  return api.find((s) => s.method === asGet && new RegExp(`^${s.url.replace(/:\w+/g, '[^/]+')}$`).test(bare))?.key
}

// ---------------------------------------------------------------------------------------------
const JWT_SECRET = randomBytes(36).toString('base64url')
const stack = await startStack({ workers: 1, env: { LOG_LEVEL: 'info', JWT_SECRET } })
t.teardown(() => stack.stop())
const tag = randomBytes(4).toString('hex')
const START_MARK = `privacy-start-${tag}`

/** Everything that must never reach a log line, and (but for the replies that issue them) a reply. */
const passwords = new Set<string>()
const tokens = new Set<string>()
const emails = new Set<string>()

/** Every reply of this file: what was sent, and everything that came back. */
interface Exchange {
  label: string
  method: string
  path: string
  sent: string
  status: number
  headers: Headers
  text: string
  /** The event whose organiser's bookings view (with buyers' emails) this is. */
  view?: string
}
const exchanges: Exchange[] = []

async function send (label: string, method: string, path: string, options: CallOptions = {}, view?: string): Promise<Reply & { text: string }> {
  const { headers, body } = requestParts(options)
  const res = await fetch(`${stack.url}${path}`, { method, headers, body })
  const text = await res.text()
  const parsed = parseBody(text) as any
  if (typeof parsed?.token === 'string') tokens.add(parsed.token)
  exchanges.push({ label, method, path, sent: `${method} ${path}\n${JSON.stringify(headers)}\n${body ?? ''}`, status: res.status, headers: res.headers, text, ...(view ? { view } : {}) })
  return { status: res.status, headers: res.headers, body: parsed, text }
}

/** A password of its own for each use: words, then a random part long enough to look for alone. */
function newPassword (words: string): string {
  const password = `${words} ${randomBytes(12).toString('base64url')}`
  passwords.add(password)
  return password
}
const randomPart = (password: string) => password.split(' ').at(-1)!

interface User { label: string, email: string, password: string, userId: string, token: string }
async function newUser (label: string): Promise<User> {
  const email = `privacy-${label}-${tag}@example.com`
  const password = newPassword(`pw ${label}`)
  emails.add(email)
  const res = await send(`signup (${label})`, 'POST', '/v1/auth/signup', { body: { email, password } })
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${res.text}`)
  return { label, email, password, userId: res.body.userId, token: res.body.token }
}

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString()
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { sub: string, ver: number }

await send('health, with a marker request id', 'GET', '/health', { headers: { 'x-request-id': START_MARK } })
const organiser = await newUser('organiser')
/** Signed in, and the organiser of an event of their own: still nobody for the organiser's event. */
const stranger = await newUser('stranger')
const buyer1 = await newUser('buyer1')
const buyer2 = await newUser('buyer2')
/** Buys only from the stranger's event. */
const buyer3 = await newUser('buyer3')
const users = [organiser, stranger, buyer1, buyer2, buyer3]

// The organiser signs out everywhere (their first token dies) and logs in again.
const revokedToken = organiser.token
const signedOut = await send('sign out everywhere (organiser)', 'POST', '/v1/auth/sign-out-everywhere', { token: revokedToken })
const relogin = await send('login (organiser, after signing out everywhere)', 'POST', '/v1/auth/login', { body: { email: organiser.email, password: organiser.password } })
if (relogin.status !== 200) throw new Error(`login failed: ${relogin.status} ${relogin.text}`)
organiser.token = relogin.body.token

async function newEvent (who: User, body: Record<string, unknown>): Promise<any> {
  const res = await send(`create an event (${who.label})`, 'POST', '/v1/events', { token: who.token, body: { name: 'Privacy', ...body } })
  if (res.status !== 201) throw new Error(`event creation failed: ${res.status} ${res.text}`)
  return res.body
}
const event = await newEvent(organiser, { seats: seatIds('A', 8), sections: [{ name: 'Floor', capacity: 50, priceCents: 1500 }] })
const theirs = await newEvent(stranger, { seats: seatIds('B', 4) })
const room = await newEvent(organiser, { seats: seatIds('W', 4), sale: { waitingRoom: { admitPerMinute: 6000, admissionSeconds: 120 } } })
// A buyer of the event, refused below like anyone else.
const firstBooking = await send('book seats (buyer1)', 'POST', `/v1/events/${event.id}/bookings`, { token: buyer1.token, body: { seatIds: ['A1', 'A2'] } })
if (firstBooking.status !== 201) throw new Error(`booking failed: ${firstBooking.status} ${firstBooking.text}`)

// ---------------------------------------------------------------------------------------------
t.test('part 1: the organiser-only routes, derived from what the gateway serves and from docs/api.md', async (t) => {
  t.ok(api.length >= 20, `the served routes were collected (${api.length} under /v1)`)
  t.same(api.map((s) => s.key).sort(), Object.keys(ACCESS).sort(),
    'every /v1 route the gateway serves is classified here, and nothing else: a new route must say who may call it')
  const heads = served.filter((s) => s.url.startsWith('/v1/') && s.method === 'HEAD')
  t.same(heads.filter((h) => !ACCESS[`GET ${h.url}`]).map((h) => h.key), [], 'every HEAD route under /v1 is the twin of a classified GET (and is probed like it)')
  const elsewhere = served.filter((s) => !s.url.startsWith('/v1/'))
  t.same(elsewhere.filter((s) => !['GET', 'HEAD', 'OPTIONS'].includes(s.method)).map((s) => s.key), [], 'outside /v1 only reads are served')
  t.same(elsewhere.filter((s) => s.method === 'GET' && !schemaOf(s).hide && !OPERATIONS.includes(s.url)).map((s) => s.key), [],
    'outside /v1, nothing but /metrics, /health and /ready, and the hidden pages, assets and API docs')

  const text = (s: Served) => `${schemaOf(s).summary ?? ''} ${schemaOf(s).description ?? ''}`
  const marked = api.filter((s) => /organi[sz]er only|NOT_EVENT_ORGANISER/i.test(text(s)) || schemaOf(s).tags?.includes('sales'))
  t.same(marked.map((s) => s.key).sort(), ORGANISER_ROUTES, 'the routes whose OpenAPI text says organiser only (or tag sales) are exactly the organiser routes')
  const withEmails = api.filter((s) => /email/i.test(JSON.stringify(schemaOf(s).response ?? {})))
  t.same(withEmails.map((s) => s.key), ['GET /v1/events/:eventId/bookings'], 'the only reply schema with an email in it is the organiser\'s bookings view')
  const salesLike = api.filter((s) => /^\/v1\/events\/:eventId\/.*\b(sales|bookings|buyers|orders|report|export|emails?)\b/.test(s.url))
  t.same(salesLike.map((s) => s.key).filter((k) => ACCESS[k] !== 'organiser').sort(), BUYER_COMMANDS,
    'every route under /v1/events/:eventId/ named like sales or bookings is organiser-only, but the buyer\'s booking command')
  t.ok(salesLike.length >= 3, 'and that check saw them')
  for (const key of Object.keys(ACCESS)) {
    const security = JSON.stringify(schemaOf(api.find((s) => s.key === key)!).security ?? null)
    if (ACCESS[key] === 'public') t.notSame(security, '[{"bearerAuth":[]}]', `${key}: public, documented without a required token`)
    else t.equal(security, '[{"bearerAuth":[]}]', `${key}: documented as needing a token`)
  }

  const doc = await readFile(new URL('../docs/api.md', import.meta.url), 'utf8')
  const rows = [...doc.matchAll(/^\| `([A-Z]+) ([^`?]+)(\?[^`]*)?` (?:\*([^*]+)\*)?/gm)]
  t.ok(rows.length >= 20, `docs/api.md's route rows were read (${rows.length})`)
  const documentedOrganiser = rows.filter((m) => m[4]?.includes('organiser')).map((m) => `${m[1]} ${m[2]}`).sort()
  t.same(documentedOrganiser, ORGANISER_ROUTES, 'docs/api.md marks exactly these routes "auth, organiser"')
  for (const m of rows.filter((m) => m[4]?.includes('auth') && !m[3])) {
    t.not(ACCESS[`${m[1]} ${m[2]}`], 'public', `${m[1]} ${m[2]}: marked auth in docs/api.md and treated as needing a token here`)
  }
})

t.test('part 1: every route that needs a token answers 401 UNAUTHENTICATED without one, or with a revoked one', async (t) => {
  const access = (s: Served) => ACCESS[`${s.method === 'HEAD' ? 'GET' : s.method} ${s.url}`]
  const guarded = served.filter((s) => s.url.startsWith('/v1/') && access(s) !== undefined && access(s) !== 'public')
  t.ok(guarded.length >= 20, `${guarded.length} routes (HEAD twins included)`)
  t.equal(signedOut.status, 204, 'signing out everywhere answered 204')
  for (const s of guarded) {
    const path = s.url.replace(':eventId', event.id).replace(/:\w+/g, ZERO)
    for (const [who, token] of [['no token', undefined], ['the organiser\'s revoked token', revokedToken]] as const) {
      const res = await send(`${s.key} with ${who}`, s.method, path, token ? { token } : {})
      t.equal(res.status, 401, `${s.key}, ${who}: 401`)
      if (s.method !== 'HEAD') t.equal(res.body?.code, 'UNAUTHENTICATED', `${s.key}, ${who}: UNAUTHENTICATED`)
    }
  }
})

interface Probe { route: string, label: string, method: string, path (eventId: string): string, headers?: Record<string, string>, body?: unknown, type: RegExp }
/** A change that would take the event over, were it allowed. */
const TAKEOVER = {
  name: 'Taken over',
  startsAt: inMs(30 * 86_400_000),
  sale: { paused: true, closesAt: inMs(86_400_000), maxSeatsPerBuyer: 1, waitingRoom: { admitPerMinute: 1, admissionSeconds: 10 } },
}
const CSV = { accept: 'text/csv' }
const PROBES: Probe[] = [
  { route: 'PATCH /v1/events/:eventId', label: 'PATCH the event', method: 'PATCH', path: (id) => `/v1/events/${id}`, body: TAKEOVER, type: /^application\/json/ },
  { route: 'GET /v1/events/:eventId/sales', label: 'GET sales', method: 'GET', path: (id) => `/v1/events/${id}/sales`, type: /^application\/json/ },
  { route: 'HEAD /v1/events/:eventId/sales', label: 'HEAD sales', method: 'HEAD', path: (id) => `/v1/events/${id}/sales`, type: /^application\/json/ },
  { route: 'GET /v1/events/:eventId/bookings', label: 'GET bookings (JSON)', method: 'GET', path: (id) => `/v1/events/${id}/bookings`, type: /^application\/json/ },
  { route: 'GET /v1/events/:eventId/bookings', label: 'GET bookings (JSON, filtered, a page of 1)', method: 'GET', path: (id) => `/v1/events/${id}/bookings?status=confirmed&limit=1`, type: /^application\/json/ },
  { route: 'GET /v1/events/:eventId/bookings', label: 'GET bookings (CSV)', method: 'GET', path: (id) => `/v1/events/${id}/bookings`, headers: CSV, type: /^text\/csv/ },
  { route: 'GET /v1/events/:eventId/bookings', label: 'GET bookings (CSV among other types)', method: 'GET', path: (id) => `/v1/events/${id}/bookings?status=confirmed`, headers: { accept: 'application/json;q=0.5, text/csv' }, type: /^text\/csv/ },
  { route: 'HEAD /v1/events/:eventId/bookings', label: 'HEAD bookings (CSV)', method: 'HEAD', path: (id) => `/v1/events/${id}/bookings`, headers: CSV, type: /^text\/csv/ },
]

function probe (p: Probe, eventId: string, token: string | undefined, who: string, asOrganiser = false) {
  const isView = asOrganiser && p.method === 'GET' && p.route.endsWith('/bookings')
  return send(`${p.label} by ${who}`, p.method, p.path(eventId), { ...(token ? { token } : {}), ...(p.headers ? { headers: p.headers } : {}), ...(p.body ? { body: p.body } : {}) },
    isView ? eventId : undefined)
}

/** A refusal: the status, as a problem and nothing more (no data, no download). */
function refused (t: Test, p: Probe, res: Reply, status: number, code: string, label: string) {
  t.equal(res.status, status, `${label}: ${status}`)
  t.match(res.headers.get('content-type'), /^application\/problem\+json/, `${label}: problem+json`)
  t.equal(res.headers.get('content-disposition'), null, `${label}: no download`)
  if (p.method === 'HEAD') return
  t.equal(res.body?.code, code, `${label}: ${code}`)
  t.same(Object.keys(res.body ?? {}).sort(), PROBLEM_KEYS, `${label}: the problem's fields and nothing else`)
}

t.test('part 1: each organiser route refuses everyone but the organiser, and a refused PATCH changes nothing', async (t) => {
  const organiserServed = served.filter((s) => s.url.startsWith('/v1/') && ACCESS[`${s.method === 'HEAD' ? 'GET' : s.method} ${s.url}`] === 'organiser').map((s) => s.key)
  t.same([...new Set(PROBES.map((p) => p.route))].sort(), organiserServed.sort(), 'every organiser route the gateway serves (HEAD twins included) is probed')

  const ver = claimsOf(organiser.token).ver
  t.equal(ver, 1, 'the organiser\'s current token carries the version after signing out everywhere')
  const [header, payload] = organiser.token.split('.')
  const now = Math.floor(Date.now() / 1000)
  const unauthenticated: Array<[string, string | undefined]> = [
    ['no token', undefined],
    ['a malformed token', 'not-a-token'],
    ['the organiser\'s token from before signing out everywhere', revokedToken],
    ['the organiser\'s claims unsigned (alg none)', `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`],
    ['the organiser\'s token with another user\'s signature', `${header}.${payload}.${stranger.token.split('.')[2]}`],
    ['the organiser\'s claims signed with another secret', mintToken(randomBytes(32).toString('hex'), organiser.userId, { ver })],
    ['the organiser\'s claims, expired', mintToken(JWT_SECRET, organiser.userId, { ver, iat: now - 13 * 3600, exp: now - 3600 })],
  ]
  // The same claims as the forgeries, signed right: accepted, so each refusal above is for the reason given.
  const control = mintToken(JWT_SECRET, organiser.userId, { ver })
  // Each of them is a token (or most of one) that must reach no log line; the malformed one is not.
  for (const [, token] of unauthenticated) if (token?.includes('.')) tokens.add(token)
  tokens.add(control)
  const forbidden: Array<[string, string]> = [
    ['another signed-in user (the organiser of another event)', stranger.token],
    ['a buyer of this event', buyer1.token],
  ]

  const before = await send('read the event back (before)', 'GET', `/v1/events/${event.id}`)
  const rowBefore = await stack.db.selectFrom('events').selectAll().where('id', '=', event.id).executeTakeFirstOrThrow()
  const scratch = await createEvent(stack.url, organiser.token, { name: 'Scratch', seats: ['S1'] })

  for (const p of PROBES) {
    for (const [who, token] of unauthenticated) refused(t, p, await probe(p, event.id, token, who), 401, 'UNAUTHENTICATED', `${p.label}, ${who}`)
    for (const [who, token] of forbidden) refused(t, p, await probe(p, event.id, token, who), 403, 'NOT_EVENT_ORGANISER', `${p.label}, ${who}`)
    refused(t, p, await probe(p, ZERO, stranger.token, 'another user, for no such event'), 404, 'EVENT_NOT_FOUND', `${p.label}, an unknown event`)
    // The organiser (and a token minted like theirs): the PATCH on a scratch event, so the takeover shows what it would have done.
    for (const [who, token] of [['the organiser', organiser.token], ['a token minted like the organiser\'s', control]] as const) {
      const res = await probe(p, p.method === 'PATCH' ? scratch.id : event.id, token, who, true)
      t.equal(res.status, 200, `${p.label}, ${who}: 200`)
      t.match(res.headers.get('content-type'), p.type, `${p.label}, ${who}: ${p.type.source}`)
    }
  }

  const changed = await send('read the scratch event back', 'GET', `/v1/events/${scratch.id}`)
  t.match(changed.body, { name: 'Taken over', sale: { paused: true, maxSeatsPerBuyer: 1, waitingRoom: { admitPerMinute: 1 }, status: 'paused' } },
    'the organiser\'s PATCH changed their event: the same body would have taken the refused ones\' event over')
  const after = await send('read the event back (after)', 'GET', `/v1/events/${event.id}`)
  t.equal(after.status, 200)
  t.same(after.body, before.body, 'the event reads exactly as before every refused PATCH')
  t.match(after.body, { name: 'Privacy', startsAt: null, sale: { paused: false, closesAt: null, maxSeatsPerBuyer: null, waitingRoom: null, status: 'open' } })
  const rowAfter = await stack.db.selectFrom('events').selectAll().where('id', '=', event.id).executeTakeFirstOrThrow()
  t.same(rowAfter, rowBefore, 'and its row is unchanged')
})

t.test('part 1: GET /v1/events?organiser=me lists only the caller\'s own events, and needs a token', async (t) => {
  const ids = async (who: User) => {
    const res = await send(`list my events (${who.label})`, 'GET', '/v1/events?organiser=me&limit=100', { token: who.token })
    t.equal(res.status, 200)
    return res.body.items.map((e: { id: string }) => e.id) as string[]
  }
  const mine = await ids(organiser)
  t.ok(mine.includes(event.id) && mine.includes(room.id), 'the organiser\'s list has their events')
  t.notOk(mine.includes(theirs.id), 'and not the stranger\'s')
  t.same(await ids(stranger), [theirs.id], 'the stranger\'s has only theirs')
  t.same(await ids(buyer1), [], 'a buyer organises nothing')
  for (const [who, token] of [['no token', undefined], ['a revoked token', revokedToken]] as const) {
    const res = await send(`list my events with ${who}`, 'GET', '/v1/events?organiser=me', token ? { token } : {})
    t.match([res.status, res.body?.code], [401, 'UNAUTHENTICATED'], `${who}: 401`)
  }
})

// ---------------------------------------------------------------------------------------------
/** buyer1's queue ticket stream, followed until the stack stops. */
let openTicketStream: Awaited<ReturnType<typeof openSse>> | undefined

t.test('part 2: buyers\' emails appear in their event\'s organiser\'s views and in no other reply', async (t) => {
  const E = event.id
  const expect = <R extends Reply>(res: R, status: number, what: string, code?: string): R => {
    t.equal(res.status, status, `${what}: ${status}`, { body: res.body })
    if (code) t.equal(res.body?.code, code, `${what}: ${code}`)
    return res
  }
  const live: SseMessage[] = []
  const liveStream = await openSse(`${stack.url}/v1/events/${E}/stream`, (m) => live.push(m))
  t.equal(liveStream.status, 200, 'the live seat map is followed through the sale')

  // The sale: two buyers book, one holds, one cancels; and everything they may not do.
  const floorId = event.sections[0].id as string
  const floor = expect(await send('book a section (buyer2)', 'POST', `/v1/events/${E}/bookings`, { token: buyer2.token, body: { sectionId: floorId, quantity: 2 } }), 201, 'buyer2 books 2 on the floor')
  const hold = expect(await send('hold a seat (buyer2)', 'POST', `/v1/events/${E}/holds`, { token: buyer2.token, body: { seatIds: ['A3'], ttlSeconds: 900 } }), 201, 'buyer2 holds A3')
  const holdId = hold.body.holdId as string
  expect(await send('read my hold (buyer2)', 'GET', `/v1/holds/${holdId}`, { token: buyer2.token }), 200, 'buyer2 reads the hold')
  expect(await send('read another buyer\'s hold (buyer1)', 'GET', `/v1/holds/${holdId}`, { token: buyer1.token }), 404, 'buyer1 reads it', 'HOLD_NOT_FOUND')
  expect(await send('confirm another buyer\'s hold (buyer1)', 'POST', `/v1/holds/${holdId}/confirm`, { token: buyer1.token }), 403, 'buyer1 confirms it', 'NOT_HOLD_OWNER')
  expect(await send('release another buyer\'s hold (buyer1)', 'DELETE', `/v1/holds/${holdId}`, { token: buyer1.token }), 403, 'buyer1 releases it', 'NOT_HOLD_OWNER')
  expect(await send('book a held seat (buyer1)', 'POST', `/v1/events/${E}/bookings`, { token: buyer1.token, body: { seatIds: ['A3'] } }), 409, 'buyer1 books A3', 'SEATS_UNAVAILABLE')
  expect(await send('book a booked seat (buyer2)', 'POST', `/v1/events/${E}/bookings`, { token: buyer2.token, body: { seatIds: ['A1'] } }), 409, 'buyer2 books A1', 'SEATS_UNAVAILABLE')

  const own = expect(await send('hold a seat (buyer1)', 'POST', `/v1/events/${E}/holds`, { token: buyer1.token, body: { seatIds: ['A4'] } }), 201, 'buyer1 holds A4')
  expect(await send('confirm my hold (buyer1)', 'POST', `/v1/holds/${own.body.holdId}/confirm`, { token: buyer1.token }), 201, 'and confirms it')
  const released = expect(await send('hold a seat (buyer1, to release)', 'POST', `/v1/events/${E}/holds`, { token: buyer1.token, body: { seatIds: ['A5'] } }), 201, 'buyer1 holds A5')
  expect(await send('release my hold (buyer1)', 'DELETE', `/v1/holds/${released.body.holdId}`, { token: buyer1.token }), 204, 'and releases it')

  const pending = expect(await send('book, answer later (buyer1)', 'POST', `/v1/events/${E}/bookings`, { token: buyer1.token, body: { seatIds: ['A6'] }, headers: { prefer: 'respond-async' } }), 202, 'buyer1 books A6 asynchronously')
  const requestPath = pending.headers.get('location') ?? ''
  t.equal(requestPath, `/v1/requests/${pending.body.requestId}`, 'to poll at Location')
  const done = await poll(() => send('poll my request (buyer1)', 'GET', requestPath, { token: buyer1.token }), (r) => r.body?.status !== 'pending', 10_000)
  t.match(done.body, { status: 'succeeded', result: { seatIds: ['A6'] } }, 'the request succeeded')
  expect(await send('poll another buyer\'s request (stranger)', 'GET', requestPath, { token: stranger.token }), 404, 'the stranger polls it', 'REQUEST_NOT_FOUND')

  const key = { 'idempotency-key': `privacy-${tag}` }
  const once = expect(await send('book with an idempotency key (buyer1)', 'POST', `/v1/events/${E}/bookings`, { token: buyer1.token, body: { seatIds: ['A7'] }, headers: key }), 201, 'buyer1 books A7 with a key')
  const twice = expect(await send('book again with the same key (buyer1)', 'POST', `/v1/events/${E}/bookings`, { token: buyer1.token, body: { seatIds: ['A7'] }, headers: key }), 201, 'the same again')
  t.equal(twice.body.bookingId, once.body.bookingId, 'the first reply, again')
  expect(await send('reuse the key for another body (buyer1)', 'POST', `/v1/events/${E}/bookings`, { token: buyer1.token, body: { seatIds: ['A8'] }, headers: key }), 422, 'another body', 'IDEMPOTENCY_KEY_REUSED')

  const floorBooking = floor.body.bookingId as string
  expect(await send('cancel another buyer\'s booking (buyer1)', 'DELETE', `/v1/bookings/${floorBooking}`, { token: buyer1.token }), 403, 'buyer1 cancels buyer2\'s booking', 'NOT_BOOKING_OWNER')
  expect(await send('cancel my booking (buyer2)', 'DELETE', `/v1/bookings/${floorBooking}`, { token: buyer2.token }), 200, 'buyer2 cancels it')
  expect(await send('cancel it again (buyer2)', 'DELETE', `/v1/bookings/${floorBooking}`, { token: buyer2.token }), 409, 'again', 'ALREADY_CANCELLED')
  expect(await send('book from the stranger\'s event (buyer3)', 'POST', `/v1/events/${theirs.id}/bookings`, { token: buyer3.token, body: { seatIds: ['B1'] } }), 201, 'buyer3 books B1 of the stranger\'s event')

  // Everything a buyer, a stranger or anyone reads.
  for (const who of [buyer1, buyer2, buyer3, stranger]) {
    const mine = expect(await send(`list my bookings (${who.label})`, 'GET', '/v1/bookings?limit=100', { token: who.token }), 200, `${who.label} lists their bookings`)
    t.ok(mine.body.items.every((b: { userId: string }) => b.userId === who.userId), `${who.label}: only their own`)
  }
  expect(await send('list my cancelled bookings of the event (buyer2)', 'GET', `/v1/bookings?eventId=${E}&status=cancelled`, { token: buyer2.token }), 200, 'buyer2 filters')
  expect(await send('read my booking (buyer1)', 'GET', `/v1/bookings/${firstBooking.body.bookingId}`, { token: buyer1.token }), 200, 'buyer1 reads a booking')
  expect(await send('read another buyer\'s booking (stranger)', 'GET', `/v1/bookings/${firstBooking.body.bookingId}`, { token: stranger.token }), 404, 'the stranger reads it', 'BOOKING_NOT_FOUND')
  expect(await send('read another buyer\'s booking (organiser)', 'GET', `/v1/bookings/${firstBooking.body.bookingId}`, { token: organiser.token }), 404, 'the organiser reads it (only through their views)', 'BOOKING_NOT_FOUND')
  expect(await send('list events', 'GET', '/v1/events?limit=100'), 200, 'anyone lists events')
  for (const id of [E, theirs.id]) {
    expect(await send('read an event', 'GET', `/v1/events/${id}`), 200, 'anyone reads an event')
    for (const query of ['', '?status=booked', '?status=held']) expect(await send(`list seats${query}`, 'GET', `/v1/events/${id}/seats${query}`), 200, `anyone lists seats${query}`)
  }
  expect(await send('the sales report (organiser)', 'GET', `/v1/events/${E}/sales`, { token: organiser.token }), 200, 'the organiser reads the sales report')

  // The waiting room.
  expect(await send('join a room-less event (buyer1)', 'POST', `/v1/events/${E}/queue`, { token: buyer1.token }), 409, 'no waiting room', 'NO_WAITING_ROOM')
  const joined = expect(await send('join the waiting room (buyer1)', 'POST', `/v1/events/${room.id}/queue`, { token: buyer1.token }), 201, 'buyer1 joins the waiting room')
  expect(await send('join again (buyer1)', 'POST', `/v1/events/${room.id}/queue`, { token: buyer1.token }), 200, 'and again')
  expect(await send('read my place, not joined (buyer2)', 'GET', `/v1/events/${room.id}/queue`, { token: buyer2.token }), 404, 'buyer2 has no ticket', 'QUEUE_TICKET_NOT_FOUND')
  expect(await send('book unadmitted (buyer2)', 'POST', `/v1/events/${room.id}/bookings`, { token: buyer2.token, body: { seatIds: ['W1'] } }), 403, 'nor an admission', 'NOT_ADMITTED')
  const ticketId = joined.body.ticketId as string
  const ticketMessages: SseMessage[] = []
  const ticketStream = await openSse(`${stack.url}/v1/queue/${ticketId}/stream`, (m) => ticketMessages.push(m))
  const admitted = await poll(() => send('read my place (buyer1)', 'GET', `/v1/events/${room.id}/queue`, { token: buyer1.token }), (r) => r.body?.status === 'admitted', 10_000)
  t.equal(admitted.body?.status, 'admitted', 'buyer1 is admitted')
  expect(await send('hold, admitted (buyer1)', 'POST', `/v1/events/${room.id}/holds`, { token: buyer1.token, body: { seatIds: ['W1'], ttlSeconds: 900 } }), 201, 'and holds W1')
  await poll(async () => ticketMessages.length, (n) => n > 0, 5_000)
  // Left open: the gateway ends it as it shuts down in part 3, as it would end it on a final status.
  openTicketStream = ticketStream
  exchanges.push({ label: 'the queue ticket stream', method: 'GET', path: `/v1/queue/${ticketId}/stream`, sent: '', status: ticketStream.status, headers: ticketStream.headers, text: JSON.stringify(ticketMessages) })
  t.ok(ticketMessages.some((m) => m.event === 'ticket'), 'the ticket stream said something')

  // Identity and transport problems, where a buyer's email is what is sent.
  expect(await send('signup with a taken email (EMAIL_TAKEN)', 'POST', '/v1/auth/signup', { body: { email: buyer1.email, password: newPassword('pw taken') } }), 409, 'signup with buyer1\'s email', 'EMAIL_TAKEN')
  expect(await send('signup with a short password', 'POST', '/v1/auth/signup', { body: { email: buyer2.email, password: 'shrt-pw' } }), 400, 'a short password', 'VALIDATION_FAILED')
  passwords.add('shrt-pw')
  expect(await send('login with a wrong password (buyer1)', 'POST', '/v1/auth/login', { body: { email: buyer1.email, password: newPassword('wrong') } }), 401, 'a wrong password', 'INVALID_CREDENTIALS')
  const nobody = `privacy-nobody-${tag}@example.com`
  emails.add(nobody)
  expect(await send('login with no such account', 'POST', '/v1/auth/login', { body: { email: nobody, password: newPassword('nobody') } }), 401, 'no such account', 'INVALID_CREDENTIALS')
  expect(await send('login with an unknown field', 'POST', '/v1/auth/login', { body: { email: buyer2.email, password: buyer2.password, admin: true } }), 400, 'an unknown field', 'VALIDATION_FAILED')
  expect(await send('login (buyer2)', 'POST', '/v1/auth/login', { body: { email: buyer2.email, password: buyer2.password } }), 200, 'buyer2 logs in')
  expect(await send('unparseable JSON', 'POST', `/v1/events/${E}/bookings`, { token: buyer1.token, body: '{"seatIds": [' }), 400, 'bad JSON', 'BAD_REQUEST')
  expect(await send('no such route', 'GET', '/v1/buyers', { token: organiser.token }), 404, 'an unknown route', 'ROUTE_NOT_FOUND')
  for (const path of [...OPERATIONS, '/docs/json']) expect(await send(`operations: ${path}`, 'GET', path), 200, path)

  // The organiser's views: their event's buyers' emails, and only theirs.
  for (const [who, id] of [[organiser, E], [stranger, theirs.id]] as const) {
    const json = expect(await send(`bookings view (${who.label})`, 'GET', `/v1/events/${id}/bookings?limit=1000`, { token: who.token }, id), 200, `${who.label}'s bookings view`)
    const csv = expect(await send(`bookings CSV (${who.label})`, 'GET', `/v1/events/${id}/bookings`, { token: who.token, headers: CSV }, id), 200, `${who.label}'s CSV`)
    const buyers = id === E ? [buyer1, buyer2] : [buyer3]
    t.same([...new Set(json.body.items.map((b: { buyerEmail: string }) => b.buyerEmail))].sort(), buyers.map((b) => b.email).sort(),
      `${who.label}'s view has exactly their event's buyers' emails`)
    for (const u of users) {
      t.equal(csv.text.includes(u.email), buyers.includes(u), `${who.label}'s CSV ${buyers.includes(u) ? 'has' : 'has not'} ${u.label}'s email`)
    }
  }

  liveStream.close()
  exchanges.push({ label: 'the live seat map', method: 'GET', path: `/v1/events/${E}/stream`, sent: '', status: liveStream.status, headers: liveStream.headers, text: JSON.stringify(live) })
  t.ok(live.some((m) => m.event === 'seats'), 'the live seat map said something')

  // Every route was called, and every reply is scanned.
  const called = new Set(exchanges.map((x) => routeOf(x.method, x.path)))
  t.same(Object.keys(ACCESS).filter((k) => !called.has(k)), [], 'every /v1 route was called at least once in this file')
  const needles = (email: string) => [email, email.split('@')[0]!]
  const everything = (x: Exchange) => `${x.status}\n${[...x.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${x.text}`.toLowerCase()
  const leaks: string[] = []
  const echoes: Exchange[] = []
  for (const x of exchanges.filter((x) => !x.view)) {
    const reply = everything(x)
    for (const email of emails) {
      if (!needles(email).some((n) => reply.includes(n))) continue
      if (needles(email).some((n) => x.sent.toLowerCase().includes(n))) echoes.push(x)
      else leaks.push(`${x.label} (${x.method} ${x.path}): ${email}`)
    }
  }
  t.ok(exchanges.length > 150, `${exchanges.length} replies were scanned`)
  t.same(leaks, [], 'no reply but the organiser\'s views carries an email the request did not')
  // Replies to a request that named an email: only EMAIL_TAKEN says it back (to whoever sent it).
  t.same([...new Set(echoes.filter((x) => (parseBody(x.text) as { code?: string } | undefined)?.code !== 'EMAIL_TAKEN').map((x) => x.label))], [],
    'no login reply, validation problem or other reply repeats the email it was sent')
})

// ---------------------------------------------------------------------------------------------
t.test('part 3: no reply and no log line carries a password, a token or the signing secret; no log line an email', async (t) => {
  const marks = { csv: `privacy-csv-${tag}`, book: `privacy-book-${tag}`, login: `privacy-login-${tag}`, signOut: `privacy-signout-${tag}` }
  const csv = await send('bookings CSV, marked (organiser)', 'GET', `/v1/events/${event.id}/bookings`, { token: organiser.token, headers: { ...CSV, 'x-request-id': marks.csv } }, event.id)
  t.equal(csv.status, 200, 'the organiser downloads the CSV')
  t.equal(csv.headers.get('x-request-id'), marks.csv, 'with the request id sent')
  const booked = await send('book, marked (buyer2)', 'POST', `/v1/events/${event.id}/bookings`, { token: buyer2.token, body: { seatIds: ['A8'] }, headers: { 'x-request-id': marks.book } })
  t.equal(booked.status, 201, 'buyer2 books A8')
  const wrong = await send('login with a wrong password, marked (buyer2)', 'POST', '/v1/auth/login', { body: { email: buyer2.email, password: newPassword('wrong again') }, headers: { 'x-request-id': marks.login } })
  t.equal(wrong.status, 401, 'a wrong password is refused')
  const buyer2Token = buyer2.token
  const out = await send('sign out everywhere, marked (buyer2)', 'POST', '/v1/auth/sign-out-everywhere', { token: buyer2Token, headers: { 'x-request-id': marks.signOut } })
  t.equal(out.status, 204, 'buyer2 signs out everywhere')
  t.equal((await send('list my bookings, signed out (buyer2)', 'GET', '/v1/bookings', { token: buyer2Token })).status, 401, 'and their token is refused at once')

  // Replies: a token only in the signup or login reply that issued it; a password or the secret in none.
  const inReplies: string[] = []
  for (const x of exchanges) {
    const reply = `${[...x.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${x.text}`
    // The token a signup or login reply issues is the one token it may carry.
    const issued = /^(signup|login)/.test(x.label) && x.status < 300 ? String((parseBody(x.text) as { token?: unknown } | undefined)?.token ?? '') : ''
    for (const password of passwords) if (reply.includes(password) || reply.includes(randomPart(password))) inReplies.push(`${x.label}: a password`)
    if (reply.includes(JWT_SECRET)) inReplies.push(`${x.label}: the signing secret`)
    for (const token of tokens) {
      const signature = token.split('.')[2] ?? ''
      for (const needle of [token, signature].filter((n) => n.length >= 20)) {
        if (reply.includes(needle) && !issued.includes(needle)) inReplies.push(`${x.label}: a token not issued by it`)
      }
    }
  }
  t.ok(tokens.size >= 10 && passwords.size >= 8, `${tokens.size} tokens and ${passwords.size} passwords looked for`)
  t.same(inReplies, [], 'no reply carries a password, the secret, or a token it did not issue')

  // The processes' output: wait for the last lines, then stop them so that nothing is left unwritten.
  const lines = () => stack.output().split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, any>]
    } catch {
      return []
    }
  })
  await poll(async () => lines(), (all) => Object.values(marks).every((m) => all.some((l) => l.reqId === m || l.reqIds?.includes(m))), 15_000)
  await stack.stop()
  openTicketStream?.close()
  const output = stack.output()
  const logged = lines()
  t.ok(logged.length > 100, `${logged.length} JSON log lines captured from the gateway and the worker`)
  t.ok(logged.some((l) => l.service === 'worker') && logged.some((l) => l.service === 'gateway'), 'from both processes')
  t.ok(logged.some((l) => l.reqId === START_MARK && l.msg === 'request' && l.url === '/health'), 'the first request of this file was logged: nothing was dropped from the start')
  t.match(logged.find((l) => l.reqId === marks.csv && l.msg === 'request'),
    { level: 30, method: 'GET', url: `/v1/events/${event.id}/bookings`, statusCode: 200, userId: organiser.userId }, 'the CSV download\'s access line, at info, with its request id and user')
  t.match(logged.find((l) => l.reqId === marks.login && l.msg === 'request'),
    { level: 30, method: 'POST', url: '/v1/auth/login', statusCode: 401, problem: 'INVALID_CREDENTIALS' }, 'the failed login\'s access line')
  t.match(logged.find((l) => l.reqId === marks.signOut && l.msg === 'request'), { statusCode: 204, userId: buyer2.userId }, 'the sign-out\'s')
  t.match(logged.find((l) => l.msg === 'job done' && l.reqIds?.includes(marks.book)), { service: 'worker', level: 30, outcomes: ['booking'] }, 'and the worker\'s line for the marked booking')

  const found: string[] = []
  for (const password of passwords) {
    if (output.includes(password)) found.push(`a password (${password.slice(0, 8)}…)`)
    else if (output.includes(randomPart(password))) found.push(`the random part of a password (${password.slice(0, 8)}…)`)
  }
  for (const token of tokens) {
    const [, payload = '', signature = ''] = token.split('.')
    if (output.includes(token)) found.push('a whole token')
    if (signature.length >= 20 && output.includes(signature)) found.push('a token\'s signature')
    if (payload.length >= 20 && output.includes(payload)) found.push('a token\'s claims')
  }
  if (output.includes(JWT_SECRET)) found.push('the signing secret')
  for (const m of output.matchAll(/eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]*/g)) found.push(`something shaped like a JWT: ${m[0].slice(0, 20)}…`)
  for (const email of emails) {
    if (output.toLowerCase().includes(email)) found.push(`an email (${email})`)
    else if (output.toLowerCase().includes(email.split('@')[0]!)) found.push(`an email's local part (${email})`)
  }
  if (/@example\.com/i.test(output)) found.push('something @example.com')
  t.same(found, [], 'the output of every process carries no password, token, signing secret or email')

  // The waiting room's ticket id is a credential (the stream's URL needs nothing else): the access line names the route, not the ticket.
  const ticketIds = exchanges.filter((x) => x.path.startsWith('/v1/queue/')).map((x) => x.path.split('/')[3]!)
  t.ok(ticketIds.length > 0, 'a ticket stream was followed')
  t.notOk(ticketIds.some((id) => output.includes(id)), 'no log line carries a queue ticket id')
  t.match(output, /"url":"\/v1\/queue\/<ticket>\/stream"/, 'while the stream\'s access line is there')
})
