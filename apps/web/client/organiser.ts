/**
 * The organiser's page: create an event from rows × seats (A..J × 1..20 → A1..J20) and
 * general-admission sections, with its sale's opening, closing and per-buyer limit; then watch
 * sold, held and available move during the sale, pause and resume it, read the sales report
 * and download the bookings. An event may have a waiting room: its figures (waiting, admitted,
 * the rate) are read with the report, more often, and its rate can be changed.
 */
import { ApiError, clockOffset, describeProblem, type EventSummary, type Sale, type SaleSettings, type SaleStatus, type SalesReport, type WaitingRoom } from './api.ts'
import type { PageContext } from './context.ts'
import { byId, el, formatPrice, say } from './dom.ts'
import { eventFromHash, fillEventSelect, setEventInHash } from './event-picker.ts'
import { planSeats } from './layout.ts'
import { connectLive, type LiveEvent, showLiveMode } from './live.ts'
import type { MapUpdate } from './live-map.ts'
import { formatDuration, formatMoment, nextChange, ticketsText } from './sale.ts'
import { SeatMapView } from './seat-map.ts'

const now = () => Date.now() + clockOffset

/** The report and the sale are read again this often while an event is watched. */
const REPORT_MS = 5000
/** A waiting room's figures move by the second: read them more often. */
const ROOM_REPORT_MS = 2000
/** Minutes to shop, as the form takes them: the API's 10 s to 1 h. */
const MIN_ADMISSION_SECONDS = 10
const MAX_ADMISSION_SECONDS = 3600
/** Past the opening or closing by our clock but not yet by the server's: ask again after this long. */
const SALE_RETRY_MS = 1000

/** The form's labels for the request's fields, so that a refusal names what to fix. */
const FIELD_LABELS: Record<string, string> = {
  'body/name': 'Name',
  'body/startsAt': 'Starts at',
  'body/seats': 'Reserved seats',
  'body/sections': 'General-admission sections',
  'body/sale/opensAt': 'Sale opens',
  'body/sale/closesAt': 'Sale closes',
  'body/sale/maxSeatsPerBuyer': 'Tickets per buyer',
  'body/sale/waitingRoom/admitPerMinute': 'Admissions per minute',
  'body/sale/waitingRoom/admissionSeconds': 'Minutes to shop',
}

const STATUS_WORDS: Record<SaleStatus, (sale: Sale) => string> = {
  scheduled: (sale) => `Scheduled: opens ${formatMoment(sale.opensAt)}`,
  open: () => 'On sale',
  paused: (sale) => Date.parse(sale.opensAt) > now() ? `Paused (opens ${formatMoment(sale.opensAt)})` : 'Paused: holds and bookings are refused until you resume',
  closed: () => 'Closed',
  'sold-out': () => 'Sold out',
}

interface SectionDraft { name: string, capacity: number, priceCents?: number }

const describe = (error: unknown) => error instanceof ApiError ? describeProblem(error.problem, FIELD_LABELS) : (error as Error).message

export function startOrganiser (ctx: PageContext): void {
  const { api } = ctx
  const form = byId<HTMLFormElement>('create-form')
  const formMessage = byId('ev-message')
  const preview = byId('ev-preview')
  const sectionsBox = byId('ev-sections')
  const select = byId<HTMLSelectElement>('watch-select')
  const view = new SeatMapView({ container: byId('watch-map'), interactive: false })
  let events = new Map<string, EventSummary>()
  let live: LiveEvent | undefined
  let watched: string | undefined
  /** The event the organiser asked for (the address, the picker, a new one), not one picked for them. */
  let chosen = eventFromHash()
  let sale: Sale | undefined
  let saleReading = false
  let saleReadAt = 0
  const saleMessage = byId('sale-message')
  const pauseButton = byId<HTMLButtonElement>('sale-pause')
  const csvButton = byId<HTMLButtonElement>('bookings-csv')

  /** The seats the form describes, or why it cannot. */
  function seatPlan (): { seatIds: string[] } | { error: string } {
    const perRow = Number(byId<HTMLInputElement>('ev-per-row').value || '0')
    if (perRow === 0) return { seatIds: [] }
    const firstRow = byId<HTMLInputElement>('ev-first-row').value
    const lastRow = byId<HTMLInputElement>('ev-last-row').value || firstRow
    return planSeats({ firstRow, lastRow, seatsPerRow: perRow })
  }

  function sectionDrafts (): SectionDraft[] | { error: string } {
    const drafts: SectionDraft[] = []
    for (const row of sectionsBox.querySelectorAll<HTMLElement>('.section-draft')) {
      const name = row.querySelector<HTMLInputElement>('[name=section-name]')!.value.trim()
      const capacity = Number(row.querySelector<HTMLInputElement>('[name=section-capacity]')!.value)
      const price = row.querySelector<HTMLInputElement>('[name=section-price]')!.value.trim()
      if (!name && !capacity) continue
      if (!name) return { error: 'every section needs a name' }
      if (!Number.isInteger(capacity) || capacity < 1) return { error: `${name}: the capacity is a whole number, at least 1` }
      const draft: SectionDraft = { name, capacity }
      if (price) {
        const cents = Math.round(Number(price) * 100)
        if (!Number.isFinite(cents) || cents < 0) return { error: `${name}: the price is a number` }
        draft.priceCents = cents
      }
      drafts.push(draft)
    }
    return drafts
  }

  /** The sale's settings the form describes (times in the organiser's own zone), or why not. */
  function saleSettings (): SaleSettings | { error: string } {
    const opens = byId<HTMLInputElement>('ev-opens').value
    const closes = byId<HTMLInputElement>('ev-closes').value
    const limit = byId<HTMLInputElement>('ev-limit').value.trim()
    const settings: SaleSettings = {}
    const opensAt = opens ? new Date(opens).getTime() : undefined
    if (opensAt !== undefined) {
      if (Number.isNaN(opensAt)) return { error: 'Sale opens: not a date and time' }
      settings.opensAt = new Date(opensAt).toISOString()
    }
    if (closes) {
      const closesAt = new Date(closes).getTime()
      if (Number.isNaN(closesAt)) return { error: 'Sale closes: not a date and time' }
      if (closesAt <= (opensAt ?? now())) return { error: opensAt === undefined ? 'Sale closes: must be in the future (the sale opens at once)' : 'Sale closes: must be after the sale opens' }
      settings.closesAt = new Date(closesAt).toISOString()
    }
    if (limit) {
      const n = Number(limit)
      if (!Number.isInteger(n) || n < 1 || n > 100) return { error: 'Tickets per buyer: a whole number from 1 to 100, or empty for no limit' }
      settings.maxSeatsPerBuyer = n
    }
    if (byId<HTMLInputElement>('ev-wr').checked) {
      const rate = Number(byId<HTMLInputElement>('ev-wr-rate').value)
      if (!Number.isInteger(rate) || rate < 1 || rate > 100_000) return { error: 'Admissions per minute: a whole number from 1 to 100,000' }
      const seconds = Math.round(Number(byId<HTMLInputElement>('ev-wr-minutes').value) * 60)
      if (!Number.isFinite(seconds) || seconds < MIN_ADMISSION_SECONDS || seconds > MAX_ADMISSION_SECONDS) return { error: 'Minutes to shop: from 0.25 (15 seconds) to 60' }
      settings.waitingRoom = { admitPerMinute: rate, admissionSeconds: seconds }
    }
    return settings
  }

  /** "100 a minute, 10 min each": what a waiting room does, short. */
  function roomSummary (room: WaitingRoom): string {
    return `${room.admitPerMinute.toLocaleString('en')} a minute, ${formatDuration(room.admissionSeconds * 1000).replace(/ 0 s$/, '')} each to shop`
  }

  function saleSummary (settings: SaleSettings): string {
    const opens = settings.opensAt ? `sale opens ${formatMoment(settings.opensAt)}` : 'sale opens at once'
    const closes = settings.closesAt ? `, closes ${formatMoment(settings.closesAt)}` : ''
    const limit = settings.maxSeatsPerBuyer ? `, up to ${ticketsText(settings.maxSeatsPerBuyer)} per buyer` : ''
    const room = settings.waitingRoom ? `; waiting room: ${roomSummary(settings.waitingRoom)}` : ''
    return `${opens}${closes}${limit}${room}`
  }

  function updatePreview (): void {
    const plan = seatPlan()
    const sections = sectionDrafts()
    const settings = saleSettings()
    if ('error' in plan) return say(preview, plan.error, 'error')
    if (!Array.isArray(sections)) return say(preview, sections.error, 'error')
    if ('error' in settings) return say(preview, settings.error, 'error')
    const seats = plan.seatIds.length
      ? `${plan.seatIds.length.toLocaleString('en')} seats, ${plan.seatIds[0]} … ${plan.seatIds.at(-1)}`
      : 'no reserved seats'
    const ga = sections.length ? `; ${sections.length} general-admission section${sections.length > 1 ? 's' : ''} (${sections.reduce((n, s) => n + s.capacity, 0).toLocaleString('en')} places)` : ''
    say(preview, `${seats}${ga}; ${saleSummary(settings)}.`)
  }

  function addSection (): void {
    const n = sectionsBox.children.length + 1
    const remove = el('button', { type: 'button', className: 'link', textContent: 'Remove' })
    const row = el('div', { className: 'section-draft row3' },
      el('label', {}, 'Name ', el('input', { name: 'section-name', value: n === 1 ? 'Standing' : `Section ${n}`, maxLength: 100 })),
      el('label', {}, 'Capacity ', el('input', { name: 'section-capacity', type: 'number', min: '1', value: '100', inputMode: 'numeric' })),
      el('label', {}, 'Price ', el('input', { name: 'section-price', type: 'number', min: '0', step: '0.01', placeholder: 'optional', inputMode: 'decimal' })),
      remove)
    remove.addEventListener('click', () => {
      row.remove()
      updatePreview()
    })
    sectionsBox.append(row)
    row.querySelector('input')?.focus()
    updatePreview()
  }

  form.addEventListener('input', updatePreview)
  byId<HTMLInputElement>('ev-wr').addEventListener('change', (e) => {
    byId('ev-wr-fields').hidden = !(e.currentTarget as HTMLInputElement).checked
    updatePreview()
  })
  byId('ev-add-section').addEventListener('click', addSection)

  form.addEventListener('submit', (e) => {
    e.preventDefault()
    if (!ctx.requireSession('Sign in to create events.')) return
    const plan = seatPlan()
    const sections = sectionDrafts()
    if ('error' in plan) return say(formMessage, plan.error, 'error')
    if (!Array.isArray(sections)) return say(formMessage, sections.error, 'error')
    if (!plan.seatIds.length && !sections.length) return say(formMessage, 'An event needs seats or a general-admission section.', 'error')
    const settings = saleSettings()
    if ('error' in settings) return say(formMessage, settings.error, 'error')
    const startsAt = byId<HTMLInputElement>('ev-starts').value
    const body = {
      name: byId<HTMLInputElement>('ev-name').value.trim(),
      ...(startsAt ? { startsAt: new Date(startsAt).toISOString() } : {}),
      ...(plan.seatIds.length ? { seats: plan.seatIds } : {}),
      ...(sections.length ? { sections } : {}),
      ...(Object.keys(settings).length ? { sale: settings } : {}),
    }
    const button = byId<HTMLButtonElement>('ev-create')
    button.disabled = true
    say(formMessage, 'Creating…')
    api.createEvent(body).then(async (event) => {
      chosen = event.id
      await refillPicker()
      say(formMessage, `Created “${event.name}”.`, 'success')
    }, (error: unknown) => {
      say(formMessage, `Not created: ${describe(error)}.`, 'error')
    }).finally(() => { button.disabled = false })
  })

  function renderTallies (): void {
    const m = live?.reconciler.map
    if (!m || !live?.reconciler.loaded) {
      // A big event's seats are still coming: the event's own counts meanwhile.
      const c = m?.serverCounts
      if (c) for (const key of ['booked', 'held', 'available', 'total'] as const) byId(`tally-${key}`).textContent = c[key].toLocaleString('en')
      return
    }
    const c = m.counts(now())
    for (const key of ['booked', 'held', 'available', 'total'] as const) byId(`tally-${key}`).textContent = c[key].toLocaleString('en')
    for (const key of ['booked', 'held', 'available'] as const) byId(`bar-${key}`).style.flexGrow = String(c[key])
    const sections = [...m.sections.values()]
    byId('watch-sections-table').hidden = !sections.length
    byId('watch-sections').replaceChildren(...sections.map((s) => el('tr', {},
      el('th', { scope: 'row', textContent: s.name }),
      el('td', { textContent: (s.capacity - s.remaining).toLocaleString('en') }),
      el('td', { textContent: s.remaining.toLocaleString('en') }),
      el('td', { textContent: s.capacity.toLocaleString('en') }))))
  }

  function onUpdate (update: MapUpdate): void {
    const m = live?.reconciler.map
    if (!m) return
    if (update.all) view.render(m, now())
    else if (update.seatIds.length) view.update(m, update.seatIds, now())
    renderTallies()
  }

  function watch (eventId: string): void {
    live?.close()
    watched = eventId
    sale = events.get(eventId)?.sale
    saleReadAt = 0
    say(saleMessage, '')
    showAdmin(false)
    byId('sale-admin-note').hidden = true
    delete byId('wr-rate-input').dataset.dirty
    renderSale()
    readSale()
    setEventInHash(eventId)
    select.value = eventId
    byId('watch-name').textContent = events.get(eventId)?.name ?? 'Event'
    byId<HTMLAnchorElement>('watch-buyer-link').href = `/#event=${eventId}`
    view.clear()
    const state = byId('watch-live')
    live = connectLive(api, eventId, {
      onUpdate,
      onMode: showLiveMode(state),
      onError: (error) => say(formMessage, `Could not read the event: ${(error as Error).message}`, 'error'),
    })
  }

  /** The watched event's sale and, for its organiser, the sales report; anyone else is told why there is none. */
  async function readSale (): Promise<void> {
    const id = watched
    if (!id || saleReading) return
    saleReading = true
    saleReadAt = Date.now()
    try {
      const [event, report] = await Promise.all([
        api.event(id),
        ctx.session() ? api.salesReport(id).catch((error: unknown) => error as Error) : undefined,
      ])
      if (id !== watched) return
      sale = event.sale
      renderSale()
      renderReport(report)
      // A failure said before is over once a read goes through.
      if (saleMessage.dataset.kind === 'error' && saleMessage.textContent?.startsWith('Could not') && !(report instanceof Error)) say(saleMessage, '')
    } catch (error) {
      if (id === watched) say(saleMessage, `Could not read the sale: ${describe(error)}.`, 'error')
    } finally {
      saleReading = false
    }
  }

  function renderSale (): void {
    byId('sale-panel').hidden = !sale
    if (!sale) return
    byId('org-sale-state').dataset.status = sale.status
    const text = STATUS_WORDS[sale.status](sale)
    // Only a change is announced: the countdown beside it is a timer.
    if (byId('org-sale-text').textContent !== text) byId('org-sale-text').textContent = text
    byId('org-sale-opens').textContent = formatMoment(sale.opensAt)
    byId('org-sale-closes').textContent = sale.closesAt ? formatMoment(sale.closesAt) : 'no closing time'
    byId('org-sale-limit').textContent = sale.maxSeatsPerBuyer === null ? 'no limit' : `up to ${ticketsText(sale.maxSeatsPerBuyer)}`
    byId('org-sale-wr').textContent = sale.waitingRoom ? roomSummary(sale.waitingRoom) : 'none'
    pauseButton.textContent = sale.paused ? 'Resume sale' : 'Pause sale'
    byId('sale-pause-hint').hidden = !sale.waitingRoom
    if (!sale.waitingRoom) byId('org-wr').hidden = true
    renderSaleCountdown()
  }

  function renderSaleCountdown (): void {
    const left = sale?.status === 'scheduled' ? Date.parse(sale.opensAt) - now() : undefined
    const text = left === undefined ? '' : left > 0 ? `(in ${formatDuration(left)})` : '(opening now…)'
    const countdown = byId('org-sale-countdown')
    if (countdown.textContent !== text) countdown.textContent = text
  }

  /** The organiser's controls and report, shown or hidden together. */
  function showAdmin (shown: boolean): void {
    byId('sale-admin').hidden = !shown
    byId('sales-report').hidden = !shown
    if (!shown) byId('org-wr').hidden = true
  }

  /** The report, or, instead of the organiser's controls, why there are none. */
  function renderReport (report: SalesReport | Error | undefined): void {
    const note = byId('sale-admin-note')
    const refusal = report instanceof ApiError ? report.problem.code : undefined
    if (report === undefined || refusal === 'NOT_EVENT_ORGANISER' || refusal === 'UNAUTHENTICATED') {
      showAdmin(false)
      note.hidden = false
      note.textContent = report === undefined
        ? 'Sign in as this event\'s organiser to pause the sale, read its sales report and download its bookings.'
        : 'You are not this event\'s organiser: pausing the sale, its sales report and its bookings are for the organiser only.'
      return
    }
    if (report instanceof Error) {
      // A passing failure: keep what is shown, say it is not current.
      if (!byId('sale-admin').hidden) say(saleMessage, `Could not update the sales report: ${describe(report)}.`, 'error')
      return
    }
    showAdmin(true)
    note.hidden = true
    byId('report-confirmed').textContent = report.bookings.confirmed.toLocaleString('en')
    byId('report-cancelled').textContent = report.bookings.cancelled.toLocaleString('en')
    byId('report-buyers').textContent = report.buyers.toLocaleString('en')
    byId('report-revenue').textContent = formatPrice(report.revenueCents)
    byId('report-sections-table').hidden = !report.sections.length
    byId('report-sections').replaceChildren(...report.sections.map((s) => el('tr', {},
      el('th', { scope: 'row', textContent: s.name }),
      el('td', { textContent: s.sold.toLocaleString('en') }),
      el('td', { textContent: formatPrice(s.revenueCents) }))))
    renderRoom(report)
    byId('report-updated').textContent = `Updated ${new Date().toLocaleTimeString()}; every ${reportMs() / 1000} s.`
  }

  /** The report's waiting room: who waits, who shops, at what rate. */
  function renderRoom (report: SalesReport): void {
    const room = report.waitingRoom
    byId('org-wr').hidden = !room
    if (!room) return
    const n = (x: number) => x.toLocaleString('en')
    byId('wr-waiting').textContent = n(room.waiting)
    byId('wr-admitted').textContent = n(room.admitted)
    byId('wr-expired').textContent = n(room.expired)
    byId('wr-sold-out').textContent = n(room.soldOut)
    byId('wr-rate').textContent = n(room.admitPerMinute)
    byId('org-wr-live').textContent = `updated every ${reportMs() / 1000} s`
    const rateInput = byId<HTMLInputElement>('wr-rate-input')
    byId('wr-rate-form').hidden = false
    // The current rate, unless the organiser is typing a new one.
    if (!rateInput.dataset.dirty) rateInput.value = String(room.admitPerMinute)
    let note: string
    if (report.status === 'paused') note = 'Paused: nobody is let in until you resume; waiting buyers keep their places.'
    else if (report.status === 'scheduled') note = 'Before the opening, everyone who joins gets a random place; admissions start at the opening.'
    else if (report.status === 'sold-out') note = 'Sold out: every waiting buyer has been told so.'
    else if (report.status === 'closed') note = 'The sale has closed: nobody else is let in.'
    else if (room.waiting > 0 && report.seats.available + report.sections.reduce((x, s) => x + s.remaining, 0) <= room.admitted) note = 'Nobody else is let in while the buyers shopping now could take every place left.'
    else note = `Buyers are let in at up to ${n(room.admitPerMinute)} a minute, in line order, while places are left.`
    byId('org-wr-note').textContent = note
  }

  /** The report is read more often for a waiting room: its figures move by the second. */
  function reportMs (): number {
    return sale?.waitingRoom ? ROOM_REPORT_MS : REPORT_MS
  }

  byId('wr-rate-input').addEventListener('input', (e) => { (e.currentTarget as HTMLElement).dataset.dirty = 'true' })
  byId('wr-rate-form').addEventListener('submit', async (e) => {
    e.preventDefault()
    const id = watched
    const room = sale?.waitingRoom
    if (!id || !room) return
    const input = byId<HTMLInputElement>('wr-rate-input')
    const rate = Number(input.value)
    if (!Number.isInteger(rate) || rate < 1 || rate > 100_000) return say(saleMessage, 'Admissions per minute: a whole number from 1 to 100,000.', 'error')
    const button = byId<HTMLButtonElement>('wr-rate-save')
    button.disabled = true
    say(saleMessage, 'Changing the rate…')
    try {
      const event = await api.changeEvent(id, { sale: { waitingRoom: { admitPerMinute: rate, admissionSeconds: room.admissionSeconds } } })
      if (id !== watched) return
      sale = event.sale
      renderSale()
      byId('wr-rate').textContent = rate.toLocaleString('en')
      delete input.dataset.dirty
      say(saleMessage, `Buyers are now let in at up to ${rate.toLocaleString('en')} a minute.`, 'success')
      saleReadAt = 0
    } catch (error) {
      say(saleMessage, `Not done: ${describe(error)}.`, 'error')
    } finally {
      button.disabled = false
    }
  })

  /** Each second: the countdown, and a read at the opening or closing, or when the last read is old. */
  function tickSale (): void {
    if (!sale || !watched) return
    renderSaleCountdown()
    const change = nextChange(sale)
    const since = Date.now() - saleReadAt
    if ((change !== undefined && change <= now() && since >= SALE_RETRY_MS) || since >= reportMs()) readSale()
  }

  pauseButton.addEventListener('click', async () => {
    const id = watched
    if (!id || !sale) return
    const paused = !sale.paused
    pauseButton.disabled = true
    say(saleMessage, paused ? 'Pausing…' : 'Resuming…')
    try {
      const event = await api.changeEvent(id, { sale: { paused } })
      if (id !== watched) return
      sale = event.sale
      renderSale()
      const room = Boolean(sale.waitingRoom)
      say(saleMessage, paused
        ? `Paused: new holds and bookings are refused until you resume${room ? ', and nobody is let in from the waiting room' : ''}; confirmations, releases and cancellations go on.`
        : `Resumed: buyers may hold and book again${room ? ', and admissions from the waiting room go on' : ''}.`, 'success')
      saleReadAt = 0
    } catch (error) {
      say(saleMessage, `Not done: ${describe(error)}.`, 'error')
    } finally {
      pauseButton.disabled = false
    }
  })

  // The file needs the token, so no plain link: fetch it, then hand it over as a download.
  csvButton.addEventListener('click', async () => {
    const id = watched
    if (!id) return
    csvButton.disabled = true
    say(saleMessage, 'Preparing the bookings…')
    try {
      const blob = await api.bookingsCsv(id)
      const url = URL.createObjectURL(blob)
      const link = el('a', { href: url, download: `bookings-${id}.csv`, hidden: true })
      document.body.append(link)
      link.click()
      link.remove()
      // Revoked later, not at once: the browser may still be reading the file after the click.
      setTimeout(() => URL.revokeObjectURL(url), 60_000)
      say(saleMessage, `Downloaded bookings-${id}.csv.`, 'success')
    } catch (error) {
      say(saleMessage, `Not downloaded: ${describe(error)}.`, 'error')
    } finally {
      csvButton.disabled = false
    }
  })

  /** Nothing to watch (signed in with no events yet): an empty dashboard, not someone else's event. */
  function unwatch (): void {
    live?.close()
    live = undefined
    watched = undefined
    sale = undefined
    renderSale()
    history.replaceState(null, '', `${location.pathname}${location.search}`)
    byId('watch-name').textContent = 'No event yet'
    byId('watch-live').textContent = ''
    view.clear()
    byId('watch-sections-table').hidden = true
    for (const key of ['booked', 'held', 'available', 'total'] as const) byId(`tally-${key}`).textContent = '0'
    for (const key of ['booked', 'held', 'available'] as const) byId(`bar-${key}`).style.flexGrow = '0'
  }

  select.addEventListener('change', () => {
    if (!select.value) return
    chosen = select.value
    watch(select.value)
  })
  setInterval(() => {
    tickSale()
    const m = live?.reconciler.map
    if (!m) return
    view.tick(m, now())
    renderTallies()
  }, 1000)

  /** Signed in: one's own events (and the one asked for, whoever's); signed out: everyone's. */
  async function fillPicker (): Promise<void> {
    try {
      events = await fillEventSelect(api, select, chosen, { mine: Boolean(ctx.session()) })
    } catch (error) {
      say(formMessage, describe(error), 'error')
    }
    if (!select.value) unwatch()
    else if (select.value !== watched) watch(select.value)
    else {
      // The same event, someone else signed in: whether they see the report may have changed.
      saleReadAt = 0
      readSale()
    }
  }

  let filling = Promise.resolve()
  /** One fill at a time, each with the latest choice: a slow one never undoes a newer one. */
  function refillPicker (): Promise<void> {
    filling = filling.then(fillPicker)
    return filling
  }

  ctx.onSessionChange(() => { refillPicker() })

  updatePreview()
  refillPicker()
}
