/**
 * Commands each user has open on this gateway (sent, their answer not yet given). One account
 * firing hundreds of commands at once would fill the partitions' lines that every buyer shares;
 * past `perUser` its next command is refused at once. The rate limit bounds how many a minute;
 * this bounds how many at the same moment.
 */
export class CommandsInFlight {
  readonly #perUser: number
  readonly #open = new Map<string, number>()

  /** `perUser` 0: no cap. */
  constructor (perUser: number) {
    this.#perUser = perUser
  }

  get perUser (): number {
    return this.#perUser
  }

  /** One more open command for `userId`, or false when it has `perUser` open already. */
  take (userId: string): boolean {
    if (this.#perUser <= 0) return true
    const open = this.#open.get(userId) ?? 0
    if (open >= this.#perUser) return false
    this.#open.set(userId, open + 1)
    return true
  }

  /** Its answer is given: one fewer. The map keeps only users with commands open. */
  release (userId: string): void {
    if (this.#perUser <= 0) return
    const open = (this.#open.get(userId) ?? 0) - 1
    if (open > 0) this.#open.set(userId, open)
    else this.#open.delete(userId)
  }
}
