import { type BookSectionCommand, isRefusal, type Refusal, refuse, sectionResource } from '@seatline/contracts'
import { insertBooking } from '../booking-rows.ts'
import { saleRefusal } from '../sale-rules.ts'
import { adjustRemaining, lockSection, type SectionRow } from '../section-rows.ts'
import { oneAtATime } from './command-handler.ts'

/** Books a quantity of a general-admission section; `remaining` never goes below zero. */
export const bookSection = oneAtATime<BookSectionCommand, SectionRow | Refusal>(
  (command) => [sectionResource(command.eventId, command.sectionId)],
  async (trx, { requestId, eventId, sectionId, quantity, userId, admittedUntil }, fence, section) => {
    if (isRefusal(section)) return section
    const refusal = await saleRefusal(trx, eventId, userId, quantity, admittedUntil)
    if (refusal) return refusal
    if (section.remaining < quantity) {
      return refuse('SOLD_OUT', `${quantity} wanted, ${section.remaining} left`, { remaining: section.remaining })
    }
    await adjustRemaining(trx, sectionId, -quantity, fence)
    const booking = await insertBooking(trx, { id: requestId, eventId, userId, sectionId, quantity })
    return { ok: true, kind: 'booking', booking }
  },
  (trx, { eventId, sectionId }, fence) => lockSection(trx, eventId, sectionId, fence)
)
