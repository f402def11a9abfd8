/**
 * The seat map, drawn two ways. Up to CANVAS_THRESHOLD seats, a grid in the DOM: one button per
 * seat, coloured by status, updated seat by seat as changes come (a flash sale must not rebuild
 * thousands of buttons per message); one seat is in the tab order at a time, the arrow keys move
 * between seats, Enter or Space activates one. Past it, a canvas (seat-canvas.ts): 100,000
 * buttons take seconds to build, a canvas paints the first page of seats at once.
 */
import { layoutSeats, type GridRow } from './layout.ts'
import { effectiveStatus, type LiveMap, type SeatStatus } from './live-map.ts'
import { type SeatDecor, SeatCanvasView } from './seat-canvas.ts'

/** Events with more seats than this are drawn on a canvas; smaller ones keep the DOM grid. */
export const CANVAS_THRESHOLD = 2000
/** The performance mark set when the first seats of an event are on screen. */
export const FIRST_SEATS_MARK = 'seatline:first-seats'

/** Seats per line: a longer row wraps, so a 100-seat row still fits a page. */
const WRAP = 40

const STATUS_WORDS: Record<SeatStatus, string> = { available: 'available', held: 'held', booked: 'booked' }

export interface SeatMapOptions {
  container: HTMLElement
  /** Buyers click seats; the organiser only watches. */
  interactive: boolean
  onActivate?: (seatId: string) => void
}

/**
 * The seat map a page uses: the DOM grid for small events, the canvas for big ones, chosen by
 * the event's size (its counts come before its first page of seats). The page's selection and
 * its own holds and bookings are kept here, for whichever draws.
 */
export class SeatMapView implements SeatDecor {
  readonly #options: SeatMapOptions
  readonly #grid: SeatGridView
  #canvas: SeatCanvasView | undefined
  #marked = false
  selected = new Set<string>()
  /** Seats of the buyer's own active hold. */
  mine = new Set<string>()
  /** Seats of the buyer's own bookings. */
  owned = new Set<string>()

  constructor (options: SeatMapOptions) {
    this.#options = options
    this.#grid = new SeatGridView(options, this)
  }

  /** Empties the map for another event. */
  clear (): void {
    this.#canvas?.destroy()
    this.#canvas = undefined
    this.#marked = false
    this.#grid.reset()
    const { container } = this.#options
    container.replaceChildren()
    container.classList.remove('is-canvas')
    delete container.dataset.renderer
  }

  /** A big event: the first time its map is seen to be big, the canvas takes the grid's place. */
  #big (map: LiveMap): SeatCanvasView | undefined {
    if (this.#canvas || Math.max(map.seats.size, map.serverCounts?.total ?? 0) <= CANVAS_THRESHOLD) return undefined
    this.clear()
    this.#canvas = new SeatCanvasView({ ...this.#options, decor: this, onFirstPaint: () => this.#mark() })
    return this.#canvas
  }

  /** The first seats are on screen: the next frame shows what was drawn. */
  #mark (): void {
    if (this.#marked) return
    this.#marked = true
    performance.mark(FIRST_SEATS_MARK)
  }

  render (map: LiveMap, now: number): void {
    const canvas = this.#canvas ?? this.#big(map)
    if (canvas) return canvas.render(map, now)
    this.#grid.render(map, now)
    if (map.seats.size && !this.#marked) requestAnimationFrame(() => this.#mark())
  }

  update (map: LiveMap, seatIds: Iterable<string>, now: number): void {
    if (this.#canvas) return this.#canvas.update(map, seatIds, now)
    // Just grown big (its counts came, or its seats did): draw all there is so far.
    const canvas = this.#big(map)
    if (canvas) return canvas.render(map, now)
    this.#grid.update(map, seatIds, now)
    if (map.seats.size && !this.#marked) requestAnimationFrame(() => this.#mark())
  }

  tick (map: LiveMap, now: number): void {
    if (this.#canvas) this.#canvas.tick(map, now)
    else this.#grid.tick(map, now)
  }

  repaint (map: LiveMap, now: number): void {
    if (this.#canvas) this.#canvas.repaint(map, now)
    else this.#grid.repaint(map, now)
  }

  flash (seatIds: string[]): void {
    if (this.#canvas) this.#canvas.flash(seatIds)
    else this.#grid.flash(seatIds)
  }
}

/** The DOM grid: one button (or, for the organiser, one span) per seat. */
class SeatGridView {
  readonly #options: SeatMapOptions
  readonly #decor: SeatDecor
  #buttons = new Map<string, HTMLElement>()
  #rows: GridRow[] = []
  #position = new Map<string, [number, number]>()
  #expiring = new Set<string>()
  #focusable: string | undefined

  constructor (options: SeatMapOptions, decor: SeatDecor) {
    this.#options = options
    this.#decor = decor
    if (options.interactive) {
      options.container.addEventListener('click', (e) => {
        const button = (e.target as HTMLElement).closest<HTMLElement>('[data-seat]')
        if (button) this.#activate(button.dataset.seat!)
      })
      options.container.addEventListener('keydown', (e) => this.#onKey(e))
    }
  }

  /** Forgets the grid (its container was emptied for another event). */
  reset (): void {
    this.#buttons.clear()
    this.#rows = []
    this.#position.clear()
    this.#expiring.clear()
  }

  /** Builds the grid from scratch: on load and after a reset. */
  render (map: LiveMap, now: number): void {
    const { container, interactive } = this.#options
    container.dataset.renderer = 'grid'
    this.#rows = layoutSeats(map.seats.keys())
    this.#buttons.clear()
    this.#position.clear()
    this.#expiring.clear()
    const widest = Math.max(1, ...this.#rows.map((row) => row.seats.at(-1)?.column ?? 1))
    container.style.setProperty('--cols', String(Math.min(widest, WRAP)))
    const fragment = document.createDocumentFragment()
    this.#rows.forEach((row, r) => {
      const line = document.createElement('div')
      line.className = 'seat-row'
      line.setAttribute('role', 'group')
      line.setAttribute('aria-label', row.label ? `Row ${row.label}` : 'Other seats')
      const label = document.createElement('span')
      label.className = 'row-label'
      label.setAttribute('aria-hidden', 'true')
      label.textContent = row.label
      const seats = document.createElement('div')
      seats.className = 'row-seats'
      row.seats.forEach((seat, i) => {
        const el = document.createElement(interactive ? 'button' : 'span')
        if (interactive) (el as HTMLButtonElement).type = 'button'
        else el.setAttribute('role', 'img')
        el.className = 'seat'
        el.dataset.seat = seat.seatId
        el.textContent = row.label ? String(seat.column) : seat.seatId
        const c = seat.column - 1
        el.style.gridColumn = String((c % WRAP) + 1)
        el.style.gridRow = String(Math.floor(c / WRAP) + 1)
        if (interactive) el.tabIndex = -1
        this.#buttons.set(seat.seatId, el)
        this.#position.set(seat.seatId, [r, i])
        seats.append(el)
      })
      line.append(label, seats)
      fragment.append(line)
    })
    container.replaceChildren(fragment)
    for (const seatId of this.#buttons.keys()) this.#paint(map, seatId, now)
    const first = this.#rows[0]?.seats[0]?.seatId
    if (interactive) this.#setFocusable(this.#focusable && this.#buttons.has(this.#focusable) ? this.#focusable : first)
  }

  /** Repaints the seats named (a stream message's changes). */
  update (map: LiveMap, seatIds: Iterable<string>, now: number): void {
    let added = false
    for (const seatId of seatIds) {
      if (!this.#buttons.has(seatId)) added = true
      else this.#paint(map, seatId, now)
    }
    // A seat the grid has never seen changes the layout: build it again.
    if (added) this.render(map, now)
  }

  /** Repaints held seats whose hold may have run out since: called every second. */
  tick (map: LiveMap, now: number): void {
    for (const seatId of [...this.#expiring]) this.#paint(map, seatId, now)
  }

  /** Repaints everything's decorations (selection, own holds and bookings), not its layout. */
  repaint (map: LiveMap, now: number): void {
    for (const seatId of this.#buttons.keys()) this.#paint(map, seatId, now)
  }

  /** Flashes seats a refusal named. */
  flash (seatIds: string[]): void {
    for (const seatId of seatIds) {
      const el = this.#buttons.get(seatId)
      if (!el) continue
      el.classList.remove('is-refused')
      // Read layout so the animation starts over when it was already running.
      el.getBoundingClientRect()
      el.classList.add('is-refused')
      setTimeout(() => el.classList.remove('is-refused'), 3000)
    }
  }

  #paint (map: LiveMap, seatId: string, now: number): void {
    const el = this.#buttons.get(seatId)
    const seat = map.seats.get(seatId)
    if (!el || !seat) return
    const status = effectiveStatus(seat, now)
    if (status === 'held' && seat.holdExpiresAt) this.#expiring.add(seatId)
    else this.#expiring.delete(seatId)
    // The command's own reply is news before the stream's: show it at once.
    const owned = this.#decor.owned.has(seatId)
    const mine = !owned && this.#decor.mine.has(seatId) && status !== 'booked'
    const selected = this.#decor.selected.has(seatId)
    el.className = `seat is-${status}${mine ? ' is-mine' : ''}${owned ? ' is-owned' : ''}${selected ? ' is-selected' : ''}${el.classList.contains('is-refused') ? ' is-refused' : ''}`
    const words = mine ? 'held by you' : owned ? 'booked by you' : STATUS_WORDS[status]
    el.setAttribute('aria-label', `Seat ${seatId}, ${words}${selected ? ', selected' : ''}`)
    el.title = `${seatId}: ${words}`
    if (this.#options.interactive) {
      el.setAttribute('aria-pressed', String(selected))
      if (status === 'booked') el.setAttribute('aria-disabled', 'true')
      else el.removeAttribute('aria-disabled')
    }
  }

  #activate (seatId: string): void {
    this.#setFocusable(seatId)
    this.#options.onActivate?.(seatId)
  }

  #setFocusable (seatId: string | undefined): void {
    if (this.#focusable) {
      const old = this.#buttons.get(this.#focusable)
      if (old) old.tabIndex = -1
    }
    this.#focusable = seatId
    const el = seatId ? this.#buttons.get(seatId) : undefined
    if (el) el.tabIndex = 0
  }

  #onKey (e: KeyboardEvent): void {
    const seatId = (e.target as HTMLElement).dataset?.seat
    const at = seatId ? this.#position.get(seatId) : undefined
    if (!at) return
    const [r, i] = at
    const row = this.#rows[r]!
    const nearest = (other: GridRow | undefined) => {
      if (!other) return undefined
      const column = row.seats[i]!.column
      let best = other.seats[0]
      for (const seat of other.seats) if (Math.abs(seat.column - column) < Math.abs(best!.column - column)) best = seat
      return best?.seatId
    }
    const moves: Record<string, () => string | undefined> = {
      ArrowLeft: () => row.seats[i - 1]?.seatId,
      ArrowRight: () => row.seats[i + 1]?.seatId,
      ArrowUp: () => nearest(this.#rows[r - 1]),
      ArrowDown: () => nearest(this.#rows[r + 1]),
      Home: () => row.seats[0]?.seatId,
      End: () => row.seats.at(-1)?.seatId,
    }
    const move = moves[e.key]
    if (!move) return
    const next = move()
    e.preventDefault()
    if (!next) return
    this.#setFocusable(next)
    this.#buttons.get(next)?.focus()
  }
}
