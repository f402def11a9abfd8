/**
 * The buyer's page: pick an event, watch its seats live, select up to 10, hold them, watch the
 * hold run down, confirm or release; book general admission by quantity; see and cancel one's
 * bookings. Every refusal is shown with the seat it names and why. Before the sale opens, a
 * countdown, and nothing to press until it ends. On an event with a waiting room, the queue
 * (queue-panel.ts) comes first: the map opens, and is read at all, only while admitted.
 */
import { ApiError, type Booking, clockOffset, describeProblem, type EventSummary, type Hold, type Sale, type SaleStatus } from './api.ts'
import { byId, el, formatCountdown, formatPrice, say } from './dom.ts'
import { eventFromHash, fillEventSelect, setEventInHash } from './event-picker.ts'
import { connectLive, type LiveEvent, showLiveMode } from './live.ts'
import { effectiveStatus, type MapUpdate } from './live-map.ts'
import type { PageContext } from './context.ts'
import { QueuePanel } from './queue-panel.ts'
import { formatDuration, formatMoment, limitText, nextChange, notOpenYet } from './sale.ts'
import { SeatMapView } from './seat-map.ts'

const MAX_SEATS = 10
const TICK_MS = 250
/** The organiser may pause, resume or move the sale at any time: read it again this often. */
const SALE_READ_MS = 15_000
/** Past the opening by our clock but not yet by the server's: ask again after this long. */
const SALE_RETRY_MS = 1000

const SALE_WORDS: Record<SaleStatus, (sale: Sale) => string> = {
  scheduled: (sale) => `On sale at ${formatMoment(sale.opensAt)}`,
  open: (sale) => sale.closesAt ? `On sale until ${formatMoment(sale.closesAt)}` : 'On sale',
  paused: () => 'Sale paused by the organiser: no holds or bookings for now',
  closed: () => 'The sale has closed',
  'sold-out': () => 'Sold out',
}

const now = () => Date.now() + clockOffset

export function startBuyer (ctx: PageContext): void {
  const { api } = ctx
  const select = byId<HTMLSelectElement>('event-select')
  const message = byId('message')
  const holdButton = byId<HTMLButtonElement>('hold')
  const holdCard = byId('hold-card')
  const countdown = byId('countdown')
  const sectionsBox = byId('sections')
  const view = new SeatMapView({ container: byId('seat-map'), interactive: true, onActivate: toggle })

  let events = new Map<string, EventSummary>()
  let eventId: string | undefined
  let live: LiveEvent | undefined
  let hold: Hold | undefined
  let bookings: Booking[] = []
  let sale: Sale | undefined
  let saleReading = false
  let saleReadAt = 0
  const sectionViews = new Map<string, { remaining: HTMLElement, quantity: HTMLInputElement, book: HTMLButtonElement }>()

  const queue = new QueuePanel({
    api,
    ctx,
    now,
    onGate: (open) => { if (eventId) gate(eventId, open) },
    onSaleStale: () => {
      saleReadAt = 0
      readSale()
    },
    onStatus: (ticket) => {
      // Admitted, ran out, sold out, closed: the sale may have moved too (resumed, sold out).
      saleReadAt = 0
      readSale()
      // A refusal shown while waiting is over once admitted, or once nothing is left to wait for.
      if (ticket.status !== 'waiting' && ticket.status !== 'expired' && message.dataset.kind === 'error') say(message, '')
    },
  })

  const holdKey = () => `seatline.hold.${ctx.session()?.userId ?? ''}`
  const map = () => live?.reconciler.map

  function busy<T> (button: HTMLButtonElement, work: () => Promise<T>): Promise<T | undefined> {
    button.disabled = true
    return work().catch((error: unknown) => {
      showError(error)
      return undefined
    }).finally(() => {
      button.disabled = false
      renderHold()
      renderSections(false)
    })
  }

  function showError (error: unknown): void {
    if (error instanceof ApiError) {
      say(message, `Not done: ${describeProblem(error.problem)}.`, 'error')
      // The sale is not what this page thought: read it again to show what it is.
      if (error.problem.code.startsWith('SALE_')) readSale()
      // Nor is the buyer's place in the waiting room.
      if (error.problem.code === 'NOT_ADMITTED') queue.notAdmitted()
      const refused = error.problem.seats?.map((s) => s.seatId) ?? []
      if (refused.length) {
        for (const seatId of refused) view.selected.delete(seatId)
        view.flash(refused)
        repaint()
        renderSelection()
      }
    } else {
      say(message, `Not done: ${(error as Error).message}`, 'error')
    }
  }

  /** After a command: the stream will say what changed; without it, read the list now. */
  async function afterCommand (): Promise<void> {
    // A command that went through (or a cancellation) may have opened a sale we thought shut.
    if (sale && sale.status !== 'open') readSale()
    if (live && !live.streaming) await live.refresh()
  }

  /** Holds and bookings wait for the opening; the server would refuse them before it. */
  const beforeOpening = () => sale !== undefined && notOpenYet(sale, now())

  /** The event's sale as the server reads it now. */
  async function readSale (): Promise<void> {
    const id = eventId
    if (!id || saleReading) return
    saleReading = true
    saleReadAt = Date.now()
    try {
      const event = await api.event(id)
      if (id !== eventId) return
      sale = event.sale
      queue.setSale(sale, event.seats.available + event.sections.reduce((n, s) => n + s.remaining, 0))
      renderSale()
    } catch {
      // The next tick asks again.
    } finally {
      saleReading = false
    }
  }

  /** The places I have in this event, as the buyer limit counts them: confirmed bookings and my hold. */
  function myPlaces (): number {
    const booked = bookings.filter((b) => b.eventId === eventId && b.status === 'confirmed')
      .reduce((n, b) => n + (b.seatIds?.length ?? b.quantity ?? 0), 0)
    return booked + (hold && hold.eventId === eventId ? hold.seatIds.length : 0)
  }

  function renderSale (): void {
    const box = byId('sale-state')
    box.hidden = !sale
    if (!sale) return
    box.dataset.status = sale.status
    const text = SALE_WORDS[sale.status](sale)
    // Only a change is announced: the countdown beside it is a timer, not read out every second.
    if (byId('sale-text').textContent !== text) byId('sale-text').textContent = text
    renderLimit()
    renderSaleCountdown()
    renderHold()
    renderSections(false)
  }

  function renderLimit (): void {
    const limit = byId('sale-limit')
    const words = sale && limitText(sale)
    limit.hidden = !words
    if (words) limit.textContent = ctx.session() ? `${words} (you have ${myPlaces()}).` : `${words}.`
  }

  function renderSaleCountdown (): void {
    const left = sale?.status === 'scheduled' ? Date.parse(sale.opensAt) - now() : undefined
    const text = left === undefined ? '' : left > 0 ? `(in ${formatDuration(left)})` : '(opening now…)'
    const countdown = byId('sale-countdown')
    if (countdown.textContent !== text) countdown.textContent = text
  }

  /** Each tick: the countdown, and a read at the opening or closing, or when the last read is old. */
  function tickSale (): void {
    if (!sale || !eventId) return
    renderSaleCountdown()
    const change = nextChange(sale)
    const since = Date.now() - saleReadAt
    if ((change !== undefined && change <= now() && since >= SALE_RETRY_MS) || since >= SALE_READ_MS) readSale()
  }

  function repaint (): void {
    const m = map()
    if (m) view.repaint(m, now())
  }

  function toggle (seatId: string): void {
    const m = map()
    const seat = m?.seats.get(seatId)
    if (!m || !seat) return
    const status = effectiveStatus(seat, now())
    if (view.selected.has(seatId)) {
      view.selected.delete(seatId)
    } else if (view.owned.has(seatId)) {
      // Booked by this buyer: the reply may have come before the stream says so.
      say(message, `${seatId} is yours already.`, 'info')
      return
    } else if (status === 'booked') {
      say(message, `${seatId} is booked.`, 'info')
      return
    } else if (hold && hold.seatIds.includes(seatId)) {
      say(message, `${seatId} is in your hold already.`, 'info')
      return
    } else if (view.selected.size >= MAX_SEATS) {
      say(message, `At most ${MAX_SEATS} seats at a time.`, 'info')
      return
    } else {
      view.selected.add(seatId)
      if (status === 'held') say(message, `${seatId} is held by another buyer right now; you may try it anyway.`, 'info')
    }
    view.update(m, [seatId], now())
    renderSelection()
  }

  function renderSelection (): void {
    const ids = [...view.selected]
    byId('selection').textContent = ids.length ? `${ids.length} selected: ${ids.join(', ')}` : `No seats selected. Pick up to ${MAX_SEATS}.`
    holdButton.textContent = ids.length > 1 ? `Hold ${ids.length} seats` : 'Hold seat'
  }

  function renderCounts (): void {
    const m = map()
    if (!m) return
    if (!live?.reconciler.loaded) {
      // A big event's seats come a page at a time, and show as they come.
      const total = m.serverCounts?.total
      if (total && m.seats.size) byId('counts').textContent = `Loading seats… ${m.seats.size.toLocaleString('en')} of ${total.toLocaleString('en')}`
      return
    }
    const c = m.counts(now())
    const sections = [...m.sections.values()]
    const ga = sections.length ? ` · general admission: ${sections.reduce((n, s) => n + s.remaining, 0)} left` : ''
    const n = (x: number) => x.toLocaleString('en')
    byId('counts').textContent = c.total ? `${n(c.available)} available · ${n(c.held)} held · ${n(c.booked)} booked of ${n(c.total)}${ga}` : ga.slice(3)
  }

  function renderSections (rebuild: boolean): void {
    const m = map()
    if (!m) return
    if (rebuild) {
      sectionViews.clear()
      sectionsBox.replaceChildren(...[...m.sections.values()].map((section) => {
        const remaining = el('span', { className: 'remaining' })
        const quantity = el('input', { type: 'number', min: '1', max: String(MAX_SEATS), value: '1', className: 'quantity' })
        quantity.setAttribute('aria-label', `How many places in ${section.name}`)
        const book = el('button', { type: 'button', textContent: 'Book' })
        book.addEventListener('click', () => bookSection(section.id, book, quantity))
        sectionViews.set(section.id, { remaining, quantity, book })
        const price = section.priceCents === null ? '' : ` · ${formatPrice(section.priceCents)}`
        return el('div', { className: 'section' },
          el('strong', { textContent: section.name }), ' ', remaining, el('span', { className: 'hint', textContent: price }),
          el('span', { className: 'section-book' }, quantity, book))
      }))
    }
    for (const section of m.sections.values()) {
      const v = sectionViews.get(section.id)
      if (!v) continue
      v.remaining.textContent = `${section.remaining} of ${section.capacity} left`
      v.book.disabled = section.remaining === 0 || beforeOpening()
      v.book.title = beforeOpening() && sale ? `The sale opens at ${formatMoment(sale.opensAt)}` : ''
      v.quantity.max = String(Math.max(1, Math.min(MAX_SEATS, section.remaining)))
    }
  }

  function onUpdate (update: MapUpdate): void {
    const m = map()
    if (!m) return
    if (update.all) {
      view.render(m, now())
      renderSections(true)
    } else {
      if (update.seatIds.length) view.update(m, update.seatIds, now())
      if (update.sections) renderSections(false)
    }
    // A selected seat someone else has booked can no longer be had.
    for (const seatId of view.selected) {
      const seat = m.seats.get(seatId)
      if (seat && seat.status === 'booked' && !view.owned.has(seatId)) {
        view.selected.delete(seatId)
        view.update(m, [seatId], now())
        say(message, `${seatId} was just booked by someone else.`, 'info')
        renderSelection()
      }
    }
    renderCounts()
  }

  function openEvent (id: string): void {
    live?.close()
    live = undefined
    eventId = id
    setEventInHash(id)
    view.selected.clear()
    renderSelection()
    const event = events.get(id)
    sale = event?.sale
    saleReadAt = 0
    byId('event-name').textContent = event?.name ?? 'Event'
    byId('event-when').textContent = event?.startsAt ? new Date(event.startsAt).toLocaleString() : ''
    // The queue says whether the map opens now (no waiting room, or admitted): see gate().
    queue.open(id, sale)
    renderSale()
  }

  /**
   * The map and the buying controls, open or shut. Shut (a waiting room, not admitted), the map
   * is not even read: a crowd in the line would otherwise read every seat for nothing.
   */
  function gate (id: string, open: boolean): void {
    byId('shop').hidden = !open
    byId('selection-card').hidden = !open
    if (!open) {
      live?.close()
      live = undefined
      view.selected.clear()
      renderSelection()
      view.clear()
      sectionsBox.replaceChildren()
      const liveState = byId('live-state')
      liveState.textContent = ''
      delete liveState.dataset.mode
      return
    }
    if (live) return
    // Admitted: the sale is open now, whatever the last read said (paused, say).
    if (queue.hasRoom) {
      saleReadAt = 0
      readSale()
    }
    byId('counts').textContent = 'Loading seats…'
    view.clear()
    sectionsBox.replaceChildren()
    const liveState = byId('live-state')
    live = connectLive(api, id, {
      onUpdate,
      onMode: showLiveMode(liveState),
      onError: (error) => say(message, `Could not read the seats: ${(error as Error).message}. Trying again…`, 'error'),
    })
    applyOwnership()
  }

  /** Seats of my hold and my bookings, for this event. */
  function applyOwnership (): void {
    view.mine = new Set(hold && hold.eventId === eventId ? hold.seatIds : [])
    view.owned = new Set(bookings.filter((b) => b.eventId === eventId && b.status === 'confirmed').flatMap((b) => b.seatIds ?? []))
    repaint()
    renderLimit()
  }

  function setHold (next: Hold | undefined): void {
    hold = next
    if (hold) localStorage.setItem(holdKey(), JSON.stringify(hold))
    else localStorage.removeItem(holdKey())
    applyOwnership()
    renderHold()
  }

  function renderHold (): void {
    holdCard.hidden = !hold
    const early = beforeOpening()
    holdButton.disabled = Boolean(hold) || early
    holdButton.title = hold ? 'Confirm or release your current hold first' : early && sale ? `The sale opens at ${formatMoment(sale.opensAt)}` : ''
    if (!hold) return
    holdCard.dataset.expiresAt = hold.expiresAt
    const where = hold.eventId === eventId ? '' : ` (${events.get(hold.eventId)?.name ?? 'another event'})`
    byId('hold-seats').textContent = `${hold.seatIds.join(', ')}${where}`
  }

  function tick (): void {
    const m = map()
    if (m) view.tick(m, now())
    tickSale()
    queue.tick()
    if (!hold) return
    const left = Date.parse(hold.expiresAt) - now()
    countdown.textContent = formatCountdown(left)
    holdCard.classList.toggle('urgent', left < 10_000)
    if (left <= 0) {
      say(message, `Your hold on ${hold.seatIds.join(', ')} ran out; the seats are free again for anyone.`, 'error')
      setHold(undefined)
      renderCounts()
    }
  }

  let lastCounts = 0
  setInterval(() => {
    tick()
    // Counts follow expiring holds too, once a second is enough.
    if (Date.now() - lastCounts >= 1000) {
      lastCounts = Date.now()
      renderCounts()
    }
  }, TICK_MS)

  holdButton.addEventListener('click', () => {
    if (!eventId || !ctx.requireSession('Sign in to hold seats.')) return
    const seatIds = [...view.selected]
    if (!seatIds.length) {
      say(message, 'Pick one or more seats on the map first.', 'info')
      return
    }
    const ttlInput = byId<HTMLInputElement>('ttl')
    const ttl = Math.min(900, Math.max(5, Math.round(Number(ttlInput.value) || 60)))
    const id = eventId
    busy(holdButton, async () => {
      say(message, `Holding ${seatIds.join(', ')}…`)
      const held = await api.hold(id, seatIds, ttl)
      view.selected.clear()
      renderSelection()
      setHold(held)
      tick()
      say(message, `Held ${held.seatIds.join(', ')}. Confirm before the countdown ends.`, 'success')
      await afterCommand()
    })
  })

  byId('clear-selection').addEventListener('click', () => {
    const ids = [...view.selected]
    view.selected.clear()
    const m = map()
    if (m) view.update(m, ids, now())
    renderSelection()
  })

  /** A button that acts on the current hold; a refusal with one of `over` means the hold has ended. */
  function onHoldButton (id: string, over: string[], act: (current: Hold) => Promise<void>, after?: () => void): void {
    byId<HTMLButtonElement>(id).addEventListener('click', (e) => {
      const current = hold
      if (!current) return
      busy(e.currentTarget as HTMLButtonElement, async () => {
        try {
          await act(current)
        } catch (error) {
          if (error instanceof ApiError && over.includes(error.problem.code)) setHold(undefined)
          throw error
        } finally {
          await afterCommand()
          after?.()
        }
      })
    })
  }

  // The hold is over either way: expired, or confirmed or released by another tab.
  onHoldButton('confirm', ['HOLD_EXPIRED', 'HOLD_NOT_ACTIVE', 'HOLD_NOT_FOUND'], async (current) => {
    const booking = await api.confirm(current.holdId)
    bookings = [booking, ...bookings]
    setHold(undefined)
    say(message, `Booked ${booking.seatIds?.join(', ') ?? ''}.`, 'success')
    renderBookings()
  }, () => { loadBookings() })

  onHoldButton('release', ['HOLD_NOT_ACTIVE', 'HOLD_NOT_FOUND'], async (current) => {
    await api.release(current.holdId)
    say(message, `Released ${current.seatIds.join(', ')}.`, 'success')
    setHold(undefined)
  })

  async function bookSection (sectionId: string, button: HTMLButtonElement, quantityInput: HTMLInputElement): Promise<void> {
    if (!eventId || !ctx.requireSession('Sign in to book.')) return
    const quantity = Math.min(MAX_SEATS, Math.max(1, Math.round(Number(quantityInput.value) || 1)))
    const name = map()?.sections.get(sectionId)?.name ?? 'the section'
    const id = eventId
    await busy(button, async () => {
      const booking = await api.bookSection(id, sectionId, quantity)
      bookings = [booking, ...bookings]
      say(message, `Booked ${quantity} in ${name}.`, 'success')
      renderBookings()
      await afterCommand()
    })
  }

  async function loadBookings (): Promise<void> {
    if (!ctx.session()) {
      bookings = []
      renderBookings()
      return
    }
    try {
      bookings = (await api.bookings()).items
    } catch {
      return
    }
    renderBookings()
  }

  function renderBookings (): void {
    const list = byId('bookings')
    applyOwnership()
    if (!ctx.session()) {
      list.replaceChildren(el('li', { className: 'hint', textContent: 'Sign in to see your bookings.' }))
      return
    }
    if (!bookings.length) {
      list.replaceChildren(el('li', { className: 'hint', textContent: 'None yet.' }))
      return
    }
    list.replaceChildren(...bookings.map((b) => {
      const event = events.get(b.eventId)?.name ?? `event ${b.eventId.slice(0, 8)}`
      const section = b.sectionId ? (map()?.sections.get(b.sectionId)?.name ?? 'general admission') : ''
      const what = b.seatIds?.length ? `seats ${b.seatIds.join(', ')}` : `${b.quantity ?? 0} × ${section}`
      const item = el('li', { className: `booking is-${b.status}` },
        el('span', { textContent: `${event}: ${what}` }), ' ',
        el('span', { className: 'badge', textContent: b.status }))
      if (b.status === 'confirmed') {
        const cancel = el('button', { type: 'button', className: 'link', textContent: 'Cancel' })
        cancel.setAttribute('aria-label', `Cancel booking of ${what}`)
        cancel.addEventListener('click', () => busy(cancel, async () => {
          const cancelled = await api.cancel(b.bookingId)
          bookings = bookings.map((x) => x.bookingId === b.bookingId ? cancelled : x)
          say(message, `Cancelled ${what}.`, 'success')
          renderBookings()
          await afterCommand()
        }))
        item.append(' ', cancel)
      }
      return item
    }))
  }

  /** A hold made before a reload is still ours while it is active. */
  async function restoreHold (): Promise<void> {
    hold = undefined
    const saved = ctx.session() ? localStorage.getItem(holdKey()) : null
    if (saved) {
      try {
        const parsed = JSON.parse(saved) as Hold
        const status = await api.holdStatus(parsed.holdId)
        if (status.status === 'active' && Date.parse(status.expiresAt) > now()) hold = parsed
      } catch {}
    }
    setHold(hold)
  }

  select.addEventListener('change', () => { if (select.value) openEvent(select.value) })

  ctx.onSessionChange(() => {
    queue.sessionChanged()
    restoreHold()
    loadBookings()
  })

  async function init (): Promise<void> {
    try {
      events = await fillEventSelect(api, select, eventFromHash())
    } catch (error) {
      showError(error)
    }
    renderSelection()
    if (select.value) openEvent(select.value)
    else byId('counts').textContent = 'No events yet: create one on the organiser\'s page.'
    await restoreHold()
    await loadBookings()
  }
  init()
}
