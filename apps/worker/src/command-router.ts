import type { Command } from '@seatline/contracts'
import type { CommandPlan } from './command-plan.ts'
import { bookSection } from './commands/book-section.ts'
import { cancelBooking } from './commands/cancel-booking.ts'
import { confirmHold } from './commands/confirm-hold.ts'
import { holdSeats } from './commands/hold-seats.ts'
import { releaseHold } from './commands/release-hold.ts'
import { seatResources } from './seat-rows.ts'

/** Routes a command to its module's plan. Book-seats runs as a Postgres function instead. */
export function commandPlan (command: Exclude<Command, { type: 'book-seats' }>): CommandPlan {
  switch (command.type) {
    case 'book-section': return bookSection(command)
    case 'hold-seats': return holdSeats(command)
    case 'confirm-hold': return confirmHold(command)
    case 'release-hold': return releaseHold(command)
    case 'cancel-booking': return cancelBooking(command)
  }
}

/** The lock resources a command needs. */
export function commandResources (command: Command): string[] {
  return command.type === 'book-seats' ? seatResources(command.eventId, command.seatIds) : commandPlan(command).resources
}
