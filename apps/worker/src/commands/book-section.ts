import { type BookSectionCommand, type CommandResult, refuse, isRefusal } from '@seatline/contracts'
import { sectionResource } from '@seatline/lock'
import { insertBooking } from '../booking-rows.ts'
import type { CommandPlan } from '../command-plan.ts'
import { adjustRemaining, lockSection } from '../section-rows.ts'

/** Books a quantity of a general-admission section; `remaining` never goes below zero. */
export function bookSection (command: BookSectionCommand): CommandPlan {
  const { eventId, sectionId, quantity, userId } = command
  return {
    resources: [sectionResource(eventId, sectionId)],
    async apply (trx, fences): Promise<CommandResult> {
      const section = await lockSection(trx, eventId, sectionId, fences)
      if (isRefusal(section)) return section
      if (section.remaining < quantity) {
        return refuse('SOLD_OUT', `${quantity} wanted, ${section.remaining} left`, { remaining: section.remaining })
      }
      await adjustRemaining(trx, eventId, sectionId, -quantity, fences)
      const booking = await insertBooking(trx, { eventId, userId, sectionId, quantity })
      return { ok: true, kind: 'booking', booking }
    },
  }
}
