import type { Command, CommandResult } from '@seatline/contracts'
import type { Db } from '@seatline/db'
import type { ResourceLocks } from '@seatline/lock'
import { bookSeats } from './commands/book-seats.ts'

export interface CommandContext {
  db: Db
  locks: ResourceLocks
}

/** Routes a job to its command module. */
export function processCommand (context: CommandContext, command: Command): Promise<CommandResult> {
  switch (command.type) {
    case 'book-seats':
      return bookSeats(context.db, context.locks, command)
  }
}
