import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { ProblemError } from './problem-error.ts'

interface ScryptParams { N: number, r: number, p: number, keylen: number }

/**
 * OWASP's password storage guidance lists scrypt at N=2^17, r=8, p=1, or equivalents of the same
 * work: N=2^14, r=8, p=5 is one, with an eighth of the memory (16 MiB a hash instead of 128), so
 * hashes at once do not swell the gateway. Stored hashes carry their parameters; an older one is
 * rehashed at the next successful login.
 */
export const CURRENT_PARAMS: ScryptParams = { N: 16_384, r: 8, p: 5, keylen: 32 }

function derive (password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * 1024 * 1024 }
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, params.keylen, options, (error, key) => (error ? reject(error) : resolve(key)))
  })
}

/** `scrypt$N$r$p$salt$hash`, so the cost can be raised later without breaking stored hashes. */
export async function hashPassword (password: string, params = CURRENT_PARAMS): Promise<string> {
  const salt = randomBytes(16)
  const key = await derive(password, salt, params)
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

export async function verifyPassword (password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, hash] = stored.split('$')
  if (scheme !== 'scrypt' || !salt || !hash) return false
  const expected = Buffer.from(hash, 'base64url')
  const key = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(N), r: Number(r), p: Number(p), keylen: expected.length })
  return timingSafeEqual(key, expected)
}

/** Whether a stored hash was made with weaker parameters than today's. */
export function needsRehash (stored: string): boolean {
  const [, N, r, p] = stored.split('$')
  return `${N}$${r}$${p}` !== `${CURRENT_PARAMS.N}$${CURRENT_PARAMS.r}$${CURRENT_PARAMS.p}`
}

/** Spent on unknown emails too, so a login's timing does not reveal which emails exist. */
export const DUMMY_HASH = await hashPassword('seatline-timing-equaliser')

/**
 * Hashing is deliberately expensive and runs on libuv's small thread pool, which new database
 * connections and file reads also need: a flood of signups or logins must not fill it. At most
 * `concurrency` hashes run at once; up to `maxWaiting` more wait their turn; beyond that the
 * request is refused at once with 503 OVERLOADED, before any work is spent on it.
 */
export class PasswordHasher {
  readonly #concurrency: number
  readonly #maxWaiting: number
  #running = 0
  readonly #waiting: Array<() => void> = []

  constructor ({ concurrency, maxWaiting }: { concurrency: number, maxWaiting: number }) {
    this.#concurrency = concurrency
    this.#maxWaiting = maxWaiting
  }

  /** Hashes running now (for tests and metrics). */
  get running (): number {
    return this.#running
  }

  hash (password: string): Promise<string> {
    return this.#inTurn(() => hashPassword(password))
  }

  verify (password: string, stored: string): Promise<boolean> {
    return this.#inTurn(() => verifyPassword(password, stored))
  }

  async #inTurn<T> (work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#concurrency) {
      if (this.#waiting.length >= this.#maxWaiting) {
        throw new ProblemError('OVERLOADED', 'too many sign-ups and logins at once; try again shortly', {}, { 'retry-after': '1' })
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve))
    } else {
      this.#running++
    }
    try {
      return await work()
    } finally {
      // Hand the slot straight to the next in line, or give it back.
      const next = this.#waiting.shift()
      if (next) next()
      else this.#running--
    }
  }
}
