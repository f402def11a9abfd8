// The waiting room in a real browser (Debian's Chromium, driven by playwright-core) against a
// real stack: the organiser creates a small sale with a waiting room through the form; buyers
// join before the opening and see it (no place yet), then their place, the people ahead and the
// seats left; admitted, the map and the time left to shop; one books through the page, and when
// nothing is left a buyer still in line reads "Sold out". The organiser's page shows waiting,
// admitted and the rate, live, and its pause stops admissions. Then: an admission that runs
// out, and joining again at the back.
import type { Page } from 'playwright-core'
import t from 'tap'
import { call, createEvent, poll, signup } from '../helpers/api.ts'
import { startStack } from '../helpers/stack.ts'
import { launchBrowser, localInput, SHOTS, signUpInPage, tokenOf } from './browser-kit.ts'

/** The opening, this long after the form is filled: time for the buyers to join before it. */
const OPENS_IN_MS = 15_000
/** Generous: the machine is small and shared. */
const SLOW_MS = 20_000
const RATE = 600

const stack = await startStack({ workers: 1 })
t.teardown(() => stack.stop())
const { openPage: openContext, load, pageErrors } = await launchBrowser(stack.url, { timeoutMs: SLOW_MS })
const openPage = async (path: string): Promise<Page> => (await openContext(path)).page

const seat = (page: Page, seatId: string) => page.locator(`[data-seat="${seatId}"]`)
const text = async (page: Page, selector: string) => (await page.locator(selector).textContent())?.trim() ?? ''
const visible = (page: Page, selector: string) => page.locator(selector).isVisible()
const join = (eventId: string, token: string) => call(stack.url, 'POST', `/v1/events/${eventId}/queue`, { token })

let eventId = ''
let opensAt = 0
let organiser: Page
/** Buyers on pages: A and B join before the opening, C after it. */
let a: Page
let b: Page
let c: Page
/** Buyers through the API: X joins before the opening, Y after it. */
let x: { token: string }
let y: { token: string }

t.test('the organiser creates a sale with a waiting room through the form', async (t) => {
  // Scrypt is slow on purpose: everyone signs up first, so the time before the opening is the test's.
  a = await openPage('/')
  b = await openPage('/')
  c = await openPage('/')
  organiser = await openPage('/organiser')
  await signUpInPage(a, 'buyer-a')
  await signUpInPage(b, 'buyer-b')
  await signUpInPage(c, 'buyer-c')
  await signUpInPage(organiser, 'organiser')
  x = await signup(stack.url)
  y = await signup(stack.url)

  await organiser.locator('#ev-name').fill('Tiny club night')
  await organiser.locator('#ev-first-row').fill('A')
  await organiser.locator('#ev-last-row').fill('A')
  await organiser.locator('#ev-per-row').fill('3')
  t.ok(await organiser.locator('#ev-wr-fields').isHidden(), 'the waiting room\'s settings wait for the checkbox')
  await organiser.getByLabel('Buyers queue in a waiting room').check()
  await organiser.locator('#ev-wr-rate').fill(String(RATE))
  await organiser.locator('#ev-wr-minutes').fill('1')
  opensAt = Date.now() + OPENS_IN_MS
  await organiser.locator('#ev-opens').fill(await localInput(organiser, opensAt))
  await organiser.locator('#ev-preview', { hasText: `waiting room: ${RATE} a minute, 1 min each to shop` }).waitFor()
  await organiser.getByRole('button', { name: 'Create event' }).click()
  await organiser.locator('#ev-message', { hasText: 'Created' }).waitFor()
  eventId = /event=([0-9a-f-]{36})/.exec(organiser.url())?.[1] ?? ''
  t.match(eventId, /^[0-9a-f-]{36}$/, 'the page now watches the new event')
  opensAt = Math.floor(opensAt / 1000) * 1000

  const { body: event } = await call(stack.url, 'GET', `/v1/events/${eventId}`)
  t.same(event.sale.waitingRoom, { admitPerMinute: RATE, admissionSeconds: 60 }, 'the API has the waiting room as the form set it')
  t.equal(event.seats.total, 3, 'three seats')
  await organiser.locator('#org-sale-wr', { hasText: `${RATE} a minute` }).waitFor()
  await organiser.locator('#org-wr').waitFor({ state: 'visible' })
  t.equal(await text(organiser, '#wr-rate'), String(RATE), 'the dashboard shows the rate')
  t.ok(await visible(organiser, '#sale-pause-hint'), 'and says that pausing stops admissions too')
})

t.test('before the opening: join the queue, no place yet, no map', async (t) => {
  t.ok(eventId, 'needs the event from the organiser test')
  await load(a, `/#event=${eventId}`)
  await a.locator('#queue').waitFor({ state: 'visible' })
  t.equal(await text(a, '#queue-headline'), 'This sale has a waiting room')
  t.match(await text(a, '#queue-note'), /everyone who joins before the opening gets a random place, so there is no need to rush/, 'joining early is explained')
  t.ok(await a.locator('#shop').isHidden(), 'no map before an admission')
  t.equal(await seat(a, 'A1').count(), 0, 'nor its seats (they are not even read)')
  await a.getByRole('button', { name: 'Join the queue' }).click()
  await a.locator('#queue-headline', { hasText: 'waiting for the opening' }).waitFor()
  t.match(await text(a, '#queue-note'), /Waiting for the opening at .* — your place will be drawn at random among early arrivals/)
  t.ok(await a.locator('#queue-position-fact').isHidden(), 'no place before the opening')
  t.ok(await a.locator('#queue-ahead-fact').isHidden(), 'nor people ahead')
  await a.locator('#queue-seats', { hasText: /^3$/ }).waitFor()
  await a.locator('#queue-live', { hasText: 'Live' }).waitFor()
  t.ok(await a.getByRole('button', { name: /Join the queue/ }).isHidden(), 'joined: no button to join again')
  await a.mouse.move(0, 0)
  await a.screenshot({ path: `${SHOTS}queue-waiting.png` })

  await load(b, `/#event=${eventId}`)
  await b.getByRole('button', { name: 'Join the queue' }).click()
  await b.locator('#queue-headline', { hasText: 'waiting for the opening' }).waitFor()
  t.equal((await join(eventId, x.token)).status, 201, 'X joins through the API')

  // A reload resumes: the page reads the ticket and follows it again.
  await load(a, `/#event=${eventId}`)
  await a.locator('#queue-headline', { hasText: 'waiting for the opening' }).waitFor()
  t.ok(await a.getByRole('button', { name: /Join the queue/ }).isHidden(), 'reloaded, A is still in the line')
  t.ok(await a.evaluate(() => Object.keys(localStorage).some((k) => k.startsWith('seatline.queue.'))), 'the ticket is kept for the next load')
})

t.test('paused past the opening: places, people ahead and seats left; nobody is let in', async (t) => {
  await organiser.getByRole('button', { name: 'Pause sale' }).click()
  await organiser.locator('#sale-message', { hasText: 'nobody is let in from the waiting room' }).waitFor()
  await organiser.locator('#wr-waiting', { hasText: /^3$/ }).waitFor()

  // The opening passes; with the sale paused the line stands still, and everyone sees their place.
  await a.locator('#queue-position-fact').waitFor({ state: 'visible', timeout: Math.max(0, opensAt - Date.now()) + SLOW_MS })
  const places = []
  for (const page of [a, b]) {
    await page.locator('#queue-position-fact').waitFor({ state: 'visible' })
    const position = Number(await text(page, '#queue-position'))
    t.ok(position >= 1 && position <= 3, `an early joiner is among the first three: ${position}`)
    t.equal(Number(await text(page, '#queue-ahead')), position - 1, 'with the people ahead')
    t.equal(await text(page, '#queue-seats'), '3', 'and the seats left')
    places.push(position)
  }
  t.not(places[0], places[1], 'each has a place of their own')

  // C joins after the opening: behind every early joiner, then Y behind C.
  await load(c, `/#event=${eventId}`)
  await c.locator('#queue-headline', { hasText: 'This sale has a waiting room' }).waitFor()
  t.match(await text(c, '#queue-note'), /you take the next place in line/, 'after the opening, joining means the back of the line')
  await c.getByRole('button', { name: 'Join the queue' }).click()
  await c.locator('#queue-message', { hasText: 'You joined the queue at position 4' }).waitFor()
  await c.locator('#queue-position', { hasText: /^4$/ }).waitFor()
  t.equal(await text(c, '#queue-ahead'), '3', 'three people ahead')
  t.equal(await text(c, '#queue-seats'), '3', 'three seats left')
  t.equal((await join(eventId, y.token)).status, 201, 'Y joins through the API, behind C')
  await c.locator('#queue-note', { hasText: 'paused the sale, and admissions with it' }).waitFor()
  t.equal(await text(c, '#queue-wait'), 'paused', 'no wait is promised while paused')
  await c.mouse.move(0, 0)
  await c.screenshot({ path: `${SHOTS}queue-position.png` })
  await c.setViewportSize({ width: 390, height: 844 })
  await c.screenshot({ path: `${SHOTS}queue-phone.png`, fullPage: true })
  await c.setViewportSize({ width: 1280, height: 900 })
  await organiser.locator('#wr-waiting', { hasText: /^5$/ }).waitFor()
  t.equal(await text(organiser, '#wr-admitted'), '0', 'paused: nobody is admitted')
})

t.test('a refusal for want of an admission is worded, and the page goes back to the line', async (t) => {
  // The page is made to believe C is admitted (a doctored read, the stream held back): the server says otherwise.
  await c.route('**/v1/queue/*/stream', (route) => route.abort())
  await c.route(`**/v1/events/${eventId}/queue`, async (route) => {
    const response = await route.fetch()
    const ticket = await response.json() as Record<string, unknown>
    const until = new Date(Date.now() + 60_000).toISOString()
    await route.fulfill({ response, json: { ...ticket, status: 'admitted', position: undefined, ahead: undefined, estimatedWaitSeconds: undefined, admittedAt: new Date().toISOString(), admittedUntil: until } })
  }, { times: 1 })
  await load(c, `/#event=${eventId}`)
  await seat(c, 'A1').click()
  await c.getByRole('button', { name: 'Hold seat' }).click()
  const refusal = await c.locator('#message[data-kind="error"]').textContent()
  t.equal(refusal, 'Not done: you are in the queue at position 4; you can buy once admitted.', `C reads: ${refusal}`)
  await c.unroute('**/v1/queue/*/stream')
  await c.locator('#queue-position', { hasText: /^4$/ }).waitFor()
  t.ok(await c.locator('#shop').isHidden(), 'the page reads the ticket again: back in the line, the map shut')
})

t.test('resumed: the first three are admitted, with the map and the time left to shop; C is next', async (t) => {
  await organiser.getByRole('button', { name: 'Resume sale' }).click()
  await organiser.locator('#sale-message', { hasText: 'admissions from the waiting room go on' }).waitFor()

  for (const page of [a, b]) {
    await page.locator('#queue-headline', { hasText: 'It is your turn' }).waitFor()
    await page.locator('#shop').waitFor({ state: 'visible' })
    await seat(page, 'A1').waitFor()
    t.match(await text(page, '#queue-timer'), /^[01]:\d\d$/, `the time left to shop counts down: ${await text(page, '#queue-timer')}`)
  }
  const first = await text(a, '#queue-timer')
  await a.locator('#queue-timer', { hasNotText: first }).waitFor()
  t.ok(await a.getByRole('button', { name: 'Hold seat' }).isVisible(), 'the buying controls are there')
  await poll(() => call(stack.url, 'GET', `/v1/events/${eventId}/queue`, { token: x.token }), (r) => r.body?.status === 'admitted', SLOW_MS)

  await c.locator('#queue-position', { hasText: /^1$/ }).waitFor()
  t.equal(await text(c, '#queue-ahead'), '0', 'C is next: nobody ahead')
  t.ok(await c.locator('#shop').isHidden(), 'but not in: three places, three buyers shopping')

  await organiser.locator('#wr-admitted', { hasText: /^3$/ }).waitFor()
  await organiser.locator('#wr-waiting', { hasText: /^2$/ }).waitFor()
  t.equal(await text(organiser, '#wr-rate'), String(RATE))
  await organiser.mouse.move(0, 0)
  await organiser.screenshot({ path: `${SHOTS}organiser-waiting-room.png`, fullPage: true })

  // The rate can change during the sale (the places, not the rate, hold C back here).
  await organiser.locator('#wr-rate-input').fill(String(RATE * 2))
  await organiser.getByRole('button', { name: 'Change rate' }).click()
  await organiser.locator('#sale-message', { hasText: `let in at up to ${(RATE * 2).toLocaleString('en')} a minute` }).waitFor()
  t.same((await call(stack.url, 'GET', `/v1/events/${eventId}`)).body.sale.waitingRoom, { admitPerMinute: RATE * 2, admissionSeconds: 60 }, 'the API has the new rate')
  await organiser.locator('#wr-rate', { hasText: (RATE * 2).toLocaleString('en') }).waitFor()

  // A reload resumes the admission: the map and the time left come back.
  await load(a, `/#event=${eventId}`)
  await a.locator('#queue-headline', { hasText: 'It is your turn' }).waitFor()
  await seat(a, 'A1').waitFor()
  await a.mouse.move(0, 0)
  await a.screenshot({ path: `${SHOTS}queue-admitted.png` })
})

t.test('admitted buyers book; a buyer still in line reads "Sold out" within seconds', async (t) => {
  await seat(a, 'A1').click()
  await a.getByRole('button', { name: 'Hold seat' }).click()
  await a.locator('#hold-card').waitFor({ state: 'visible' })
  await a.getByRole('button', { name: 'Confirm booking' }).click()
  await a.locator('#message', { hasText: 'Booked A1' }).waitFor()

  await seat(b, 'A2').click()
  await b.getByRole('button', { name: 'Hold seat' }).click()
  await b.getByRole('button', { name: 'Confirm booking' }).click()
  await b.locator('#message', { hasText: 'Booked A2' }).waitFor()
  t.equal(await text(c, '#queue-position'), '1', 'two places, two buyers shopping: C still waits')

  const last = await call(stack.url, 'POST', `/v1/events/${eventId}/bookings`, { token: x.token, body: { seatIds: ['A3'] } })
  t.equal(last.status, 201, 'X books the last seat through the API')
  const soldOutAt = Date.now()
  await c.locator('#queue-headline', { hasText: /^Sold out$/ }).waitFor({ timeout: 10_000 })
  t.pass(`C reads "Sold out" ${Date.now() - soldOutAt} ms after the last seat went`)
  t.ok(await c.getByRole('button', { name: /Join the queue/ }).isHidden(), 'nothing to join')
  t.ok(await c.locator('#queue-facts').isHidden(), 'no place or wait shown')
  t.ok(await c.locator('#shop').isHidden(), 'and no map')
  await c.locator('#sale-state[data-status="sold-out"]').waitFor()
  t.equal(await c.locator('#message[data-kind="error"]').count(), 0, 'no refusal from before is left standing')
  await c.mouse.move(0, 0)
  await c.screenshot({ path: `${SHOTS}queue-sold-out.png` })

  const late = await signup(stack.url)
  t.match(await join(eventId, late.token), { status: 409, body: { code: 'SOLD_OUT' } }, 'a new join is told it is sold out')
  const soldOut = await poll(() => call(stack.url, 'GET', `/v1/events/${eventId}/queue`, { token: y.token }), (r) => r.body?.status === 'sold-out', SLOW_MS)
  t.equal(soldOut.body.status, 'sold-out', 'Y too')

  await organiser.locator('#wr-sold-out', { hasText: /^2$/ }).waitFor()
  await organiser.locator('#org-sale-text', { hasText: 'Sold out' }).waitFor()
  t.equal(await text(organiser, '#wr-waiting'), '0', 'nobody waits any more')

  // Reloaded, the answer stays.
  await load(c, `/#event=${eventId}`)
  await c.locator('#queue-headline', { hasText: /^Sold out$/ }).waitFor()
  t.ok(await c.getByRole('button', { name: /Join the queue/ }).isHidden(), 'still nothing to join')
})

t.test('an admission that runs out says so; joining again goes to the back of the line', async (t) => {
  const token = await tokenOf(organiser)
  const event = await createEvent(stack.url, token, { name: 'Quick shop', seats: ['B1', 'B2'], sale: { waitingRoom: { admitPerMinute: RATE, admissionSeconds: 10 } } })
  await load(b, `/#event=${event.id}`)
  await b.getByRole('button', { name: 'Join the queue' }).click()
  await b.locator('#queue-headline', { hasText: 'It is your turn' }).waitFor()
  await seat(b, 'B1').waitFor()
  await b.locator('#queue-headline', { hasText: 'Your time to shop has run out' }).waitFor({ timeout: 10_000 + SLOW_MS })
  t.ok(await b.locator('#shop').isHidden(), 'the map is shut again')
  t.match(await text(b, '#queue-note'), /join the queue again \(at the back\)/)
  await b.mouse.move(0, 0)
  await b.screenshot({ path: `${SHOTS}queue-expired.png` })
  await b.getByRole('button', { name: 'Join the queue again' }).click()
  await b.locator('#queue-headline', { hasText: 'It is your turn' }).waitFor()
  t.pass('joined again, and (nobody else waiting) admitted again')
  await seat(b, 'B2').click()
  await b.getByRole('button', { name: 'Hold seat' }).click()
  await b.getByRole('button', { name: 'Confirm booking' }).click()
  await b.locator('#message', { hasText: 'Booked B2' }).waitFor()
})

t.test('no uncaught error in any page', async (t) => {
  t.same(pageErrors, [])
})
