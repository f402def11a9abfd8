/**
 * A sale's times and limits in words, shared by both pages. No DOM: the pages put the words
 * where they belong. Times are the reader's own (the browser's time zone and language).
 */
import type { Sale } from './api.ts'

/** A moment, short: "Mon, Dec 7, 10:00 AM"; seconds only when it has some, the year only when not this one. */
export function formatMoment (iso: string): string {
  const date = new Date(iso)
  return date.toLocaleString(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    ...(date.getFullYear() === new Date().getFullYear() ? {} : { year: 'numeric' }),
    hour: '2-digit',
    minute: '2-digit',
    ...(date.getSeconds() ? { second: '2-digit' } : {}),
  })
}

/** A wait in at most two units: "7 s", "4 min 12 s", "2 h 5 min", "3 days 4 h"; never negative. */
export function formatDuration (ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor(s / 60) % 60} min`
  const days = Math.floor(s / 86_400)
  return `${days} day${days > 1 ? 's' : ''} ${Math.floor(s / 3600) % 24} h`
}

export function ticketsText (n: number): string {
  return `${n} ticket${n === 1 ? '' : 's'}`
}

/** "Up to 4 tickets per buyer", or undefined without a limit. */
export function limitText (sale: Sale): string | undefined {
  return sale.maxSeatsPerBuyer === null ? undefined : `Up to ${ticketsText(sale.maxSeatsPerBuyer)} per buyer`
}

/** Before the opening, by the server's clock (`now`): holds and bookings would be refused. */
export function notOpenYet (sale: Sale, now: number): boolean {
  return sale.status === 'scheduled' && Date.parse(sale.opensAt) > now
}

/**
 * When the status a read gave may have changed by the clock alone (the opening, the closing):
 * the moment to read the event again, or undefined.
 */
export function nextChange (sale: Sale): number | undefined {
  if (sale.status === 'scheduled') return Date.parse(sale.opensAt)
  if (sale.closesAt && (sale.status === 'open' || sale.status === 'paused')) return Date.parse(sale.closesAt)
  return undefined
}
