/**
 * The organiser's page: create an event from rows × seats (A..J × 1..20 → A1..J20) and
 * general-admission sections, then watch sold, held and available move during the sale.
 */
import { ApiError, clockOffset, describeProblem, type EventSummary } from './api.ts'
import type { PageContext } from './context.ts'
import { byId, el, say } from './dom.ts'
import { eventFromHash, fillEventSelect, setEventInHash } from './event-picker.ts'
import { planSeats } from './layout.ts'
import { connectLive, type LiveEvent, showLiveMode } from './live.ts'
import type { MapUpdate } from './live-map.ts'
import { SeatMapView } from './seat-map.ts'

const now = () => Date.now() + clockOffset

interface SectionDraft { name: string, capacity: number, priceCents?: number }

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

  function updatePreview (): void {
    const plan = seatPlan()
    const sections = sectionDrafts()
    if ('error' in plan) return say(preview, plan.error, 'error')
    if (!Array.isArray(sections)) return say(preview, sections.error, 'error')
    const seats = plan.seatIds.length
      ? `${plan.seatIds.length.toLocaleString('en')} seats, ${plan.seatIds[0]} … ${plan.seatIds.at(-1)}`
      : 'no reserved seats'
    const ga = sections.length ? `; ${sections.length} general-admission section${sections.length > 1 ? 's' : ''} (${sections.reduce((n, s) => n + s.capacity, 0).toLocaleString('en')} places)` : ''
    say(preview, `${seats}${ga}.`)
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
  byId('ev-add-section').addEventListener('click', addSection)

  form.addEventListener('submit', (e) => {
    e.preventDefault()
    if (!ctx.requireSession('Sign in to create events.')) return
    const plan = seatPlan()
    const sections = sectionDrafts()
    if ('error' in plan) return say(formMessage, plan.error, 'error')
    if (!Array.isArray(sections)) return say(formMessage, sections.error, 'error')
    if (!plan.seatIds.length && !sections.length) return say(formMessage, 'An event needs seats or a general-admission section.', 'error')
    const startsAt = byId<HTMLInputElement>('ev-starts').value
    const body = {
      name: byId<HTMLInputElement>('ev-name').value.trim(),
      ...(startsAt ? { startsAt: new Date(startsAt).toISOString() } : {}),
      ...(plan.seatIds.length ? { seats: plan.seatIds } : {}),
      ...(sections.length ? { sections } : {}),
    }
    const button = byId<HTMLButtonElement>('ev-create')
    button.disabled = true
    say(formMessage, 'Creating…')
    api.createEvent(body).then(async (event) => {
      events = await fillEventSelect(api, select, event.id)
      watch(event.id)
      say(formMessage, `Created “${event.name}”.`, 'success')
    }, (error: unknown) => {
      say(formMessage, `Not created: ${error instanceof ApiError ? describeProblem(error.problem) : (error as Error).message}`, 'error')
    }).finally(() => { button.disabled = false })
  })

  function renderTallies (): void {
    const m = live?.reconciler.map
    if (!m || !live?.reconciler.loaded) return
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
    setEventInHash(eventId)
    select.value = eventId
    byId('watch-name').textContent = events.get(eventId)?.name ?? 'Event'
    byId<HTMLAnchorElement>('watch-buyer-link').href = `/#event=${eventId}`
    byId('watch-map').replaceChildren()
    const state = byId('watch-live')
    live = connectLive(api, eventId, {
      onUpdate,
      onMode: showLiveMode(state),
      onError: (error) => say(formMessage, `Could not read the event: ${(error as Error).message}`, 'error'),
    })
  }

  select.addEventListener('change', () => { if (select.value) watch(select.value) })
  setInterval(() => {
    const m = live?.reconciler.map
    if (!m) return
    view.tick(m, now())
    renderTallies()
  }, 1000)

  updatePreview()
  async function init (): Promise<void> {
    try {
      events = await fillEventSelect(api, select, eventFromHash())
    } catch (error) {
      say(formMessage, (error as Error).message, 'error')
    }
    if (select.value) watch(select.value)
  }
  init()
}
