/**
 * The seat map of a big event, on a canvas: 100,000 DOM buttons take seconds to build and
 * slow every later change, a canvas paints a page of seats in a few milliseconds.
 *
 * Rows are laid out as in the DOM grid (A12 is row A, column 12, gaps stay gaps), each wrapped
 * onto as many lines as it needs at the width there is. Only what is in view is painted: the
 * canvas is the size of the scroll box and stays in it (position: sticky) while a sizer gives the
 * box the map's full height, so a map of any size costs one screenful of pixels. A change
 * repaints its own cell, in the next frame; scrolling, a resize or new seats repaint the view.
 *
 * Seats are kept compactly: an index per seat id, typed arrays for its row, column and what
 * its cell shows, and per row an array of seat indices by column (hit-testing is arithmetic).
 *
 * Usable without the DOM's buttons: hovering or tapping a seat rings it and says which seat it
 * is and its state; a click selects it; the canvas takes the focus, the arrow keys move between
 * seats (said in a live region), Enter or Space selects; "Go to seat" finds a seat by its id;
 * − and + change the size of the seats. Painted in device pixels, so it is sharp at any zoom.
 */
import { effectiveStatus, type LiveMap } from './live-map.ts'

/** What the page decides about seats besides their status: its selection, its hold, its bookings. */
export interface SeatDecor {
  selected: Set<string>
  /** Seats of the buyer's own active hold. */
  mine: Set<string>
  /** Seats of the buyer's own bookings. */
  owned: Set<string>
}

export interface SeatCanvasOptions {
  container: HTMLElement
  /** Buyers select seats; the organiser only watches. */
  interactive: boolean
  decor: SeatDecor
  onActivate?: (seatId: string) => void
  /** Called once, when the first seats have been drawn. */
  onFirstPaint?: () => void
}

// What a cell shows: a status, or the page's own, and a flag for the selection.
const NONE = 0
const AVAILABLE = 1
const HELD = 2
const BOOKED = 3
const MINE = 4
const OWNED = 5
const SELECTED = 8
const KIND = 7

const WORDS = ['', 'available', 'held', 'booked', 'held by you', 'booked by you']

/** Seat sizes (CSS px from one seat to the next): − and + step through them. */
const PITCHES = [4, 6, 8, 10, 14, 20]
/** Row labels stay this tall, however thin the row. */
const LABEL_HEIGHT = 16
const PAD = 6
/**
 * While the seats of a big event come in, a page every few tens of milliseconds, the view is
 * repainted at most this often: each paint sends the whole canvas to the compositor, which
 * costs tens of milliseconds where there is no GPU. The first seats paint at once, and so do
 * changes to seats already shown.
 */
const GROWING_PAINT_MS = 200
/** A seat number past this is no grid column (it would make a row millions of lines long). */
const MAX_COLUMN = 200_000

const SEAT_NUMBER = /^(.*?)(\d+)$/
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' })

interface Row {
  /** Its place in #rows (the order rows were first seen). */
  index: number
  label: string
  /** Seat index + 1 by column; 0 where there is no seat. */
  cells: Int32Array
  maxColumn: number
  /** Ids with no number (or a clash): one row of their own, last, in the order they came. */
  loose: boolean
  // The layout's, in CSS px of the map.
  top: number
  lines: number
  height: number
}

interface Palette {
  available: string
  held: string
  heldStripe: string
  booked: string
  mine: string
  owned: string
  ink: string
  muted: string
  line: string
}

function palette (element: HTMLElement): Palette {
  const style = getComputedStyle(element)
  const css = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback
  return {
    available: css('--available', '#15803d'),
    // The legend's stripes (styles.css: .is-held).
    held: '#fbbf24',
    heldStripe: '#f59e0b',
    booked: css('--booked', '#9aa3b1'),
    mine: css('--mine', '#2563eb'),
    owned: css('--owned', '#7c3aed'),
    ink: css('--ink', '#1f2430'),
    muted: css('--muted', '#5b6473'),
    line: css('--line', '#d5dae2'),
  }
}

function grow<T extends Int32Array | Uint8Array> (array: T, size: number): T {
  if (size <= array.length) return array
  const bigger = new (array.constructor as new (n: number) => T)(Math.max(size, array.length * 2))
  bigger.set(array)
  return bigger
}

function element<K extends keyof HTMLElementTagNameMap> (tag: K, className: string, props: Partial<HTMLElementTagNameMap[K]> = {}): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props)
  node.className = className
  return node
}

/** Numbers the ids of each view's elements. */
let views = 0

export class SeatCanvasView {
  readonly #options: SeatCanvasOptions
  readonly #colours: Palette
  // The DOM: tools above, then the scroll box with the sizer, the canvas and what floats over it.
  readonly #scroller: HTMLDivElement
  readonly #sizer: HTMLDivElement
  readonly #canvas: HTMLCanvasElement
  readonly #ctx: CanvasRenderingContext2D
  readonly #ring: HTMLDivElement
  readonly #tip: HTMLDivElement
  readonly #said: HTMLElement
  readonly #findInput: HTMLInputElement
  readonly #findMessage: HTMLElement
  readonly #resize: ResizeObserver

  // The seats.
  #ids: string[] = []
  #index = new Map<string, number>()
  #rowOf = new Int32Array(1024)
  #column = new Int32Array(1024)
  #code = new Uint8Array(1024)
  #rows: Row[] = []
  #ordered: Row[] = []
  #byLabel = new Map<string, Row>()
  #loose: Row | undefined
  #expiring = new Set<number>()
  /** Seats drawn with the page's own colours or the selection: what a repaint looks at. */
  #decorated = new Set<number>()

  // The layout, in CSS px.
  #pitch: number
  #cols = 1
  #left = 0
  #gutter = 24
  #height = 0
  #viewWidth = 0
  #viewHeight = 0
  #dpr = 1

  // What to do in the next frame.
  #frame = 0
  #relayout = true
  #sortRows = false
  #paintAll = true
  #dirty = new Set<number>()
  #painted = false
  #destroyed = false
  #paintedAt = 0
  #growing: ReturnType<typeof setTimeout> | undefined

  /** The seat under the pointer, and the one the keyboard (or a click, or Go to seat) is on. */
  #hover = -1
  #cursor = -1
  #pointer: { clientX: number, clientY: number } | undefined
  #flashes = new Map<number, HTMLElement>()

  constructor (options: SeatCanvasOptions) {
    this.#options = options
    const { container, interactive } = options
    this.#colours = palette(container)
    this.#pitch = container.classList.contains('compact') ? 6 : 10
    container.classList.add('is-canvas')
    container.dataset.renderer = 'canvas'

    const tools = element('div', 'seat-canvas-tools')
    const form = element('form', 'seat-find')
    this.#findInput = element('input', '', { type: 'search', name: 'seat', autocomplete: 'off', spellcheck: false, placeholder: 'e.g. K210' })
    const label = element('label', 'inline', { textContent: interactive ? 'Go to seat ' : 'Find seat ' })
    label.append(this.#findInput)
    form.append(label, element('button', 'secondary', { type: 'submit', textContent: interactive ? 'Select' : 'Find' }))
    this.#findMessage = element('span', 'seat-find-message hint')
    this.#findMessage.setAttribute('role', 'status')
    const zoom = element('span', 'seat-zoom')
    const smaller = element('button', 'secondary', { type: 'button', textContent: '−', title: 'Smaller seats' })
    const larger = element('button', 'secondary', { type: 'button', textContent: '+', title: 'Larger seats' })
    smaller.setAttribute('aria-label', 'Smaller seats')
    larger.setAttribute('aria-label', 'Larger seats')
    zoom.append(smaller, larger)
    const hint = element('p', 'hint seat-canvas-hint', {
      id: `seat-find-hint-${++views}`,
      textContent: interactive
        ? 'A big map: point at a seat to see which it is, click to select it; or type its id. On the map, the arrow keys move and Enter selects.'
        : 'A big map: point at a seat to see which it is and its state, or type its id.',
    })
    this.#findInput.setAttribute('aria-describedby', hint.id)
    tools.append(form, zoom, this.#findMessage)

    this.#scroller = element('div', 'seat-canvas-scroll')
    this.#sizer = element('div', 'seat-canvas-sizer')
    this.#canvas = element('canvas', 'seat-canvas')
    this.#canvas.tabIndex = 0
    this.#canvas.setAttribute('role', 'application')
    this.#canvas.setAttribute('aria-roledescription', 'seat map')
    this.#canvas.setAttribute('aria-label', interactive
      ? 'Seats: arrow keys move, Enter or Space selects; or use Go to seat'
      : 'Seats: arrow keys move between seats; or use Find seat')
    this.#ctx = this.#canvas.getContext('2d', { alpha: true })!
    this.#ring = element('div', 'seat-ring')
    this.#ring.hidden = true
    this.#tip = element('div', 'seat-tip')
    this.#tip.hidden = true
    this.#tip.setAttribute('aria-hidden', 'true')
    this.#said = element('p', 'sr-only')
    this.#said.setAttribute('aria-live', 'polite')
    this.#said.id = `seat-canvas-said-${views}`
    this.#canvas.setAttribute('aria-describedby', this.#said.id)
    this.#sizer.append(this.#canvas, this.#ring, this.#tip)
    this.#scroller.append(this.#sizer)
    container.replaceChildren(tools, hint, this.#scroller, this.#said)

    this.#scroller.addEventListener('scroll', () => {
      this.#paintAll = true
      this.#schedule()
      // The map moved under a pointer that did not.
      if (this.#pointer) this.#setHover(this.#pointAt(this.#pointer))
    }, { passive: true })
    this.#canvas.addEventListener('pointermove', (e) => this.#onPointer(e))
    this.#canvas.addEventListener('pointerleave', () => {
      this.#pointer = undefined
      this.#setHover(-1)
    })
    this.#canvas.addEventListener('click', (e) => this.#onClick(e))
    this.#canvas.addEventListener('keydown', (e) => this.#onKey(e))
    this.#canvas.addEventListener('focus', () => {
      if (this.#cursor < 0) this.#setCursor(this.#firstInView(), false)
      this.#ring.classList.toggle('is-focused', this.#canvas.matches(':focus-visible'))
      this.#showMarker()
    })
    this.#canvas.addEventListener('blur', () => {
      this.#ring.classList.remove('is-focused')
      this.#showMarker()
    })
    form.addEventListener('submit', (e) => {
      e.preventDefault()
      this.#find(this.#findInput.value)
    })
    smaller.addEventListener('click', () => this.#zoom(-1))
    larger.addEventListener('click', () => this.#zoom(1))
    // A new width (a resize, the page zoom, a phone turned) or a new pixel ratio: lay out again.
    this.#resize = new ResizeObserver(() => {
      this.#relayout = true
      this.#schedule()
    })
    this.#resize.observe(this.#scroller)
    this.#watchPixelRatio()
  }

  /** A window moved to a screen of another pixel ratio is not resized: lay out again for it. */
  #watchPixelRatio (): void {
    matchMedia(`(resolution: ${devicePixelRatio}dppx)`).addEventListener('change', () => {
      if (this.#destroyed) return
      this.#relayout = true
      this.#schedule()
      this.#watchPixelRatio()
    }, { once: true })
  }

  destroy (): void {
    this.#destroyed = true
    cancelAnimationFrame(this.#frame)
    clearTimeout(this.#growing)
    this.#resize.disconnect()
  }

  /** Brings the canvas in line with the whole map (a first read, a read after a reset). */
  render (map: LiveMap, now: number): void {
    // Mostly the seats it has (the end of a progressive read): one pass. Else start over.
    let same = map.seats.size === this.#ids.length
    if (same) {
      for (const seatId of map.seats.keys()) {
        const i = this.#index.get(seatId)
        if (i === undefined) {
          same = false
          break
        }
        this.#refresh(map, i, now)
      }
    }
    if (!same) {
      this.#reset()
      for (const seatId of map.seats.keys()) this.#refresh(map, this.#add(seatId), now)
    }
    this.#options.container.dataset.seats = String(this.#ids.length)
    this.#schedule()
  }

  /** Repaints the seats named (a stream message's changes, a page of the first read). */
  update (map: LiveMap, seatIds: Iterable<string>, now: number): void {
    const before = this.#ids.length
    for (const seatId of seatIds) {
      const i = this.#index.get(seatId) ?? this.#add(seatId)
      this.#refresh(map, i, now)
    }
    if (this.#ids.length === before) return this.#schedule()
    this.#options.container.dataset.seats = String(this.#ids.length)
    this.#scheduleGrowth()
  }

  /** Held seats whose hold may have run out since: called every second or so. */
  tick (map: LiveMap, now: number): void {
    for (const i of [...this.#expiring]) this.#refresh(map, i, now)
    this.#schedule()
  }

  /** The page's selection, hold or bookings changed: repaint the seats they name, now or before. */
  repaint (map: LiveMap, now: number): void {
    const seats = new Set(this.#decorated)
    const { selected, mine, owned } = this.#options.decor
    for (const set of [selected, mine, owned]) {
      for (const seatId of set) {
        const i = this.#index.get(seatId)
        if (i !== undefined) seats.add(i)
      }
    }
    for (const i of seats) this.#refresh(map, i, now)
    this.#schedule()
  }

  /** Seats a refusal named: a ring that pulses for a while. */
  flash (seatIds: string[]): void {
    for (const seatId of seatIds) {
      const i = this.#index.get(seatId)
      if (i === undefined) continue
      this.#flashes.get(i)?.remove()
      const mark = element('div', 'seat-flash')
      this.#flashes.set(i, mark)
      this.#sizer.append(mark)
      this.#place(mark, i)
      setTimeout(() => {
        mark.remove()
        if (this.#flashes.get(i) === mark) this.#flashes.delete(i)
      }, 3000)
    }
  }

  // ---- The seats ----

  #reset (): void {
    this.#ids = []
    this.#index.clear()
    this.#rows = []
    this.#ordered = []
    this.#byLabel.clear()
    this.#loose = undefined
    this.#expiring.clear()
    this.#decorated.clear()
    this.#dirty.clear()
    this.#hover = -1
    this.#cursor = -1
    this.#relayout = true
  }

  #newRow (label: string, loose: boolean): Row {
    const row: Row = { index: this.#rows.length, label, cells: new Int32Array(loose ? 64 : 128), maxColumn: 0, loose, top: 0, lines: 0, height: 0 }
    this.#rows.push(row)
    this.#sortRows = true
    return row
  }

  #add (seatId: string): number {
    const i = this.#ids.length
    this.#ids.push(seatId)
    this.#index.set(seatId, i)
    if (i >= this.#rowOf.length) {
      this.#rowOf = grow(this.#rowOf, i + 1)
      this.#column = grow(this.#column, i + 1)
      this.#code = grow(this.#code, i + 1)
    }
    const match = SEAT_NUMBER.exec(seatId)
    let row: Row | undefined
    let column = 0
    if (match && Number(match[2]) <= MAX_COLUMN) {
      const label = match[1]!
      column = Number(match[2])
      row = this.#byLabel.get(label)
      if (!row) {
        row = this.#newRow(label, false)
        this.#byLabel.set(label, row)
      }
      // A clash (A1 and A01 are both column 1): the second goes with the loose ones.
      if (column < 1 || (column < row.cells.length && row.cells[column])) row = undefined
    }
    if (!row) {
      this.#loose ??= this.#newRow('', true)
      row = this.#loose
      column = row.maxColumn + 1
    }
    row.cells = grow(row.cells, column + 1)
    row.cells[column] = i + 1
    if (column > row.maxColumn) {
      row.maxColumn = column
      this.#relayout = true
    }
    this.#rowOf[i] = row.index
    this.#column[i] = column
    this.#code[i] = NONE
    return i
  }

  /** What seat i shows now; marks it for painting if that changed. */
  #refresh (map: LiveMap, i: number, now: number): void {
    const seatId = this.#ids[i]!
    const seat = map.seats.get(seatId)
    let code = NONE
    if (seat) {
      const status = effectiveStatus(seat, now)
      if (status === 'held' && seat.holdExpiresAt) this.#expiring.add(i)
      else this.#expiring.delete(i)
      // As the grid: the command's own reply is news before the stream's.
      const { owned, mine, selected } = this.#options.decor
      const isOwned = owned.has(seatId)
      const isMine = !isOwned && mine.has(seatId) && status !== 'booked'
      code = isOwned ? OWNED : isMine ? MINE : status === 'available' ? AVAILABLE : status === 'held' ? HELD : BOOKED
      if (selected.has(seatId)) code |= SELECTED
    } else {
      this.#expiring.delete(i)
    }
    if (code & SELECTED || (code & KIND) >= MINE) this.#decorated.add(i)
    else this.#decorated.delete(i)
    if (code === this.#code[i]) return
    this.#code[i] = code
    if (!this.#paintAll) this.#dirty.add(i)
    if (i === this.#hover || i === this.#cursor) this.#showMarker()
  }

  #describe (i: number): string {
    const code = this.#code[i]!
    return `${this.#ids[i]}: ${WORDS[code & KIND] || 'unknown'}${code & SELECTED ? ', selected' : ''}`
  }

  // ---- Layout ----

  #schedule (): void {
    if (this.#frame || this.#destroyed) return
    if (!this.#relayout && !this.#sortRows && !this.#paintAll && !this.#dirty.size) return
    this.#frame = requestAnimationFrame(() => this.#onFrame())
  }

  /** New seats: painted in the next frame if the view was not painted just now, else a little later. */
  #scheduleGrowth (): void {
    const wait = this.#painted ? this.#paintedAt + GROWING_PAINT_MS - performance.now() : 0
    if (wait <= 0) return this.#schedule()
    this.#growing ??= setTimeout(() => {
      this.#growing = undefined
      this.#schedule()
    }, wait)
  }

  #onFrame (): void {
    this.#frame = 0
    if (this.#destroyed) return
    if (this.#relayout || this.#sortRows || devicePixelRatio !== this.#dpr) this.#layout()
    if (this.#paintAll) this.#paintView()
    else if (this.#dirty.size) this.#paintDirty()
  }

  #layout (): void {
    this.#relayout = false
    this.#paintAll = true
    this.#dirty.clear()
    const ctx = this.#ctx
    if (this.#sortRows) {
      this.#sortRows = false
      // As the grid: rows in natural order (A, B, …, Z, AA), the loose seats last.
      this.#ordered = this.#rows.filter((row) => !row.loose)
        .sort((a, b) => a.label.length - b.label.length || collator.compare(a.label, b.label))
      if (this.#loose) this.#ordered.push(this.#loose)
      ctx.font = this.#labelFont(1)
      let widest = 0
      for (const row of this.#ordered) widest = Math.max(widest, ctx.measureText(row.loose ? 'other' : row.label).width)
      this.#gutter = Math.min(140, Math.ceil(widest) + 14)
    }
    const width = this.#scroller.clientWidth
    const p = this.#pitch
    const fit = Math.max(1, Math.floor((width - 2 * PAD - this.#gutter) / p))
    let widest = 1
    for (const row of this.#ordered) widest = Math.max(widest, row.maxColumn)
    this.#cols = Math.min(fit, widest)
    this.#left = Math.max(PAD, Math.floor((width - this.#gutter - this.#cols * p) / 2))
    const gap = Math.max(4, Math.round(p * 0.8))
    let y = PAD
    for (const row of this.#ordered) {
      row.top = y
      row.lines = Math.max(1, Math.ceil(row.maxColumn / this.#cols))
      row.height = Math.max(row.lines * p, LABEL_HEIGHT)
      y += row.height + gap
    }
    this.#height = this.#ordered.length ? y - gap + PAD : 0
    this.#sizer.style.height = `${this.#height}px`
    this.#dpr = devicePixelRatio || 1
    this.#viewWidth = width
    this.#viewHeight = Math.min(this.#height, this.#scroller.clientHeight)
    const canvas = this.#canvas
    canvas.style.width = `${this.#viewWidth}px`
    canvas.style.height = `${this.#viewHeight}px`
    const w = Math.round(this.#viewWidth * this.#dpr)
    const h = Math.round(this.#viewHeight * this.#dpr)
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w
      canvas.height = h
    }
    this.#options.container.dataset.pitch = String(p)
    this.#showMarker()
    for (const [i, mark] of this.#flashes) this.#place(mark, i)
  }

  #labelFont (scale: number): string {
    return `600 ${Math.round(12 * scale)}px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif`
  }

  /** Seat i's cell in the map, CSS px: its left, top. */
  #where (i: number): [number, number] {
    const row = this.#rows[this.#rowOf[i]!]!
    const c = this.#column[i]! - 1
    return [this.#left + this.#gutter + (c % this.#cols) * this.#pitch, row.top + Math.floor(c / this.#cols) * this.#pitch]
  }

  /** The seat at a point of the map (CSS px), or -1. */
  #seatAt (x: number, y: number): number {
    const rows = this.#ordered
    let lo = 0
    let hi = rows.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (rows[mid]!.top <= y) lo = mid
      else hi = mid - 1
    }
    const row = rows[lo]
    if (!row || y < row.top || y >= row.top + row.lines * this.#pitch) return -1
    const c = Math.floor((x - this.#left - this.#gutter) / this.#pitch)
    if (c < 0 || c >= this.#cols) return -1
    const column = Math.floor((y - row.top) / this.#pitch) * this.#cols + c + 1
    return column <= row.maxColumn ? row.cells[column]! - 1 : -1
  }

  /** The first row (in order) whose end is below `y`. */
  #firstRowFrom (y: number): number {
    const rows = this.#ordered
    let lo = 0
    let hi = rows.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (rows[mid]!.top + rows[mid]!.height <= y) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  // ---- Painting ----

  /** One cell, in device pixels; the slot (cell and gap) is cleared first when `clear`. */
  #drawCell (code: number, x: number, y: number, clear: boolean): void {
    const ctx = this.#ctx
    const d = this.#dpr
    const p = this.#pitch
    const x0 = Math.round(x * d)
    const y0 = Math.round(y * d)
    const x1 = Math.round((x + p) * d)
    const y1 = Math.round((y + p) * d)
    if (clear) ctx.clearRect(x0, y0, x1 - x0, y1 - y0)
    if (code === NONE) return
    const gap = Math.max(1, Math.round((p >= 8 ? 2 : 1) * d))
    let cx = x0 + (gap >> 1)
    let cy = y0 + (gap >> 1)
    let size = Math.min(x1 - x0, y1 - y0) - gap
    const c = this.#colours
    if (code & SELECTED) {
      // The legend's dark outline, drawn inside the slot.
      ctx.fillStyle = c.ink
      ctx.fillRect(x0, y0, x1 - x0, y1 - y0)
      const ring = Math.max(1, Math.round((p >= 8 ? 2 : 1) * d))
      cx = x0 + ring
      cy = y0 + ring
      size = Math.min(x1 - x0, y1 - y0) - 2 * ring
    }
    if (size <= 0) return
    const kind = code & KIND
    ctx.fillStyle = kind === AVAILABLE ? c.available : kind === HELD ? c.held : kind === BOOKED ? c.booked : kind === MINE ? c.mine : c.owned
    ctx.fillRect(cx, cy, size, size)
    if (size < 5) {
      if (kind === HELD) {
        ctx.fillStyle = c.heldStripe
        ctx.fillRect(cx, cy, size, size)
      }
      return
    }
    if (kind === HELD) {
      // A stripe from corner to corner, as the legend's stripes.
      ctx.fillStyle = c.heldStripe
      ctx.beginPath()
      ctx.moveTo(cx + size * 0.5, cy)
      ctx.lineTo(cx + size, cy)
      ctx.lineTo(cx + size, cy + size * 0.5)
      ctx.lineTo(cx + size * 0.5, cy + size)
      ctx.lineTo(cx, cy + size)
      ctx.lineTo(cx, cy + size * 0.5)
      ctx.closePath()
      ctx.fill()
    } else if (kind === BOOKED) {
      // Crossed out, as the legend's booked seats.
      ctx.strokeStyle = 'rgb(255 255 255 / 0.85)'
      ctx.lineWidth = Math.max(1, d * (size >= 10 * d ? 1.5 : 1))
      ctx.beginPath()
      ctx.moveTo(cx, cy + size)
      ctx.lineTo(cx + size, cy)
      ctx.stroke()
    } else if (kind === MINE) {
      // The legend's white inner edge.
      const w = Math.max(1, Math.round(d))
      ctx.strokeStyle = '#fff'
      ctx.lineWidth = w
      ctx.strokeRect(cx + w * 1.5, cy + w * 1.5, size - w * 3, size - w * 3)
    }
  }

  /** Everything in view: the cells and the row labels. */
  #paintView (): void {
    this.#paintAll = false
    this.#paintedAt = performance.now()
    this.#dirty.clear()
    const ctx = this.#ctx
    const d = this.#dpr
    const top = this.#scroller.scrollTop
    const bottom = top + this.#viewHeight
    const p = this.#pitch
    ctx.setTransform(1, 0, 0, 1, 0, 0)
    ctx.clearRect(0, 0, this.#canvas.width, this.#canvas.height)
    let drawn = 0
    const rows = this.#ordered
    const labels: Array<[Row, number]> = []
    for (let r = this.#firstRowFrom(top); r < rows.length; r++) {
      const row = rows[r]!
      if (row.top >= bottom) break
      labels.push([row, r])
      const first = Math.max(0, Math.floor((top - row.top) / p))
      const last = Math.min(row.lines - 1, Math.floor((bottom - row.top) / p))
      for (let line = first; line <= last; line++) {
        const y = row.top + line * p - top
        const base = line * this.#cols
        const end = Math.min(this.#cols, row.maxColumn - base)
        for (let c = 0; c < end; c++) {
          const i = row.cells[base + c + 1]! - 1
          if (i < 0) continue
          this.#drawCell(this.#code[i]!, this.#left + this.#gutter + c * p, y, false)
          drawn++
        }
      }
    }
    // Row labels: each where its row starts, or kept in view while its row is.
    ctx.font = this.#labelFont(d)
    ctx.textAlign = 'right'
    ctx.textBaseline = 'middle'
    for (const [row] of labels) {
      const mid = Math.min(Math.max(top + LABEL_HEIGHT / 2 + 2, row.top + LABEL_HEIGHT / 2), row.top + row.height - LABEL_HEIGHT / 2)
      ctx.fillStyle = this.#colours.line
      const barX = Math.round((this.#left + this.#gutter - 5) * d)
      ctx.fillRect(barX, Math.round((row.top - top) * d), Math.max(1, Math.round(2 * d)), Math.round(row.height * d))
      ctx.fillStyle = this.#colours.muted
      ctx.fillText(row.loose ? 'other' : row.label, Math.round((this.#left + this.#gutter - 9) * d), Math.round((mid - top) * d))
    }
    if (drawn && !this.#painted) {
      this.#painted = true
      this.#options.onFirstPaint?.()
    }
    this.#options.container.dataset.painted = String(drawn)
  }

  /** Only the cells that changed, when they are in view. */
  #paintDirty (): void {
    const top = this.#scroller.scrollTop
    const p = this.#pitch
    this.#ctx.setTransform(1, 0, 0, 1, 0, 0)
    for (const i of this.#dirty) {
      const [x, y] = this.#where(i)
      if (y + p <= top || y >= top + this.#viewHeight) continue
      this.#drawCell(this.#code[i]!, x, y - top, true)
    }
    this.#dirty.clear()
  }

  // ---- The ring, the tip and the keyboard ----

  #place (node: HTMLElement, i: number): void {
    const [x, y] = this.#where(i)
    node.style.transform = `translate(${x}px, ${y}px)`
    node.style.width = node.style.height = `${this.#pitch}px`
  }

  /** The ring and the tip on the seat pointed at, else on the keyboard's. */
  #showMarker (): void {
    const i = this.#hover >= 0 ? this.#hover : this.#cursor
    const show = i >= 0 && i < this.#ids.length && (this.#hover >= 0 || this.#cursor >= 0)
    this.#ring.hidden = !show
    this.#tip.hidden = !show
    if (!show) {
      delete this.#ring.dataset.seat
      return
    }
    this.#place(this.#ring, i)
    this.#ring.dataset.seat = this.#ids[i]!
    this.#ring.dataset.state = WORDS[this.#code[i]! & KIND]
    const text = this.#describe(i)
    if (this.#tip.textContent !== text) this.#tip.textContent = text
    const [x, y] = this.#where(i)
    const width = this.#tip.offsetWidth
    const left = Math.min(Math.max(x + this.#pitch / 2 - width / 2, 2), this.#viewWidth - width - 2)
    const above = y - this.#scroller.scrollTop > 30
    this.#tip.style.transform = `translate(${Math.round(left)}px, ${above ? y - 6 : y + this.#pitch + 6}px)${above ? ' translateY(-100%)' : ''}`
  }

  #setHover (i: number): void {
    if (i === this.#hover) return
    this.#hover = i
    this.#canvas.style.cursor = i >= 0 && this.#options.interactive ? 'pointer' : ''
    this.#showMarker()
  }

  #setCursor (i: number, say: boolean, center = false): void {
    if (i < 0) return
    this.#cursor = i
    this.#scrollTo(i, center)
    this.#showMarker()
    if (say) this.#said.textContent = `Seat ${this.#describe(i).replace(':', ',')}`
  }

  #scrollTo (i: number, center: boolean): void {
    const [, y] = this.#where(i)
    const top = this.#scroller.scrollTop
    const view = this.#viewHeight || this.#scroller.clientHeight
    const margin = Math.min(40, view / 4)
    if (center && (y < top || y + this.#pitch > top + view)) this.#scroller.scrollTop = y - view / 2
    else if (y < top + margin) this.#scroller.scrollTop = y - margin
    else if (y + this.#pitch > top + view - margin) this.#scroller.scrollTop = y + this.#pitch - view + margin
  }

  #pointAt (at: { clientX: number, clientY: number }): number {
    const box = this.#canvas.getBoundingClientRect()
    return this.#seatAt(at.clientX - box.left, at.clientY - box.top + this.#scroller.scrollTop)
  }

  #onPointer (e: PointerEvent): void {
    this.#pointer = { clientX: e.clientX, clientY: e.clientY }
    this.#setHover(this.#pointAt(e))
  }

  #onClick (e: MouseEvent): void {
    const i = this.#pointAt(e)
    if (i < 0) return
    this.#setCursor(i, false)
    if (this.#options.interactive) this.#options.onActivate?.(this.#ids[i]!)
  }

  #firstInView (): number {
    const top = this.#scroller.scrollTop
    for (let r = this.#firstRowFrom(top); r < this.#ordered.length; r++) {
      const row = this.#ordered[r]!
      for (let column = 1; column <= row.maxColumn; column++) {
        const i = row.cells[column]! - 1
        if (i >= 0) return i
      }
    }
    return -1
  }

  /** The seat in a row's line nearest to position c (0-based across the line), or -1. */
  #nearestInLine (row: Row, line: number, c: number): number {
    const base = line * this.#cols
    for (let step = 0; step < this.#cols; step++) {
      for (const at of step ? [c - step, c + step] : [c]) {
        if (at < 0 || at >= this.#cols) continue
        const column = base + at + 1
        if (column <= row.maxColumn && row.cells[column]) return row.cells[column]! - 1
      }
    }
    return -1
  }

  /** The seat a line up (-1) or down (+1) from seat i, skipping empty lines and into other rows. */
  #vertical (i: number, direction: number): number {
    const rows = this.#ordered
    const home = this.#rows[this.#rowOf[i]!]!
    let r = rows.indexOf(home)
    const column = this.#column[i]! - 1
    const c = column % this.#cols
    let line = Math.floor(column / this.#cols) + direction
    while (r >= 0 && r < rows.length) {
      const row = rows[r]!
      while (line >= 0 && line < row.lines) {
        const found = this.#nearestInLine(row, line, c)
        if (found >= 0) return found
        line += direction
      }
      r += direction
      if (r >= 0 && r < rows.length) line = direction > 0 ? 0 : rows[r]!.lines - 1
    }
    return -1
  }

  /** The next seat along its row: -1 left, +1 right; Home and End go to the row's ends. */
  #along (i: number, direction: number, far = false): number {
    const row = this.#rows[this.#rowOf[i]!]!
    if (far) {
      const from = direction < 0 ? 1 : row.maxColumn
      for (let column = from; column >= 1 && column <= row.maxColumn; column -= direction) {
        if (row.cells[column]) return row.cells[column]! - 1
      }
      return -1
    }
    for (let column = this.#column[i]! + direction; column >= 1 && column <= row.maxColumn; column += direction) {
      if (row.cells[column]) return row.cells[column]! - 1
    }
    return -1
  }

  #onKey (e: KeyboardEvent): void {
    if (e.altKey || e.ctrlKey || e.metaKey) return
    const i = this.#cursor >= 0 ? this.#cursor : this.#firstInView()
    if (i < 0) return
    if ((e.key === 'Enter' || e.key === ' ') && this.#options.interactive) {
      e.preventDefault()
      this.#setCursor(i, false)
      this.#options.onActivate?.(this.#ids[i]!)
      return
    }
    const lines = Math.max(1, Math.floor(this.#viewHeight / this.#pitch) - 2)
    const page = (direction: number) => {
      let at = i
      for (let n = 0; n < lines; n++) {
        const next = this.#vertical(at, direction)
        if (next < 0) break
        at = next
      }
      return at
    }
    const moves: Record<string, () => number> = {
      ArrowLeft: () => this.#along(i, -1),
      ArrowRight: () => this.#along(i, 1),
      ArrowUp: () => this.#vertical(i, -1),
      ArrowDown: () => this.#vertical(i, 1),
      Home: () => this.#along(i, -1, true),
      End: () => this.#along(i, 1, true),
      PageUp: () => page(-1),
      PageDown: () => page(1),
    }
    const move = moves[e.key]
    if (!move) return
    e.preventDefault()
    this.#ring.classList.add('is-focused')
    const next = move()
    this.#setCursor(next >= 0 ? next : i, true)
  }

  /** Go to seat: by its id as typed, else whatever its case. Selects it for a buyer. */
  #find (typed: string): void {
    const wanted = typed.trim()
    if (!wanted) return
    let i = this.#index.get(wanted) ?? this.#index.get(wanted.toUpperCase())
    if (i === undefined) {
      const lower = wanted.toLowerCase()
      i = this.#ids.findIndex((id) => id.toLowerCase() === lower)
    }
    if (i === undefined || i < 0) {
      this.#findMessage.textContent = `No seat “${wanted}” in this event.`
      return
    }
    this.#findMessage.textContent = ''
    const seatId = this.#ids[i]!
    this.#setCursor(i, true, true)
    if (this.#options.interactive && !this.#options.decor.selected.has(seatId)) this.#options.onActivate?.(seatId)
    this.#findInput.select()
  }

  #zoom (step: number): void {
    const at = PITCHES.indexOf(this.#pitch)
    const next = PITCHES[Math.min(PITCHES.length - 1, Math.max(0, (at < 0 ? 3 : at) + step))]!
    if (next === this.#pitch) return
    // Keep the seat in hand (or the first in view) where it was in the box.
    const anchor = this.#cursor >= 0 ? this.#cursor : this.#firstInView()
    const offset = anchor >= 0 ? this.#where(anchor)[1] - this.#scroller.scrollTop : 0
    this.#pitch = next
    this.#layout()
    if (anchor >= 0) this.#scroller.scrollTop = this.#where(anchor)[1] - offset
    this.#paintView()
    if (this.#pointer) this.#setHover(this.#pointAt(this.#pointer))
  }
}
