import type { Command } from '@seatline/contracts'
import { bookSeats } from './book-seats.ts'
import { bookSection } from './book-section.ts'
import { cancelBooking } from './cancel-booking.ts'
import type { CommandHandler } from './command-handler.ts'
import { confirmHold } from './confirm-hold.ts'
import { holdSeats } from './hold-seats.ts'
import { releaseHold } from './release-hold.ts'

export type { CommandHandler, RunContext } from './command-handler.ts'

const HANDLERS: { [K in Command['type']]: CommandHandler<Extract<Command, { type: K }>> } = {
  'book-seats': bookSeats,
  'book-section': bookSection,
  'hold-seats': holdSeats,
  'confirm-hold': confirmHold,
  'release-hold': releaseHold,
  'cancel-booking': cancelBooking,
}

/** The module that runs a command of this kind. */
export function handlerFor (command: Command): CommandHandler<Command> {
  return HANDLERS[command.type] as unknown as CommandHandler<Command>
}
