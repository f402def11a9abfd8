import { type BookSectionCommand, isRefusal, refuse, sectionResource } from '@seatline/contracts'
import { insertBooking } from '../booking-rows.ts'
import { saleRefusal } from '../sale-rules.ts'
import { adjustRemaining, lockSection } from '../section-rows.ts'
import { oneAtATime } from './command-handler.ts'

/** Books a quantity of a general-admission section; `remaining` never goes below zero. */
export const bookSection = oneAtATime<BookSectionCommand>(
  (command) => [sectionResource(command.eventId, command.sectionId)],
  async (trx, { eventId, sectionId, quantity, userId }, fence) => {
    const section = await lockSection(trx, eventId, sectionId, fence)
    if (isRefusal(section)) return section
    const refusal = await saleRefusal(trx, eventId, userId, quantity)
    if (refusal) return refusal
    if (section.remaining < quantity) {
      return refuse('SOLD_OUT', `${quantity} wanted, ${section.remaining} left`, { remaining: section.remaining })
    }
    await adjustRemaining(trx, sectionId, -quantity, fence)
    const booking = await insertBooking(trx, { eventId, userId, sectionId, quantity })
    return { ok: true, kind: 'booking', booking }
  }
)
