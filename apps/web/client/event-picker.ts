/** The event chooser both pages share, and the `#event=<id>` that says which one is open. */
import type { ApiClient, EventSummary } from './api.ts'
import { el } from './dom.ts'

const EVENT_IN_HASH = /(?:^#|&)event=([0-9a-fA-F-]{36})/

export function eventFromHash (): string | undefined {
  return EVENT_IN_HASH.exec(location.hash)?.[1]
}

export function setEventInHash (eventId: string): void {
  history.replaceState(null, '', `${location.pathname}${location.search}#event=${eventId}`)
}

export function eventLabel (event: EventSummary): string {
  const when = event.startsAt ? ` (${new Date(event.startsAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })})` : ''
  return `${event.name}${when}`
}

/**
 * Fills a select with the newest events (`mine`: the caller's own), and the wanted one if it is
 * not among them (older, or someone else's), selects `wanted` or the newest, and returns the
 * events by id.
 */
export async function fillEventSelect (api: ApiClient, select: HTMLSelectElement, wanted?: string, options: { mine?: boolean } = {}): Promise<Map<string, EventSummary>> {
  const page = await api.events(null, options)
  const events = new Map(page.items.map((e) => [e.id, e]))
  if (wanted && !events.has(wanted)) {
    const event = await api.event(wanted).catch(() => undefined)
    if (event) events.set(event.id, event)
  }
  const sorted = [...events.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt))
  select.replaceChildren(...sorted.map((e) => el('option', { value: e.id, textContent: eventLabel(e) })))
  if (!sorted.length) select.append(el('option', { value: '', textContent: 'No events yet', disabled: true }))
  select.value = wanted && events.has(wanted) ? wanted : (sorted[0]?.id ?? '')
  return events
}
