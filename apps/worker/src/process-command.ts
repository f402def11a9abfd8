import type { Command, CommandResult } from '@seatline/contracts'
import { bookSeats } from './commands/book-seats.ts'
import { bookSection } from './commands/book-section.ts'
import { cancelBooking } from './commands/cancel-booking.ts'
import { confirmHold } from './commands/confirm-hold.ts'
import { holdSeats } from './commands/hold-seats.ts'
import { releaseHold } from './commands/release-hold.ts'
import type { CommandContext } from './run-command.ts'

/** Routes a job to its command module. */
export function processCommand (context: CommandContext, command: Command): Promise<CommandResult> {
  switch (command.type) {
    case 'book-seats': return bookSeats(context, command)
    case 'book-section': return bookSection(context, command)
    case 'hold-seats': return holdSeats(context, command)
    case 'confirm-hold': return confirmHold(context, command)
    case 'release-hold': return releaseHold(context, command)
    case 'cancel-booking': return cancelBooking(context, command)
  }
}
