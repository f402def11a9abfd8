import { refuse, type Refusal, sectionResource } from '@seatline/contracts'
import type { Trx } from './commands/command-handler.ts'
import { assertFresh } from './fencing.ts'

export interface SectionRow {
  id: string
  remaining: number
  capacity: number
}

/** Row-locks a general-admission section, refusing to go on if a newer lock holder wrote it. */
export async function lockSection (trx: Trx, eventId: string, sectionId: string, fence: number): Promise<SectionRow | Refusal> {
  const section = await trx.selectFrom('sections').select(['id', 'remaining', 'capacity', 'fence'])
    .where('id', '=', sectionId).where('event_id', '=', eventId).forUpdate().executeTakeFirst()
  if (!section) {
    const event = await trx.selectFrom('events').select('id').where('id', '=', eventId).executeTakeFirst()
    return event
      ? refuse('SECTION_NOT_FOUND', `no section ${sectionId} in event ${eventId}`)
      : refuse('EVENT_NOT_FOUND', `event ${eventId} does not exist`)
  }
  assertFresh([{ key: sectionResource(eventId, sectionId), fence: section.fence }], fence)
  return section
}

/** Moves `delta` places into (negative) or out of (positive) the section's remaining count. */
export async function adjustRemaining (trx: Trx, sectionId: string, delta: number, fence: number): Promise<void> {
  await trx.updateTable('sections')
    .set((eb) => ({ remaining: eb('remaining', '+', delta), fence }))
    .where('id', '=', sectionId)
    .execute()
}
