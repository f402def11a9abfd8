// The sale's controls in a real browser (Debian's Chromium, driven by playwright-core) against a
// real stack: the organiser schedules a sale with a per-buyer limit through the form, buyers
// watch the countdown and buy once it opens (no reload), meet the limit and the pause in words;
// the organiser pauses, resumes, reads the sales report and downloads the bookings as CSV.
import { readFile } from 'node:fs/promises'
import type { Page } from 'playwright-core'
import t from 'tap'
import { call, createEvent, poll, signup } from '../helpers/api.ts'
import { startStack } from '../helpers/stack.ts'
import { launchBrowser, localInput, PASSWORD, SHOTS, signUpInPage, tokenOf } from './browser-kit.ts'

/** The opening, this long after the form is filled: time to open the buyer's page and see it count. */
const OPENS_IN_MS = 8000
/** Generous: the machine is small and shared. */
const SLOW_MS = 20_000
const LIMIT = 2

const stack = await startStack({ workers: 1 })
t.teardown(() => stack.stop())
const { openPage, load, pageErrors } = await launchBrowser(stack.url, { timeoutMs: SLOW_MS })

const seat = (page: Page, seatId: string) => page.locator(`[data-seat="${seatId}"]`)
const text = async (page: Page, selector: string) => (await page.locator(selector).textContent())?.trim() ?? ''

let eventId = ''
let organiser: Page
let a: Page
let b: Page
let emailA = ''
let emailB = ''

t.test('the organiser schedules a sale with a per-buyer limit through the form', async (t) => {
  // Someone else's event: the organiser's picker must not list it.
  const other = await signup(stack.url)
  await createEvent(stack.url, other.token, { name: 'Someone else\'s gig', seats: ['X1'] })

  // The buyers sign up first (scrypt is slow on purpose), so the countdown is not spent on it.
  ;({ page: a } = await openPage('/'))
  ;({ page: b } = await openPage('/'))
  emailA = await signUpInPage(a, 'buyer-a')
  emailB = await signUpInPage(b, 'buyer-b')

  ;({ page: organiser } = await openPage('/organiser'))
  await signUpInPage(organiser, 'organiser')
  await organiser.locator('#watch-select option', { hasText: 'No events yet' }).waitFor({ state: 'attached' })
  t.equal(await organiser.locator('#watch-select option', { hasText: 'Someone else' }).count(), 0, 'signed in, the picker lists only the organiser\'s own events')

  await organiser.locator('#ev-name').fill('Flash sale')
  await organiser.locator('#ev-first-row').fill('A')
  await organiser.locator('#ev-last-row').fill('A')
  await organiser.locator('#ev-per-row').fill('6')
  await organiser.getByRole('button', { name: 'Add a section' }).click()
  await organiser.locator('[name=section-capacity]').fill('10')
  await organiser.locator('[name=section-price]').fill('12.50')
  await organiser.locator('#ev-limit').fill(String(LIMIT))

  // A closing before the opening is refused in words, before anything is sent.
  await organiser.locator('#ev-opens').fill(await localInput(organiser, Date.now() + 3_600_000))
  await organiser.locator('#ev-closes').fill(await localInput(organiser, Date.now() + 1_800_000))
  await organiser.getByRole('button', { name: 'Create event' }).click()
  const refusal = await organiser.locator('#ev-message[data-kind="error"]').textContent()
  t.equal(refusal, 'Sale closes: must be after the sale opens', `the form says what is wrong: ${refusal}`)
  await organiser.locator('#ev-closes').fill('')

  const opensAt = Date.now() + OPENS_IN_MS
  await organiser.locator('#ev-opens').fill(await localInput(organiser, opensAt))
  await organiser.locator('#ev-preview', { hasText: `up to ${LIMIT} tickets per buyer` }).waitFor()
  await organiser.getByRole('button', { name: 'Create event' }).click()
  await organiser.locator('#ev-message', { hasText: 'Created' }).waitFor()
  eventId = /event=([0-9a-f-]{36})/.exec(organiser.url())?.[1] ?? ''
  t.match(eventId, /^[0-9a-f-]{36}$/, 'the page now watches the new event')

  const { body: event } = await call(stack.url, 'GET', `/v1/events/${eventId}`)
  t.match(event.sale, { status: 'scheduled', maxSeatsPerBuyer: LIMIT, closesAt: null, paused: false }, 'the API has the sale as the form set it')
  t.equal(event.sale.opensAt, new Date(Math.floor(opensAt / 1000) * 1000).toISOString(), 'opening at the second the form said, in the organiser\'s zone')
  t.match(event.sections, [{ name: 'Standing', capacity: 10, priceCents: 1250 }])
  await organiser.locator('#org-sale-text', { hasText: 'Scheduled: opens' }).waitFor()
  t.match(await text(organiser, '#org-sale-countdown'), /^\(in \d+ s\)$/, 'with a countdown')
  t.equal(await text(organiser, '#org-sale-limit'), `up to ${LIMIT} tickets`, 'the dashboard shows the limit')
  await organiser.screenshot({ path: `${SHOTS}organiser-scheduled.png` })
})

t.test('before the opening the buyer counts down; at it, buying opens without a reload', async (t) => {
  t.ok(eventId, 'needs the event from the organiser test')
  await load(a, `/#event=${eventId}`)
  await load(b, `/#event=${eventId}`)
  await a.locator('#sale-text', { hasText: 'On sale at' }).waitFor()
  const first = await text(a, '#sale-countdown')
  t.match(first, /^\(in \d+ s\)$/, `a countdown beside it: "${first}"`)
  t.match(await text(a, '#sale-limit'), `Up to ${LIMIT} tickets per buyer`, 'and the limit')
  await seat(a, 'A1').waitFor()
  t.ok(await a.locator('#hold').isDisabled(), 'holding waits for the opening')
  t.ok(await a.locator('.section').getByRole('button', { name: 'Book' }).isDisabled(), 'and so does booking')
  await a.locator('#sale-countdown', { hasNotText: first }).waitFor()
  t.not(await text(a, '#sale-countdown'), first, `the countdown moves: now "${await text(a, '#sale-countdown')}"`)
  await a.screenshot({ path: `${SHOTS}sale-countdown.png` })

  // A mark that a reload would wipe out.
  await a.evaluate(() => { (globalThis as unknown as { stillHere: boolean }).stillHere = true })
  await a.locator('#sale-state[data-status="open"]').waitFor({ timeout: OPENS_IN_MS + SLOW_MS })
  t.equal(await text(a, '#sale-text'), 'On sale', 'once open, the page says so')
  t.equal(await text(a, '#sale-countdown'), '', 'and the countdown is gone')
  t.ok(await a.locator('#hold').isEnabled(), 'holding is possible')
  t.ok(await a.locator('.section').getByRole('button', { name: 'Book' }).isEnabled(), 'and booking')
  t.equal(await a.evaluate(() => (globalThis as unknown as { stillHere?: boolean }).stillHere), true, 'without a reload')
  await b.locator('#sale-state[data-status="open"]').waitFor()
})

t.test('buyers hold and book; at the limit, the refusal says so in words', async (t) => {
  await seat(a, 'A1').click()
  await seat(a, 'A2').click()
  await a.getByRole('button', { name: 'Hold 2 seats' }).click()
  await a.locator('#hold-card').waitFor({ state: 'visible' })
  await a.getByRole('button', { name: 'Confirm booking' }).click()
  await a.locator('#message', { hasText: 'Booked A1, A2' }).waitFor()
  await a.locator('#sale-limit', { hasText: '(you have 2)' }).waitFor()

  await seat(a, 'A3').click()
  await a.getByRole('button', { name: 'Hold seat' }).click()
  const message = await a.locator('#message[data-kind="error"]').textContent()
  t.equal(message, `Not done: at most ${LIMIT} tickets per buyer for this event, and you already have ${LIMIT}.`, `A reads: ${message}`)
  await a.screenshot({ path: `${SHOTS}sale-limit-refusal.png` })

  await b.locator('.section .quantity').fill('1')
  await b.locator('.section').getByRole('button', { name: 'Book' }).click()
  await b.locator('#message', { hasText: 'Booked 1 in Standing' }).waitFor()
})

t.test('the organiser pauses: the buyer is refused in words and sees it; resumed, the buyer books', async (t) => {
  await organiser.locator('#sale-admin').waitFor({ state: 'visible' })
  await organiser.getByRole('button', { name: 'Pause sale' }).click()
  await organiser.getByRole('button', { name: 'Resume sale' }).waitFor()
  await organiser.locator('#org-sale-text', { hasText: 'Paused' }).waitFor()
  t.equal((await call(stack.url, 'GET', `/v1/events/${eventId}`)).body.sale.status, 'paused', 'the API reads the sale paused')

  await b.locator('.section').getByRole('button', { name: 'Book' }).click()
  const message = await b.locator('#message[data-kind="error"]').textContent()
  t.equal(message, 'Not done: the organiser has paused the sale; try again later.', `B reads: ${message}`)
  await b.locator('#sale-state[data-status="paused"]').waitFor()
  t.match(await text(b, '#sale-text'), /paused by the organiser/, 'and the page shows the pause')
  await b.screenshot({ path: `${SHOTS}sale-paused.png` })

  await organiser.getByRole('button', { name: 'Resume sale' }).click()
  await organiser.getByRole('button', { name: 'Pause sale' }).waitFor()
  await organiser.locator('#org-sale-text', { hasText: 'On sale' }).waitFor()
  await b.locator('.section').getByRole('button', { name: 'Book' }).click()
  await b.locator('#message', { hasText: 'Booked 1 in Standing' }).waitFor()
  await b.locator('#sale-state[data-status="open"]').waitFor()
  t.pass('resumed: B books again and reads the sale open')

  // A gives back A1 and A2 (a cancelled booking for the report), then has room for A3.
  await a.getByRole('button', { name: 'Cancel booking of seats A1, A2' }).click()
  await a.locator('#message', { hasText: 'Cancelled seats A1, A2' }).waitFor()
  if (await a.locator('[data-seat="A3"][aria-pressed="true"]').count() === 0) await seat(a, 'A3').click()
  await a.getByRole('button', { name: 'Hold seat' }).click()
  await a.locator('#hold-card').waitFor({ state: 'visible' })
  await a.getByRole('button', { name: 'Confirm booking' }).click()
  await a.locator('#message', { hasText: 'Booked A3' }).waitFor()
})

t.test('the sales report on the organiser\'s page matches what was booked; the CSV lists every booking', async (t) => {
  // Booked: A3 (A), 1 + 1 in Standing at 12.50 (B); cancelled: A1, A2 (A).
  await organiser.locator('#report-confirmed', { hasText: /^3$/ }).waitFor()
  await organiser.locator('#report-cancelled', { hasText: /^1$/ }).waitFor()
  t.equal(await text(organiser, '#report-buyers'), '2', 'two buyers')
  t.equal(await text(organiser, '#report-revenue'), '25.00', 'revenue: 2 × 12.50')
  const row = organiser.locator('#report-sections tr', { hasText: 'Standing' })
  t.same(await row.locator('td').allTextContents(), ['2', '25.00'], 'Standing: 2 sold, 25.00')

  const token = await tokenOf(organiser)
  const report = await call(stack.url, 'GET', `/v1/events/${eventId}/sales`, { token })
  t.equal(report.status, 200)
  t.match(report.body, { bookings: { confirmed: 3, cancelled: 1 }, buyers: 2, revenueCents: 2500, sections: [{ name: 'Standing', sold: 2, remaining: 8, revenueCents: 2500 }] },
    'the page shows what the API reports')
  await organiser.locator('#tally-booked', { hasText: /^1$/ }).waitFor()
  await organiser.mouse.move(0, 0)
  await organiser.screenshot({ path: `${SHOTS}organiser-sale.png`, fullPage: true })

  const [download] = await Promise.all([
    organiser.waitForEvent('download'),
    organiser.getByRole('button', { name: 'Download bookings (CSV)' }).click(),
  ])
  t.equal(download.suggestedFilename(), `bookings-${eventId}.csv`, 'a download named after the event')
  const csv = await readFile(await download.path(), 'utf8')
  const [header, ...lines] = csv.split(/\r?\n/).filter(Boolean)
  t.equal(header, 'bookingId,status,buyerEmail,seatIds,sectionId,quantity,priceCents,createdAt', 'the header row')
  const rows = lines.map((line) => line.split(','))
  t.equal(rows.length, 4, 'a row per booking, the cancelled one too')
  const listed = await call(stack.url, 'GET', `/v1/events/${eventId}/bookings?limit=1000`, { token })
  t.same(new Set(rows.map((r) => r[0])), new Set(listed.body.items.map((x: { bookingId: string }) => x.bookingId)), 'the same bookings as the API lists')
  const summary = rows.map(([, status, email, seats, , quantity, price]) => `${email === emailA ? 'A' : email === emailB ? 'B' : email} ${status} ${seats || '-'} ${quantity} ${price || '-'}`).sort()
  t.same(summary, ['A cancelled A1 A2 2 -', 'A confirmed A3 1 -', 'B confirmed - 1 1250', 'B confirmed - 1 1250'], 'who booked what')
  await organiser.locator('#sale-message', { hasText: 'Downloaded' }).waitFor()
})

t.test('on someone else\'s event the organiser\'s page shows no controls, and says why', async (t) => {
  await load(b, `/organiser#event=${eventId}`)
  await b.locator('#sale-admin-note', { hasText: 'not this event\'s organiser' }).waitFor()
  t.ok(await b.locator('#sale-admin').isHidden(), 'no pause button or download')
  t.ok(await b.locator('#sales-report').isHidden(), 'no sales report')
  t.equal(await text(b, '#org-sale-text'), 'On sale', 'the sale\'s status is public')
  t.equal(await b.getByRole('button', { name: /Pause sale|Resume sale|Download bookings/ }).count(), 0, 'no organiser\'s button to press')
  await b.screenshot({ path: `${SHOTS}organiser-not-yours.png` })
})

t.test('the organiser closes the sale (through the API): the buyer is refused in words and sees it closed', async (t) => {
  const token = await tokenOf(organiser)
  const closesAt = new Date(Date.now() + 1000).toISOString()
  const closed = await call(stack.url, 'PATCH', `/v1/events/${eventId}`, { token, body: { sale: { closesAt } } })
  t.equal(closed.status, 200)
  await poll(async () => (await call(stack.url, 'GET', `/v1/events/${eventId}`)).body.sale.status, (status) => status === 'closed', SLOW_MS)
  await seat(a, 'A4').click()
  await a.getByRole('button', { name: 'Hold seat' }).click()
  const message = await a.locator('#message[data-kind="error"]').textContent()
  t.equal(message, 'Not done: the sale has closed.', `A reads: ${message}`)
  await a.locator('#sale-state[data-status="closed"]').waitFor()
  t.equal(await text(a, '#sale-text'), 'The sale has closed', 'and the page says so')
  await organiser.locator('#org-sale-text', { hasText: 'Closed' }).waitFor()
})

t.test('a buyer logs out everywhere: this page and every other session of the account end', async (t) => {
  const pageToken = await tokenOf(b)
  const elsewhere = await call(stack.url, 'POST', '/v1/auth/login', { body: { email: emailB, password: PASSWORD } })
  t.equal(elsewhere.status, 200, 'the buyer is signed in on another device too')
  const works = async (token: string) => (await call(stack.url, 'GET', '/v1/bookings', { token })).status
  t.same([await works(pageToken), await works(elsewhere.body.token)], [200, 200])
  await b.getByRole('button', { name: 'Log out everywhere' }).click()
  await b.locator('#auth-why', { hasText: 'Signed out on every device' }).waitFor()
  t.ok(await b.locator('#who').isHidden(), 'the page shows nobody signed in')
  t.same([await works(pageToken), await works(elsewhere.body.token)], [401, 401], "both sessions' tokens are refused")
  await b.screenshot({ path: `${SHOTS}logged-out-everywhere.png` })
})

t.test('no uncaught error in any page', async (t) => {
  t.same(pageErrors, [])
})
