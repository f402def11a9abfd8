/**
 * The buyer's page on an event with a waiting room: the queue panel above the map. Not joined:
 * a "Join the queue" button and what joining means. Joined: the ticket followed live (its
 * stream), in words: waiting for the opening, then the place, the people ahead, the estimated
 * wait and the seats left; admitted: the time left to shop, and the map (the gate opens);
 * expired: the offer to join again, at the back; sold out and closed: said plainly, and nothing
 * more to wait for.
 *
 * The ticket's id is kept per buyer and event in localStorage, so a reload resumes: the page
 * reads the ticket (GET /v1/events/:id/queue) and, should that fail, follows the kept id.
 */
import { ApiError, type ApiClient, describeProblem, type Sale, type Ticket } from './api.ts'
import type { PageContext } from './context.ts'
import { byId, formatCountdown, say } from './dom.ts'
import { formatMoment } from './sale.ts'
import { type FollowMode, followTicket, isFinal, roomWords, ticketExplanation, ticketHeadline, type TicketFollow, waitWords } from './waiting-room.ts'

const FOLLOW_TEXT: Record<FollowMode, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  ended: '',
  lost: 'Connection lost: checking your place…',
}
/** A stream refused for good: read the ticket again after this long, longer each time. */
const LOST_RETRY_MS = 3000
const LOST_RETRY_MAX_MS = 60_000

export interface QueuePanelOptions {
  api: ApiClient
  ctx: PageContext
  /** The server's time. */
  now: () => number
  /** The map and the buying controls: open (admitted, or no waiting room) or shut. */
  onGate: (open: boolean) => void
  /** A refusal says the sale is not what the page thinks: read it again. */
  onSaleStale: () => void
  /** The ticket's status changed (admitted, ran out, sold out…): what the page said before may be stale. */
  onStatus?: (ticket: Ticket) => void
}

export class QueuePanel {
  readonly #o: QueuePanelOptions
  #eventId: string | undefined
  #sale: Sale | undefined
  /** Places neither booked nor held, from the last read of the event. */
  #places: number | undefined
  #ticket: Ticket | undefined
  #follow: { ticketId: string, follow: TicketFollow } | undefined
  #joining = false
  /** Moves on with each event and each sign-in: a read begun before answers for nobody now. */
  #epoch = 0
  #lostRetryMs = LOST_RETRY_MS
  #lostTimer: ReturnType<typeof setTimeout> | undefined
  #gate: boolean | undefined

  constructor (options: QueuePanelOptions) {
    this.#o = options
    byId('queue-join').addEventListener('click', () => { this.#join() })
  }

  /** Whether the map and the buying controls are open now. */
  get gateOpen (): boolean {
    if (!this.#sale?.waitingRoom) return true
    const t = this.#ticket
    return t?.status === 'admitted' && Date.parse(t.admittedUntil ?? '') > this.#o.now()
  }

  get hasRoom (): boolean {
    return Boolean(this.#sale?.waitingRoom)
  }

  /** Another event: forget the last one's ticket. */
  open (eventId: string, sale: Sale | undefined): void {
    this.#stop()
    this.#epoch++
    this.#eventId = eventId
    this.#sale = sale
    this.#places = undefined
    this.#ticket = undefined
    this.#gate = undefined
    say(byId('queue-message'), '')
    if (sale?.waitingRoom) this.#load()
    this.#render()
  }

  /** The sale as last read (the organiser may add, change or remove the room at any time). */
  setSale (sale: Sale | undefined, places?: number): void {
    const had = this.hasRoom
    this.#sale = sale
    if (places !== undefined) this.#places = places
    if (!had && this.hasRoom) this.#load()
    if (had && !this.hasRoom) {
      this.#stop()
      this.#epoch++
      this.#ticket = undefined
    }
    this.#render()
  }

  /** Someone else signed in, or out: their ticket, not the last one's. */
  sessionChanged (): void {
    this.#stop()
    this.#epoch++
    this.#ticket = undefined
    if (this.hasRoom) this.#load()
    this.#render()
  }

  /** A command was refused for want of an admission: the ticket is not what the page thinks. */
  notAdmitted (): void {
    if (this.hasRoom) this.#load()
  }

  /** Each tick: the time left to shop, and the end of the admission when it comes. */
  tick (): void {
    if (!this.hasRoom) return
    const t = this.#ticket
    if (t?.status === 'admitted' && Date.parse(t.admittedUntil ?? '') <= this.#o.now()) {
      // The server says `expired` within a second, and closes the stream: no need to wait for it.
      this.#stop()
      this.#ticket = { ...t, status: 'expired' }
      this.#o.onStatus?.(this.#ticket)
    }
    this.#render()
  }

  #key (eventId: string): string | undefined {
    const userId = this.#o.ctx.session()?.userId
    return userId ? `seatline.queue.${userId}.${eventId}` : undefined
  }

  #remember (ticket: Ticket): void {
    const key = this.#key(ticket.eventId)
    if (key) localStorage.setItem(key, ticket.ticketId)
  }

  #forget (eventId: string): void {
    const key = this.#key(eventId)
    if (key) localStorage.removeItem(key)
  }

  /** The buyer's ticket as the server reads it now; or, that failing, the kept one's stream. */
  async #load (): Promise<void> {
    const id = this.#eventId
    const epoch = this.#epoch
    if (!id) return
    if (!this.#o.ctx.session()) {
      this.#setTicket(undefined)
      return
    }
    try {
      const ticket = await this.#o.api.queueTicket(id)
      if (epoch === this.#epoch) this.#setTicket(ticket)
    } catch (error) {
      if (epoch !== this.#epoch) return
      const code = error instanceof ApiError ? error.problem.code : undefined
      if (code === 'QUEUE_TICKET_NOT_FOUND') {
        this.#forget(id)
        this.#setTicket(undefined)
        return
      }
      if (code === 'NO_WAITING_ROOM') {
        this.#o.onSaleStale()
        return
      }
      if (code === 'UNAUTHENTICATED') return
      // The read failed (the network, a busy server): the stream needs no token, only the id.
      const kept = this.#key(id) && localStorage.getItem(this.#key(id)!)
      if (kept) this.#watch(kept)
      else this.#retryLater()
      say(byId('queue-message'), `Could not read your place: ${describe(error)}. Trying again…`, 'error')
    }
  }

  #setTicket (ticket: Ticket | undefined): void {
    const previous = this.#ticket
    this.#ticket = ticket
    if (ticket) {
      this.#remember(ticket)
      if (isFinal(ticket)) this.#stop()
      else this.#watch(ticket.ticketId)
    } else {
      this.#stop()
    }
    this.#announce(previous, ticket)
    this.#render()
  }

  /** Follows the ticket's stream, unless it is followed already. */
  #watch (ticketId: string): void {
    if (this.#follow?.ticketId === ticketId) return
    this.#stop()
    const follow = followTicket(ticketId, {
      onTicket: (ticket) => {
        if (this.#follow?.follow !== follow || ticket.eventId !== this.#eventId) return
        this.#lostRetryMs = LOST_RETRY_MS
        if (byId('queue-message').dataset.kind === 'error') say(byId('queue-message'), '')
        const previous = this.#ticket
        this.#ticket = ticket
        this.#remember(ticket)
        this.#announce(previous, ticket)
        this.#render()
      },
      onMode: (mode) => {
        if (this.#follow?.follow !== follow) return
        this.#showMode(mode)
        if (mode === 'ended') this.#follow = undefined
        if (mode === 'lost') {
          this.#follow = undefined
          this.#retryLater()
        }
      },
    })
    this.#follow = { ticketId, follow }
    this.#showMode('connecting')
  }

  #showMode (mode: FollowMode): void {
    const live = byId('queue-live')
    live.textContent = FOLLOW_TEXT[mode]
    live.dataset.mode = mode
  }

  /** The stream was refused for good: read the ticket again later, backing off, never in a loop. */
  #retryLater (): void {
    clearTimeout(this.#lostTimer)
    this.#lostTimer = setTimeout(() => {
      this.#lostTimer = undefined
      this.#load()
    }, this.#lostRetryMs)
    this.#lostRetryMs = Math.min(LOST_RETRY_MAX_MS, this.#lostRetryMs * 2)
  }

  #stop (): void {
    this.#follow?.follow.close()
    this.#follow = undefined
    clearTimeout(this.#lostTimer)
    this.#lostTimer = undefined
    const live = byId('queue-live')
    live.textContent = ''
    delete live.dataset.mode
  }

  /** A change worth a sentence of its own in the page's messages. */
  #announce (previous: Ticket | undefined, next: Ticket | undefined): void {
    if (!next || previous?.ticketId !== next.ticketId || previous.status === next.status) return
    this.#o.onStatus?.(next)
    const box = byId('queue-message')
    if (next.status === 'admitted') say(box, `You are in: you have ${formatCountdown(Date.parse(next.admittedUntil ?? '') - this.#o.now())} to choose and hold your seats.`, 'success')
    else say(box, '')
  }

  async #join (): Promise<void> {
    const id = this.#eventId
    const epoch = this.#epoch
    if (!id || this.#joining || !this.#o.ctx.requireSession('Sign in to join the queue.')) return
    this.#joining = true
    const box = byId('queue-message')
    say(box, 'Joining the queue…')
    this.#render()
    try {
      const ticket = await this.#o.api.joinQueue(id)
      if (epoch !== this.#epoch) return
      say(box, ticket.position ? `You joined the queue at position ${ticket.position.toLocaleString('en')}.` : 'You joined the queue.', 'success')
      this.#setTicket(ticket)
    } catch (error) {
      if (epoch !== this.#epoch) return
      const code = error instanceof ApiError ? error.problem.code : undefined
      if (code === 'SOLD_OUT' && this.#sale) this.#sale = { ...this.#sale, status: 'sold-out' }
      if (code === 'SOLD_OUT' || code === 'SALE_CLOSED' || code === 'NO_WAITING_ROOM') this.#o.onSaleStale()
      say(box, code === 'SOLD_OUT' ? 'Sold out: nothing is left, so there is no queue to join.' : `Not joined: ${describe(error)}.`, 'error')
    } finally {
      this.#joining = false
      this.#render()
    }
  }

  #render (): void {
    const panel = byId('queue')
    const sale = this.#sale
    const room = sale?.waitingRoom
    panel.hidden = !room
    this.#gateChanged()
    if (!room || !sale) return
    const now = this.#o.now()
    const t = this.#ticket
    const signedIn = Boolean(this.#o.ctx.session())
    const saleOver = sale.status === 'sold-out' || sale.status === 'closed'
    const state = t?.status ?? (sale.status === 'sold-out' ? 'sold-out' : sale.status === 'closed' ? 'closed' : 'none')
    panel.dataset.status = state

    let headline: string
    let note: string
    if (t) {
      headline = ticketHeadline(t, now)
      note = ticketExplanation(t, now)
    } else if (saleOver) {
      headline = sale.status === 'sold-out' ? 'Sold out' : 'The sale has closed'
      note = sale.status === 'sold-out' ? 'Every seat has been sold or is taken. Nothing is left, so there is no need to wait.' : 'Nothing more can be bought.'
    } else if (Date.parse(sale.opensAt) > now) {
      headline = 'This sale has a waiting room'
      note = `Join the queue now or any time before the opening at ${formatMoment(sale.opensAt)}: everyone who joins before the opening gets a random place, so there is no need to rush. Then buyers are let in ${roomWords(room)}.`
    } else {
      headline = 'This sale has a waiting room'
      note = `Join the queue to buy: you take the next place in line, and buyers are let in ${roomWords(room)}.`
    }
    if (t?.status === 'expired' && saleOver) note = `Your turn is over, and ${sale.status === 'sold-out' ? 'the sale is sold out' : 'the sale has closed'}: nothing more can be bought. Seats you held in time can still be confirmed until the hold ends.`
    if (t?.status === 'waiting' && sale.status === 'paused') note = `The organiser has paused the sale, and admissions with it: you keep your place. ${note}`
    if (!t && !signedIn && !saleOver) note = `${note} Sign in to join.`
    setText(byId('queue-headline'), headline)
    setText(byId('queue-note'), note)

    // The line: the place once the sale has opened; the seats left whenever they are known.
    const waiting = t?.status === 'waiting'
    const placed = waiting && t.position !== undefined
    byId('queue-position-fact').hidden = !placed
    byId('queue-ahead-fact').hidden = !placed
    byId('queue-wait-fact').hidden = !placed || t.estimatedWaitSeconds === undefined
    if (placed) {
      setText(byId('queue-position'), t.position!.toLocaleString('en'))
      setText(byId('queue-ahead'), (t.ahead ?? t.position! - 1).toLocaleString('en'))
      setText(byId('queue-wait'), sale.status === 'paused' ? 'paused' : t.estimatedWaitSeconds === undefined ? '' : waitWords(t.estimatedWaitSeconds))
    }
    const places = t ? t.seatsAvailable : this.#places
    const showSeats = places !== undefined && (state === 'waiting' || state === 'none')
    byId('queue-seats-fact').hidden = !showSeats
    if (showSeats) setText(byId('queue-seats'), places.toLocaleString('en'))
    byId('queue-facts').hidden = !placed && !showSeats

    // Admitted: the time left to shop.
    const shopping = t?.status === 'admitted'
    byId('queue-shop').hidden = !shopping
    if (shopping) {
      const left = Date.parse(t.admittedUntil ?? '') - now
      setText(byId('queue-timer'), formatCountdown(left))
      byId('queue-shop').classList.toggle('urgent', left < 15_000)
    }

    // Join: not yet in the line, or again after the time ran out; never once it is over.
    const join = byId<HTMLButtonElement>('queue-join')
    const canJoin = !saleOver && (!t || t.status === 'expired')
    join.hidden = !canJoin
    join.disabled = this.#joining
    join.textContent = t?.status === 'expired' ? 'Join the queue again' : 'Join the queue'
  }

  #gateChanged (): void {
    const open = this.gateOpen
    if (open === this.#gate) return
    this.#gate = open
    this.#o.onGate(open)
  }
}

function setText (el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text
}

function describe (error: unknown): string {
  return error instanceof ApiError ? describeProblem(error.problem) : (error as Error).message
}
