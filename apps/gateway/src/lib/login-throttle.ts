import { createHash } from 'node:crypto'
import type { RedisClient } from '@seatline/queue'

/**
 * Counts an attempt on one counter unless it is locked: returns the milliseconds left of its
 * lock (0 when the attempt may go ahead). The attempt is counted before the password is checked,
 * so concurrent guesses cannot slip past the limit together; a success gives it back. From the
 * limit on, each attempt locks the next for twice as long as the last, up to the cap. Redis's
 * clock, so every gateway reads the same lock.
 */
const ATTEMPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lockedUntil = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if lockedUntil > now then return lockedUntil - now end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local limit = tonumber(ARGV[1])
if failures >= limit then
  local lockMs = math.min(1000 * 2 ^ math.min(failures - limit, 30), tonumber(ARGV[2]))
  redis.call('HSET', KEYS[1], 'until', now + lockMs)
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 0
`

/** Gives back an attempt that turned out to be the right password (or was refused elsewhere). */
const GIVE_BACK = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local failures = redis.call('HINCRBY', KEYS[1], 'failures', -1)
if failures < tonumber(ARGV[1]) then redis.call('HDEL', KEYS[1], 'until') end
return failures
`

interface Scripts {
  seatlineLoginAttempt (key: string, limit: number, lockMaxMs: number, memoryS: number): Promise<number>
  seatlineLoginGiveBack (key: string, limit: number): Promise<number>
}

export interface LoginThrottleOptions {
  redis: RedisClient
  prefix: string
  /** Failures one account (from any address) may have before attempts wait; 0 is off. */
  perAccount: number
  /** Failures one client address (for any account) may have before its attempts wait; 0 is off. */
  perAddress: number
  lockMaxSeconds: number
}

export type LoginAttempt = { allowed: true } | { allowed: false, retryAfterS: number }

/**
 * Password guessing throttled in Redis, so every gateway counts the same failures. An address
 * that is locked is refused before its attempt counts against the account, so an attacker's
 * address cannot lock the account out from the owner's; the account's own lock (for the owner
 * too) lasts minutes at most. Accounts are keyed by a hash of the email: no emails in Redis, and
 * an email with no account is counted like any other, so the throttle reveals nothing either.
 */
export class LoginThrottle {
  readonly #options: LoginThrottleOptions
  readonly #scripts: Scripts
  readonly #lockMaxMs: number
  /** A counter is forgotten this long after its last attempt: longer than any lock. */
  readonly #memoryS: number

  constructor (options: LoginThrottleOptions) {
    options.redis.defineCommand('seatlineLoginAttempt', { numberOfKeys: 1, lua: ATTEMPT })
    options.redis.defineCommand('seatlineLoginGiveBack', { numberOfKeys: 1, lua: GIVE_BACK })
    this.#options = options
    this.#scripts = options.redis as unknown as Scripts
    this.#lockMaxMs = options.lockMaxSeconds * 1000
    this.#memoryS = Math.max(900, 2 * options.lockMaxSeconds)
  }

  /** Counts a login attempt before its password is checked; `succeeded` gives it back. */
  async attempt (email: string, address: string): Promise<LoginAttempt> {
    const { perAccount, perAddress } = this.#options
    if (perAddress > 0) {
      const waitMs = await this.#count(this.#addressKey(address), perAddress)
      if (waitMs > 0) return refused(waitMs)
    }
    if (perAccount > 0) {
      const waitMs = await this.#count(this.#accountKey(email), perAccount)
      if (waitMs > 0) {
        if (perAddress > 0) await this.#scripts.seatlineLoginGiveBack(this.#addressKey(address), perAddress)
        return refused(waitMs)
      }
    }
    return { allowed: true }
  }

  /** The password was right: the account starts afresh, and the address gets its attempt back. */
  async succeeded (email: string, address: string): Promise<void> {
    const { perAccount, perAddress } = this.#options
    await Promise.all([
      perAccount > 0 ? this.#options.redis.del(this.#accountKey(email)) : undefined,
      perAddress > 0 ? this.#scripts.seatlineLoginGiveBack(this.#addressKey(address), perAddress) : undefined,
    ])
  }

  #count (key: string, limit: number): Promise<number> {
    return this.#scripts.seatlineLoginAttempt(key, limit, this.#lockMaxMs, this.#memoryS)
  }

  #accountKey (email: string): string {
    return `${this.#options.prefix}:login:account:${createHash('sha256').update(email).digest('base64url')}`
  }

  #addressKey (address: string): string {
    return `${this.#options.prefix}:login:address:${address}`
  }
}

function refused (waitMs: number): LoginAttempt {
  return { allowed: false, retryAfterS: Math.max(1, Math.ceil(waitMs / 1000)) }
}
