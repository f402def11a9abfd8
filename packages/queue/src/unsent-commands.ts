import type { Command } from '@seatline/contracts'
import type { Queue } from 'bullmq'
import type { RedisClient } from './redis.ts'
import { sendAgain } from './send-again.ts'

const RETRY_EVERY_MS = 250
/** Past this the worker's sweeper of pending requests holds on its own; the list stays bounded. */
const KEEP_MS = 10 * 60_000
const MAX_KEPT = 10_000

/**
 * Commands a gateway answered 202 although their job may never have reached Redis (the send
 * failed with the job on the wire): they are recorded as pending, and sent again, alone under
 * their request id, as soon as Redis answers. Without this they waited for the sweeper of
 * pending requests, half a minute and more after Redis was back.
 */
export class UnsentCommands {
  readonly #queues: Queue[]
  readonly #redis: RedisClient
  readonly #waiting = new Map<string, { command: Command, since: number }>()
  #timer: NodeJS.Timeout | undefined
  #sending = false
  readonly #onReady = () => { this.#flush() }

  constructor (queues: Queue[], redis: RedisClient) {
    this.#queues = queues
    this.#redis = redis
    redis.on('ready', this.#onReady)
  }

  get size (): number {
    return this.#waiting.size
  }

  add (command: Command): void {
    if (this.#waiting.size >= MAX_KEPT) return // the sweeper's business, as before
    this.#waiting.set(command.requestId, { command, since: Date.now() })
    this.#timer ??= setInterval(() => { this.#flush() }, RETRY_EVERY_MS).unref()
    this.#flush()
  }

  /** Sends each again, oldest first; stops at the first failure: Redis is still away. */
  async #flush (): Promise<void> {
    if (this.#sending) return
    this.#sending = true
    try {
      for (const [requestId, { command, since }] of this.#waiting) {
        if (Date.now() - since > KEEP_MS) {
          this.#waiting.delete(requestId)
          continue
        }
        await sendAgain(this.#queues, command)
        this.#waiting.delete(requestId)
      }
    } catch {
      // Redis is away still: the next tick, or its 'ready', tries again.
    } finally {
      this.#sending = false
      if (this.#waiting.size === 0 && this.#timer) {
        clearInterval(this.#timer)
        this.#timer = undefined
      }
    }
  }

  close (): void {
    clearInterval(this.#timer)
    this.#redis.off('ready', this.#onReady)
  }
}
