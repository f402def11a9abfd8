/**
 * One read for many readers of the same thing, never staler than each reader's own would be.
 *
 * When 2,000 live maps open on one event they all read the same seat pages within a second or
 * two; read one by one, that is 4,000 queries of 1,000 rows and 4,000 copies of the same JSON
 * in the gateway's heap. Here a reader joins a read only if that read has not started yet: while
 * a read of a key runs, those who ask meanwhile wait for it to end and then share the next one,
 * which starts after all of them asked. So every answer reflects the database as it was at
 * some moment after its request arrived, exactly as an answer of its own would (a buyer reads
 * their own booking; a live map that opened its stream first misses nothing).
 */
export class SharedReads<T> {
  /** The read running now, per key. */
  readonly #running = new Map<string, Promise<T>>()
  /** The read that starts once the running one ends, per key: newcomers join it. */
  readonly #queued = new Map<string, Promise<T>>()

  read (key: string, load: () => Promise<T>): Promise<T> {
    const queued = this.#queued.get(key)
    if (queued) return queued
    const running = this.#running.get(key)
    const start = () => this.#start(key, load)
    if (!running) return start()
    const next = running.then(start, start)
    this.#queued.set(key, next)
    return next
  }

  /** Reads of keys in progress or waiting (for tests and metrics). */
  get size (): number {
    return this.#running.size + this.#queued.size
  }

  #start (key: string, load: () => Promise<T>): Promise<T> {
    this.#queued.delete(key)
    const read = (async () => load())()
    this.#running.set(key, read)
    const done = () => { if (this.#running.get(key) === read) this.#running.delete(key) }
    read.then(done, done)
    return read
  }
}
