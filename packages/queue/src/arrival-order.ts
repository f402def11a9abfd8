/**
 * Keeps a gateway's enqueues of one group in the order the requests arrived. Recording a command
 * in Postgres takes a variable time; without this, a request that arrived 5 ms later could
 * overtake an earlier one on its way into the queue.
 */
export interface Turn {
  /** Resolves when every earlier request of the group has been enqueued (or given up). */
  ready: Promise<void>
  /** Lets the next request of the group go; safe to call more than once. */
  done (): void
}

export class ArrivalOrder {
  readonly #tails = new Map<string, Promise<void>>()

  /** Takes a place in line for `groupKey`; call synchronously when the request arrives. */
  take (groupKey: string): Turn {
    const ready = this.#tails.get(groupKey) ?? Promise.resolve()
    let done!: () => void
    const mine = new Promise<void>((resolve) => { done = resolve })
    this.#tails.set(groupKey, mine)
    mine.then(() => {
      if (this.#tails.get(groupKey) === mine) this.#tails.delete(groupKey)
    })
    return { ready, done }
  }
}
