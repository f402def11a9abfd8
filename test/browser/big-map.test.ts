// A 100,000-seat event in a real browser (Debian's Chromium, driven by playwright-core) against
// a real stack: "a map of 100,000 seats is as usable as one of 200". The buyer's page draws it on
// a canvas, from the first page of seats on; the time from choosing the event to the first seats
// painted is measured in the page. A seat booked behind the page's back shows on the canvas (its
// pixels are read), a buyer selects seats by pointing and by typing their ids, and holds them;
// the organiser's page watches the same map.
import type { Page } from 'playwright-core'
import t, { type Test as Tap } from 'tap'
import { call, createEvent, signup } from '../helpers/api.ts'
import { startStack } from '../helpers/stack.ts'
import { launchBrowser, PASSWORD, SHOTS } from './browser-kit.ts'

/** Rows A..Y of 4,000 seats: 100,000, the most one event may have. */
const ROWS = 'ABCDEFGHIJKLMNOPQRSTUVWXY'.split('')
const PER_ROW = 4000
const TOTAL = ROWS.length * PER_ROW
/** The target for the first paint (typically 150-350 ms here, on a shared 2-core machine). */
const FIRST_PAINT_MS = 1000
/**
 * What the test holds it to: 3x, for a busy machine (the figure goes to the comments). That the
 * first seats are painted before the whole map is read is checked apart: it is what the bound
 * alone could miss.
 */
const FIRST_PAINT_BOUND_MS = 3 * FIRST_PAINT_MS
/** A change on the stream shows within a second, as on the DOM grid (seat-map.test.ts). */
const LIVE_MS = 1000
/** Held to 3x; a page without the stream reads a map this big every 15 s. */
const LIVE_BOUND_MS = 3 * LIVE_MS
const SLOW_MS = 30_000
const FIRST_SEATS_MARK = 'seatline:first-seats'

const stack = await startStack({ workers: 1 })
t.teardown(() => stack.stop())
const { openPage, pageErrors } = await launchBrowser(stack.url, { timeoutMs: SLOW_MS })

/**
 * The few browser globals the functions run in the page use (page.evaluate): the root
 * tsconfig checks tests with Node's types, not the DOM's.
 */
interface PageElement {
  dataset: Record<string, string | undefined>
  hidden: boolean
  value: string
  getBoundingClientRect (): { left: number, top: number, right: number, width: number }
  querySelector (selector: string): PageElement | null
  dispatchEvent (event: unknown): boolean
  getContext (kind: '2d'): { getImageData (x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } }
}
interface PageGlobals {
  document: { getElementById (id: string): PageElement | null, querySelector (selector: string): PageElement | null, documentElement: { scrollWidth: number } }
  devicePixelRatio: number
  requestAnimationFrame (callback: (time: number) => void): number
  Event: new (type: string) => unknown
  PerformanceObserver: new (callback: (list: { getEntries (): Array<{ duration: number }> }) => void) => { observe (options: { type: string }): void, disconnect (): void }
}

async function logIn (page: Page, email: string, action: 'Sign up' | 'Log in'): Promise<void> {
  await page.locator('#auth-email').fill(email)
  await page.locator('#auth-password').fill(PASSWORD)
  await page.getByRole('button', { name: action }).click()
  await page.locator('#who-email', { hasText: email }).waitFor()
}

interface Load {
  /** From choosing the event to the first seats drawn on the canvas (the performance mark). */
  firstPaint: number
  /** …and to the frame after it, on screen. */
  shown: number
  /** …and to the whole map read (every page). */
  loaded: number
  /** The whole map had been read already when the first seats were painted (not progressive). */
  loadedAtPaint: boolean
  longestTask: number
  longTasks: number
  renderer: string | undefined
}

/**
 * Chooses `eventId` in the page's event picker and measures, in the page, how long its map
 * takes: to the first seats painted, and to the last page of seats read (`loaded`, a selector,
 * matches). Long tasks (over 50 ms)
 * on the main thread meanwhile are counted.
 */
function chooseAndMeasure (page: Page, picker: string, mapId: string, eventId: string, loaded: string): Promise<Load> {
  return page.evaluate(async ({ picker, mapId, eventId, loaded, mark }) => {
    const { document, requestAnimationFrame, Event, PerformanceObserver } = globalThis as unknown as PageGlobals
    const frame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve))
    const tasks: number[] = []
    const observer = new PerformanceObserver((list) => { for (const entry of list.getEntries()) tasks.push(entry.duration) })
    observer.observe({ type: 'longtask' })
    performance.clearMarks(mark)
    const select = document.getElementById(picker)!
    const started = performance.now()
    select.value = eventId
    select.dispatchEvent(new Event('change'))
    let painted: { startTime: number } | undefined
    while (!(painted = performance.getEntriesByName(mark)[0])) await frame()
    const loadedAtPaint = Boolean(document.querySelector(loaded))
    await frame()
    const shown = performance.now()
    while (!document.querySelector(loaded)) await new Promise((resolve) => setTimeout(resolve, 10))
    const end = performance.now()
    observer.disconnect()
    return {
      firstPaint: painted.startTime - started,
      shown: shown - started,
      loaded: end - started,
      loadedAtPaint,
      longestTask: Math.max(0, ...tasks),
      longTasks: tasks.length,
      renderer: document.getElementById(mapId)!.dataset.renderer,
    }
  }, { picker, mapId, eventId, loaded, mark: FIRST_SEATS_MARK })
}

type Colour = 'available' | 'held' | 'booked' | 'mine' | 'owned' | 'selected' | 'none'

/**
 * What the canvas shows at the seat the ring is on (the ring marks the seat pointed at, or the
 * one Go to seat found): its cell's pixels, read back, by the colour most of them are.
 */
function colourAt (page: Page, mapId: string, seatId: string): Promise<Colour | string> {
  return page.evaluate(({ mapId, seatId }) => {
    const { document, devicePixelRatio } = globalThis as unknown as PageGlobals
    const map = document.getElementById(mapId)!
    const ring = map.querySelector('.seat-ring')!
    if (ring.hidden || ring.dataset.seat !== seatId) return `the ring is on ${ring.dataset.seat ?? 'nothing'}, not ${seatId}`
    const canvas = map.querySelector('canvas')!
    const r = ring.getBoundingClientRect()
    const c = canvas.getBoundingClientRect()
    const d = devicePixelRatio
    const x = Math.round((r.left - c.left) * d)
    const y = Math.round((r.top - c.top) * d)
    const size = Math.round(r.width * d)
    const data = canvas.getContext('2d')!.getImageData(x, y, size, size).data
    // The legend's colours (styles.css).
    const colours: Record<string, number[]> = {
      available: [0x15, 0x80, 0x3d],
      held: [0xfb, 0xbf, 0x24],
      heldStripe: [0xf5, 0x9e, 0x0b],
      booked: [0x9a, 0xa3, 0xb1],
      mine: [0x25, 0x63, 0xeb],
      owned: [0x7c, 0x3a, 0xed],
      selected: [0x1f, 0x24, 0x30],
    }
    const votes: Record<string, number> = {}
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3]! < 200) continue
      let best = 'other'
      let distance = 40
      for (const [name, [r, g, b]] of Object.entries(colours)) {
        const dist = Math.abs(data[i]! - r!) + Math.abs(data[i + 1]! - g!) + Math.abs(data[i + 2]! - b!)
        if (dist < distance) {
          distance = dist
          best = name === 'heldStripe' ? 'held' : name
        }
      }
      votes[best] = (votes[best] ?? 0) + 1
    }
    const winner = Object.entries(votes).sort((a, b) => b[1] - a[1])[0]
    return winner ? winner[0] : 'none'
  }, { mapId, seatId })
}

/** Points at a spot of the canvas (x, y from its top left): the seat there, by the ring. */
async function pointAt (page: Page, mapId: string, x: number, y: number): Promise<string> {
  const box = (await page.locator(`#${mapId} canvas`).boundingBox())!
  await page.mouse.move(box.x + x, box.y + y)
  const ring = page.locator(`#${mapId} .seat-ring`)
  await ring.waitFor({ state: 'visible' })
  return (await ring.getAttribute('data-seat')) ?? ''
}

/**
 * Waits (polling each frame) until the seat's cell shows `colour`; resolves with how long it
 * took. A change is painted in the frame after it, as is a view just scrolled: never read once.
 */
async function showsColour (page: Page, mapId: string, seatId: string, colour: Colour, ms: number): Promise<number> {
  const started = Date.now()
  for (;;) {
    const seen = await colourAt(page, mapId, seatId)
    if (seen === colour) return Date.now() - started
    if (Date.now() - started > ms) throw new Error(`${seatId} shows ${seen}, not ${colour}, after ${ms} ms`)
    await page.evaluate(() => new Promise((resolve) => (globalThis as unknown as PageGlobals).requestAnimationFrame(resolve)))
  }
}

/** An assertion: the seat's cell shows `colour` within `ms`. */
async function sees (t: Tap, page: Page, mapId: string, seatId: string, colour: Colour, ms: number): Promise<void> {
  try {
    t.pass(`${seatId} is painted ${colour} (${await showsColour(page, mapId, seatId, colour, ms)} ms)`)
  } catch (error) {
    t.fail((error as Error).message)
  }
}

/** Go to seat / Find seat: types the id and submits. */
async function goTo (page: Page, mapId: string, seatId: string): Promise<void> {
  const input = page.locator(`#${mapId} .seat-find input`)
  await input.fill(seatId)
  await input.press('Enter')
}

const organiser = await signup(stack.url)
const seats: string[] = []
for (const row of ROWS) for (let n = 1; n <= PER_ROW; n++) seats.push(`${row}${n}`)
const small = await createEvent(stack.url, organiser.token, { name: 'Club night', seats: ROWS.slice(0, 5).flatMap((row) => [1, 2, 3, 4, 5, 6, 7, 8].map((n) => `${row}${n}`)) })
const big = await createEvent(stack.url, organiser.token, { name: 'Stadium final', seats })
t.equal(big.seats.total, TOTAL, `an event of ${TOTAL.toLocaleString('en')} seats, A1..Y${PER_ROW}`)

let buyer: Page
let organiserPage: Page
let watched = ''
let pointed = ''

t.test('choosing a 100,000-seat event paints its first seats before the rest are read, in well under a second', async (t) => {
  ({ page: buyer } = await openPage(`/#event=${small.id}`))
  await logIn(buyer, `big-buyer-${process.pid}-${Date.now()}@example.com`, 'Sign up')
  await buyer.locator('[data-seat="A1"].is-available').waitFor()
  t.equal(await buyer.locator('#seat-map').getAttribute('data-renderer'), 'grid', 'a small event keeps the DOM grid')

  const load = await chooseAndMeasure(buyer, 'event-select', 'seat-map', big.id, `#seat-map[data-seats="${TOTAL}"]`)
  t.comment(`buyer: first seats painted ${load.firstPaint.toFixed(0)} ms after choosing the event (on screen ${load.shown.toFixed(0)} ms); the whole map read in ${load.loaded.toFixed(0)} ms; ${load.longTasks} tasks over 50 ms, the longest ${load.longestTask.toFixed(0)} ms`)
  t.equal(load.renderer, 'canvas', 'the big map is drawn on a canvas')
  t.notOk(load.loadedAtPaint, 'the first seats are painted before the whole map is read')
  t.ok(load.firstPaint < FIRST_PAINT_BOUND_MS, `first seats painted in ${load.firstPaint.toFixed(0)} ms (target ${FIRST_PAINT_MS} ms, held to 3x that)`)
  // The DOM grid built its 100,000 buttons in one task of seconds; the bound leaves room for a busy machine.
  t.ok(load.longestTask < 500, `the page stays responsive while the pages of seats come: longest task ${load.longestTask.toFixed(0)} ms`)
  t.equal(await buyer.locator('#seat-map .seat').count(), 0, 'no DOM button per seat')
  t.equal(await buyer.locator('#seat-map').getAttribute('data-seats'), String(TOTAL), 'every seat is on the map')
  const width = await buyer.evaluate(() => (globalThis as unknown as PageGlobals).document.documentElement.scrollWidth)
  t.ok(width <= 1280, `the page does not overflow sideways (${width}px)`)
})

t.test('pointing at a seat names it; one booked behind the page\'s back shows within a second', async (t) => {
  watched = await pointAt(buyer, 'seat-map', 260, 40)
  t.match(watched, /^A\d+$/, `the ring is on ${watched}`)
  t.match(await buyer.locator('#seat-map .seat-tip').textContent(), new RegExp(`^${watched}: available$`), 'the tip names the seat and its state')
  await sees(t, buyer, 'seat-map', watched, 'available', 2000)
  await buyer.screenshot({ path: `${SHOTS}big-map.png` })

  const other = await signup(stack.url)
  const booked = await call(stack.url, 'POST', `/v1/events/${big.id}/bookings`, { token: other.token, body: { seatIds: [watched] } })
  t.equal(booked.status, 201)
  const ms = await showsColour(buyer, 'seat-map', watched, 'booked', 10_000)
  t.comment(`buyer: ${watched} shows booked on the canvas ${ms} ms after the booking's reply`)
  t.ok(ms <= LIVE_BOUND_MS, `the change shows within 3x ${LIVE_MS} ms (${ms} ms)`)
  await buyer.locator('#seat-map .seat-tip', { hasText: `${watched}: booked` }).waitFor()
  await buyer.locator('#counts', { hasText: `99,999 available · 0 held · 1 booked of ${TOTAL.toLocaleString('en')}` }).waitFor()
})

t.test('a buyer selects seats on the big map, by pointing and by typing, and holds them', async (t) => {
  pointed = await pointAt(buyer, 'seat-map', 300, 70)
  t.not(pointed, watched)
  await buyer.mouse.down()
  await buyer.mouse.up()
  await buyer.locator('#selection', { hasText: `1 selected: ${pointed}` }).waitFor()
  await sees(t, buyer, 'seat-map', pointed, 'selected', 2000)

  // Far down the map, in another case: the map scrolls to it.
  await goTo(buyer, 'seat-map', 'y3999')
  await buyer.locator('#selection', { hasText: `2 selected: ${pointed}, Y3999` }).waitFor()
  t.ok(await buyer.locator('#seat-map .seat-canvas-scroll').evaluate((el) => el.scrollTop > 10_000), 'scrolled down to row Y')
  await buyer.mouse.move(0, 0)
  await sees(t, buyer, 'seat-map', 'Y3999', 'selected', 2000)
  await goTo(buyer, 'seat-map', 'Z1')
  await buyer.locator('#seat-map .seat-find-message', { hasText: 'No seat “Z1” in this event' }).waitFor()

  await buyer.getByRole('button', { name: 'Hold 2 seats' }).click()
  await buyer.locator('#hold-card').waitFor({ state: 'visible' })
  t.match(await buyer.locator('#hold-seats').textContent(), new RegExp(`${pointed}, Y3999`))
  await sees(t, buyer, 'seat-map', 'Y3999', 'mine', 5000)
  t.match(await buyer.locator('#seat-map .seat-tip').textContent(), /^Y3999: held by you$/)

  // The keyboard: from Y3999, right to Y4000, Enter selects it.
  await buyer.locator('#seat-map canvas').focus()
  await buyer.keyboard.press('ArrowRight')
  await buyer.locator('#seat-map .sr-only', { hasText: 'Seat Y4000, available' }).waitFor()
  await buyer.keyboard.press('Enter')
  await buyer.locator('#selection', { hasText: '1 selected: Y4000' }).waitFor()
  await buyer.keyboard.press('ArrowUp')
  await buyer.locator('#seat-map .sr-only', { hasText: /Seat Y\d+, available/ }).waitFor()
  await buyer.screenshot({ path: `${SHOTS}big-map-hold.png` })

  // Zoomed out: the whole hall in a few screens, the seat in hand kept in view.
  for (let i = 0; i < 3; i++) await buyer.getByRole('button', { name: 'Smaller seats' }).click()
  t.equal(await buyer.locator('#seat-map').getAttribute('data-pitch'), '4', 'the smallest seats')
  await buyer.locator('#seat-map .seat-canvas-scroll').evaluate((el) => { el.scrollTop = 0 })
  await buyer.mouse.move(0, 0)
  await buyer.locator('#seat-map').scrollIntoViewIfNeeded()
  await buyer.screenshot({ path: `${SHOTS}big-map-overview.png` })
  for (let i = 0; i < 3; i++) await buyer.getByRole('button', { name: 'Larger seats' }).click()
  t.equal(await buyer.locator('#seat-map').getAttribute('data-pitch'), '10')
})

t.test('the organiser\'s page watches the same big map', async (t) => {
  const { page } = await openPage(`/organiser#event=${small.id}`, { deviceScaleFactor: 2 })
  organiserPage = page
  await logIn(page, organiser.email, 'Log in')
  await page.locator('#watch-map [data-seat="A1"]').waitFor()
  const load = await chooseAndMeasure(page, 'watch-select', 'watch-map', big.id, `#watch-map[data-seats="${TOTAL}"]`)
  await page.locator('#tally-total', { hasText: '100,000' }).waitFor()
  await page.locator('#tally-held', { hasText: /^2$/ }).waitFor()
  t.comment(`organiser (device pixel ratio 2): first seats painted ${load.firstPaint.toFixed(0)} ms after choosing the event; the whole map read in ${load.loaded.toFixed(0)} ms; longest task ${load.longestTask.toFixed(0)} ms`)
  t.equal(load.renderer, 'canvas')
  t.notOk(load.loadedAtPaint, 'the first seats are painted before the whole map is read')
  t.ok(load.firstPaint < FIRST_PAINT_BOUND_MS, `first seats painted in ${load.firstPaint.toFixed(0)} ms (target ${FIRST_PAINT_MS} ms, held to 3x that)`)

  await goTo(page, 'watch-map', watched)
  await sees(t, page, 'watch-map', watched, 'booked', 2000)
  await goTo(page, 'watch-map', 'Y3999')
  await sees(t, page, 'watch-map', 'Y3999', 'held', 2000)

  // A booking behind everyone's back, next to it.
  const other = await signup(stack.url)
  await goTo(page, 'watch-map', 'Y3990')
  const booked = await call(stack.url, 'POST', `/v1/events/${big.id}/bookings`, { token: other.token, body: { seatIds: ['Y3990'] } })
  t.equal(booked.status, 201)
  const ms = await showsColour(page, 'watch-map', 'Y3990', 'booked', 10_000)
  t.comment(`organiser: Y3990 shows booked ${ms} ms after the booking's reply`)
  t.ok(ms <= LIVE_BOUND_MS, `within 3x ${LIVE_MS} ms (${ms} ms)`)
  await page.locator('#tally-booked', { hasText: /^2$/ }).waitFor()

  // A hold that runs out: held, then available again as soon as it expires.
  await goTo(page, 'watch-map', 'Y3991')
  const held = await call(stack.url, 'POST', `/v1/events/${big.id}/holds`, { token: other.token, body: { seatIds: ['Y3991'], ttlSeconds: 5 } })
  t.equal(held.status, 201)
  await sees(t, page, 'watch-map', 'Y3991', 'held', 5000)
  await sees(t, page, 'watch-map', 'Y3991', 'available', 10_000)
  const late = Date.now() - Date.parse(held.body.expiresAt)
  t.comment(`organiser: Y3991 shows available ${late} ms after its hold's expiry`)
  t.ok(late < LIVE_BOUND_MS, `Y3991 is available again within 3x ${LIVE_MS} ms of its hold's expiry (${late} ms)`)
  await page.locator('#watch-map .seat-canvas-scroll').evaluate((el) => { el.scrollTop = 0 })
  await page.mouse.move(0, 0)
  await page.screenshot({ path: `${SHOTS}big-map-organiser.png`, fullPage: true })
})

t.test('the buyer confirms: the seats are theirs on the buyer\'s map, booked on the organiser\'s', async (t) => {
  await buyer.getByRole('button', { name: 'Confirm booking' }).click()
  await buyer.locator('#message', { hasText: `Booked ${pointed}, Y3999` }).waitFor()
  await goTo(buyer, 'seat-map', 'Y3999')
  await buyer.locator('#message', { hasText: 'Y3999 is yours already' }).waitFor()
  t.equal(await buyer.locator('#selection').textContent(), '1 selected: Y4000', 'one\'s own seat is not selected again')
  await sees(t, buyer, 'seat-map', 'Y3999', 'owned', 2000)
  t.match(await buyer.locator('#seat-map .seat-tip').textContent(), /^Y3999: booked by you$/)
  await organiserPage.locator('#tally-booked', { hasText: /^4$/ }).waitFor()
  await goTo(organiserPage, 'watch-map', pointed)
  await sees(t, organiserPage, 'watch-map', pointed, 'booked', 2000)
})

t.test('on a phone the big map fits the width and scrolls in its box', async (t) => {
  const { page } = await openPage(`/#event=${big.id}`, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 3 })
  await page.locator(`#seat-map[data-seats="${TOTAL}"]`).waitFor()
  const sizes = await page.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals
    return { page: document.documentElement.scrollWidth, map: document.querySelector('#seat-map canvas')!.getBoundingClientRect().right }
  })
  t.ok(sizes.page <= 390, `the page does not scroll sideways (${sizes.page}px)`)
  t.ok(sizes.map <= 390, `the canvas fits (${Math.round(sizes.map)}px)`)
  await page.locator('#seat-map').scrollIntoViewIfNeeded()
  await page.screenshot({ path: `${SHOTS}big-map-phone.png` })
})

t.test('no uncaught error in any page', async (t) => {
  t.same(pageErrors, [])
})
